package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"herald/audit"
	"herald/manifest"

	"github.com/urfave/cli/v2"
)

// runBrowserCheck is herald check --browser: the built manifest of dir held
// to what Chromium needs on the site's pages (package audit). A page whose
// precision or recall is below --min-precision or --min-recall is a finding.
func runBrowserCheck(c *cli.Context, dir string, m *manifest.Manifest) error {
	minP, minR := c.Float64("min-precision"), c.Float64("min-recall")
	if minP < 0 || minP > 1 || minR < 0 || minR > 1 {
		return usageError("--min-precision and --min-recall are between 0 and 1")
	}
	if c.Int("pages") < 0 {
		return usageError("--pages %d: give a number of pages, or 0 for all", c.Int("pages"))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return usageError("cannot open site folder: %v", err)
	}
	defer root.Close()
	r, err := audit.Run(c.Context, root.FS(), m, audit.Options{Chromium: c.String("chromium"), Pages: c.Int("pages")})
	if err != nil {
		return err
	}
	failed := 0
	for _, p := range r.Pages {
		if p.Precision() < minP || p.Recall() < minR {
			failed++
		}
	}
	if c.String("format") == "json" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Pages     []audit.Page `json:"pages"`
			Precision float64      `json:"precision"`
			Recall    float64      `json:"recall"`
			Failed    int          `json:"failed"`
		}{r.Pages, r.Precision(), r.Recall(), failed}); err != nil {
			return err
		}
	} else {
		for _, p := range r.Pages {
			if p.LeftFor != "" {
				fmt.Fprintf(c.App.Writer, "%s: left for %s, not counted\n", p.Path, p.LeftFor)
			}
			for _, x := range p.Extra {
				fmt.Fprintf(c.App.Writer, "%s: extra %s\n", p.Path, x)
			}
			for _, x := range p.Missed {
				fmt.Fprintf(c.App.Writer, "%s: missed %s\n", p.Path, x)
			}
		}
		fmt.Fprintf(c.App.Writer, "%d pages, precision %.3f, recall %.3f; %d below --min-precision %g or --min-recall %g\n",
			len(r.Pages), r.Precision(), r.Recall(), failed, minP, minR)
	}
	if failed > 0 {
		return &exitError{exitFindings, errors.New("")}
	}
	return nil
}
