package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"herald/manifest"

	"github.com/urfave/cli/v2"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "write the push manifest of a site",
		ArgsUsage: "[DIR]",
		Description: `Reads every HTML page under DIR (default: the current folder) and the CSS it
	loads, and writes DIR/push-manifest.json: for each page, the stylesheets,
	scripts, fonts and hero image a browser needs before its first paint, with
	their type, size and sha256.

	--precompress first writes .zst, .br and .gz siblings of every text file
	(HTML, CSS, JavaScript, SVG, ...) where they save at least a tenth, for any
	server to send as they are; siblings that already hold the file's bytes are
	kept, stale ones replaced. The manifest lists them as files, never as pages
	or assets.

	Exit status: 0 built; 1 built, but some files could not be read (listed);
	2 usage error.

	Examples:
	    herald build ./public
	    herald build ./public -o build/push-manifest.json --origin https://docs.example.com
	    herald build ./public --watch
	    herald build ./public --precompress`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the manifest to `FILE` (default DIR/push-manifest.json)"},
			originFlag(),
			buildWatchFlag(),
			&cli.BoolFlag{Name: "precompress", Usage: "write .zst, .br and .gz siblings of text files first"},
		},
		Action: runBuild,
	}
}

func runBuild(c *cli.Context) error {
	dir, err := siteDir(c)
	if err != nil {
		return err
	}
	opts, err := buildOptions(c)
	if err != nil {
		return err
	}
	if c.Bool("watch") && c.Bool("precompress") {
		return usageError("--precompress does not apply with --watch: herald serve compresses what changes; run herald build --precompress once the site is done")
	}
	if c.Bool("precompress") {
		st, err := precompress(dir, opts)
		if err != nil {
			return fmt.Errorf("precompress: %w", err)
		}
		fmt.Fprintf(c.App.Writer, "precompressed: %d siblings written, %d kept, %d stale removed\n", st.Written, st.Kept, st.Removed)
	}
	if c.Bool("watch") {
		return buildWatch(c, dir, manifestPath(dir, c.String("output")), opts)
	}
	m, problems, err := buildSite(dir, opts)
	if err != nil {
		return err
	}
	out := manifestPath(dir, c.String("output"))
	if err := manifest.Write(out, m); err != nil {
		return err
	}
	summarize(c.App.Writer, out, m)
	return reportProblems(c.App.ErrWriter, problems)
}

// reportProblems prints each problem on its own line and returns a findings
// error when any needs the user to act.
func reportProblems(w io.Writer, problems []manifest.Problem) error {
	errs := 0
	for _, p := range problems {
		kind := "error"
		if p.Warning {
			kind = "warning"
		} else {
			errs++
		}
		fmt.Fprintf(w, "herald: %s: %s: %v\n", kind, p.Path, p.Err)
	}
	if errs > 0 {
		return findings("%d files could not be read (listed above); the rest of the site was built", errs)
	}
	return nil
}

// summarize prints one screen about a manifest: totals, then the pages that
// ask for the most bytes before their first paint.
func summarize(w io.Writer, path string, m *manifest.Manifest) {
	type row struct {
		page   string
		assets int
		bytes  int64
	}
	var rows []row
	var assets int
	var total int64
	for p, page := range m.Pages {
		r := row{page: p, assets: len(page.Assets)}
		for _, a := range page.Assets {
			r.bytes += a.Size
		}
		rows = append(rows, r)
		assets += r.assets
		total += r.bytes
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].bytes != rows[j].bytes {
			return rows[i].bytes > rows[j].bytes
		}
		return rows[i].page < rows[j].page
	})
	fmt.Fprintf(w, "wrote %s (manifest %.12s)\n", path, m.Hash)
	fmt.Fprintf(w, "%d pages, %d files; %d critical assets in all", len(m.Pages), len(m.Files), assets)
	if len(rows) > 0 {
		fmt.Fprintf(w, ", %.1f per page, %s per page on average", float64(assets)/float64(len(rows)), human(total/int64(len(rows))))
	}
	fmt.Fprintln(w)
	if len(rows) == 0 {
		fmt.Fprintln(w, "no HTML pages found")
		return
	}
	fmt.Fprintln(w, "\npages asking for the most before their first paint:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "assets\tbytes\t\tpage")
	for _, r := range rows[:min(len(rows), 10)] {
		fmt.Fprintf(tw, "%d\t%s\t\t%s\n", r.assets, human(r.bytes), r.page)
	}
	tw.Flush()
	if len(rows) > 10 {
		fmt.Fprintf(w, "(and %d more)\n", len(rows)-10)
	}
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
