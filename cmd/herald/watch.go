package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"herald/manifest"
	"herald/watch"

	"github.com/urfave/cli/v2"
)

var buildWatchFlag = &cli.BoolFlag{
	Name:  "watch",
	Usage: "keep building: rewrite the manifest whenever a file of the site changes, until interrupted",
}

// buildWatch is `herald build --watch`: it builds, writes the manifest, and
// writes it again (atomically) after every change until interrupted.
func buildWatch(c *cli.Context, dir, out string, opts manifest.Options) error {
	if err := checkOutsideSite(dir, out); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	w, err := watch.New(dir, watch.Options{Manifest: opts, Logger: logger, OnChange: func(ch watch.Change) {
		if len(ch.Paths) == 0 {
			return // saved without a change
		}
		if err := manifest.Write(out, ch.Manifest); err != nil {
			logger.Error("the manifest on disk is out of date", "err", err)
			return
		}
		fmt.Fprintf(c.App.Writer, "updated %s (manifest %.12s): %d files changed\n", out, ch.Manifest.Hash, len(ch.Paths))
	}})
	if err != nil {
		return err
	}
	defer w.Close()
	m := w.Manifest()
	if err := manifest.Write(out, m); err != nil {
		return err
	}
	summarize(c.App.Writer, out, m)
	reportProblems(c.App.ErrWriter, w.Problems()) // listed; the watch goes on
	fmt.Fprintf(c.App.Writer, "watching %s for changes (Ctrl-C to stop)\n", dir)
	<-ctx.Done()
	return nil
}

// checkOutsideSite refuses a manifest written into the site under a name the
// site serves: every write would be a change to build again, without end.
func checkOutsideSite(dir, out string) error {
	absDir, err1 := filepath.Abs(dir)
	absOut, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return nil
	}
	rel, err := filepath.Rel(absDir, absOut)
	if err != nil || !filepath.IsLocal(rel) || manifest.Hidden("/"+filepath.ToSlash(rel)) {
		return nil
	}
	return usageError("--watch writes %s into the site it watches, so each write would start a new build: "+
		"leave out -o (DIR/%s is never site content), or write it outside the folder", out, manifest.FileName)
}
