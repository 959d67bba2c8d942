package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"herald/manifest"

	"github.com/urfave/cli/v2"
)

var checkCommand = &cli.Command{
	Name:      "check",
	Usage:     "check a site and its push manifest (for CI)",
	ArgsUsage: "[DIR]",
	Description: `Builds the manifest of DIR in memory and compares it with the one on disk.
Lists, one per line: a missing or stale manifest, critical assets that do not
exist (with the page, file and line of the reference), pages over the budget,
files that cannot be read.

With --browser, loads the pages in headless Chromium instead, served by
herald (see "Checking in a browser" in the README), and lists per page the
critical assets the manifest lists and Chromium did not need (extra) and
those it needed and the manifest does not list (missed).

Exit status: 0 nothing to fix; 1 findings (listed); 2 usage error.

Examples:
    herald check ./public
    herald check ./public --format json --max-bytes 300KiB --max-assets 20
    herald check ./public --browser --pages 20`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "manifest", Usage: "the manifest to check (default DIR/push-manifest.json)"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
		&cli.StringFlag{Name: "max-bytes", Usage: "per-page budget of critical bytes, like 300KiB (default: none)"},
		&cli.IntFlag{Name: "max-assets", Usage: "per-page budget of critical assets (default: none)"},
		originFlag,
		&cli.BoolFlag{Name: "browser", Usage: "load pages in headless Chromium and compare what it needed with the manifest"},
		&cli.IntFlag{Name: "pages", Usage: "with --browser: load N pages spread over the site (default: all)"},
		&cli.StringFlag{Name: "chromium", Usage: "with --browser: the browser to run (default: chromium on $PATH)"},
		&cli.Float64Flag{Name: "min-precision", Value: 1, Usage: "with --browser: fail a page whose precision is lower"},
		&cli.Float64Flag{Name: "min-recall", Value: 1, Usage: "with --browser: fail a page whose recall is lower"},
	},
	Action: runCheck,
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
	budget := manifest.Budget{MaxAssets: c.Int("max-assets")}
	if s := c.String("max-bytes"); s != "" {
		if budget.MaxBytes, err = parseBytes(s); err != nil {
			return usageError("--max-bytes: %v", err)
		}
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
	path := manifestPath(dir, c.String("manifest"))
	stored, err := manifest.Read(path)
	var list []manifest.Finding
	switch {
	case errors.Is(err, fs.ErrNotExist):
		list = append(list, manifest.Finding{Kind: "stale", Message: fmt.Sprintf("%s does not exist: run herald build %s", path, dir)})
	case err != nil:
		list = append(list, manifest.Finding{Kind: "stale", Message: err.Error()})
	}
	list = append(list, manifest.Check(built, stored, problems, budget)...)

	if format == "json" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []manifest.Finding{}
		}
		if err := enc.Encode(struct {
			Findings []manifest.Finding `json:"findings"`
		}{list}); err != nil {
			return err
		}
	} else {
		for _, f := range list {
			fmt.Fprintln(c.App.Writer, f)
		}
	}
	if len(list) > 0 {
		return &exitError{exitFindings, errors.New("")} // the findings are the message
	}
	if format == "text" {
		fmt.Fprintf(c.App.Writer, "ok: %d pages, manifest %.12s is current\n", len(built.Pages), stored.Hash)
	}
	return nil
}
