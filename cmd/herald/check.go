package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"herald/manifest"

	"github.com/urfave/cli/v2"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check a site and its push manifest (for CI)",
		ArgsUsage: "[DIR]",
		Description: `Builds the manifest of DIR in memory and compares it with the one on disk.
	Lists, one line per cause with the pages it affects: a missing or stale
	manifest, critical assets that do not exist (with the file and line of each
	reference), pages over the budget (with the assets that make the weight),
	files that cannot be read; then a summary line. --format json gives the same
	as {"summary": {...}, "findings": [...]}, each finding with all its pages.
	With --no-manifest, checks links and budgets without a manifest on disk.

	With --browser, loads the pages in headless Chromium instead, served by
	herald (see "Checking in a browser" in the README), and lists per page the
	critical assets the manifest lists and Chromium did not need (extra) and
	those it needed and the manifest does not list (missed).

	Exit status: 0 nothing to fix; 1 findings (listed); 2 usage error.

	Examples:
	    herald check ./public
	    herald check ./public --format json --max-bytes 300KiB --max-assets 20
	    herald check ./public --no-manifest --max-bytes 300KiB
	    herald check ./public --browser --pages 20`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "manifest", Usage: "the manifest to check (default DIR/push-manifest.json)"},
			&cli.BoolFlag{Name: "no-manifest", Usage: "check links and budgets only, without a manifest on disk"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			&cli.StringFlag{Name: "max-bytes", Usage: "per-page budget of critical bytes, like 300KiB (default: none)"},
			&cli.IntFlag{Name: "max-assets", Usage: "per-page budget of critical assets (default: none)"},
			originFlag(),
			&cli.BoolFlag{Name: "browser", Usage: "load pages in headless Chromium and compare what it needed with the manifest"},
			&cli.IntFlag{Name: "pages", Usage: "with --browser: load N pages spread over the site (default: all)"},
			&cli.StringFlag{Name: "chromium", Usage: "with --browser: the browser to run (default: chromium on $PATH)"},
			&cli.Float64Flag{Name: "min-precision", Value: 1, Usage: "with --browser: fail a page whose precision is lower"},
			&cli.Float64Flag{Name: "min-recall", Value: 1, Usage: "with --browser: fail a page whose recall is lower"},
		},
		Action: runCheck,
	}
}

func runCheck(c *cli.Context) error {
	dir, err := siteDir(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return usageError("--format %q: use text or json", format)
	}
	budget, err := checkBudget(c)
	if err != nil {
		return err
	}
	if c.Bool("no-manifest") && c.IsSet("manifest") {
		return usageError("--no-manifest and --manifest: give one")
	}
	opts, err := buildOptions(c)
	if err != nil {
		return err
	}
	built, problems, err := buildSite(dir, opts)
	if err != nil {
		return err
	}
	if c.Bool("browser") {
		return runBrowserCheck(c, dir, built)
	}
	var list []manifest.Finding
	var stored *manifest.Manifest
	if !c.Bool("no-manifest") {
		path := manifestPath(dir, c.String("manifest"))
		stored, err = manifest.Read(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			list = append(list, manifest.Finding{Kind: "stale", Message: fmt.Sprintf("%s does not exist: run herald build %s, or check without it (--no-manifest)", path, dir)})
		case err != nil:
			list = append(list, manifest.Finding{Kind: "stale", Message: err.Error()})
		}
	}
	list = append(list, manifest.Check(built, stored, problems, budget)...)
	report := manifest.Summarize(list, budget, len(built.Pages))

	if format == "json" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else if len(list) > 0 {
		fmt.Fprint(c.App.Writer, report.Text())
	}
	if len(list) > 0 {
		return &exitError{exitFindings, errors.New("")} // the findings are the message
	}
	if format == "text" {
		if stored == nil {
			fmt.Fprintf(c.App.Writer, "ok: %d pages, links and budgets hold (no manifest checked)\n", len(built.Pages))
		} else {
			fmt.Fprintf(c.App.Writer, "ok: %d pages, manifest %.12s is current\n", len(built.Pages), stored.Hash)
		}
	}
	return nil
}

// checkBudget reads --max-bytes and --max-assets; 0 or none means no bound.
func checkBudget(c *cli.Context) (manifest.Budget, error) {
	b := manifest.Budget{MaxAssets: c.Int("max-assets")}
	if b.MaxAssets < 0 {
		return b, usageError("--max-assets %d: give a number of assets, 0 for no bound", b.MaxAssets)
	}
	if s := c.String("max-bytes"); s != "" {
		n, err := parseBytes(s)
		if err != nil {
			return b, usageError("--max-bytes: %v", err)
		}
		b.MaxBytes = n
	}
	return b, nil
}
