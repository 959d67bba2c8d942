package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"herald/manifest"
	"herald/serve"

	"github.com/urfave/cli/v2"
)

func showCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show what each page gets: its critical assets, why, sizes and channels",
		ArgsUsage: "[DIR [PAGE]]",
		Description: `Builds the manifest of DIR in memory and prints, for PAGE (its URL path:
	/library/index.html, /library/ or library/index.html), each asset herald sends
	early: why the manifest lists it, its size as stored and in br and gzip as
	herald sends it, and the channels it goes through with the options given
	(push, 103 Early Hints, Link: rel=preload, after: a preload of the page,
	hinted after the critical assets). Without PAGE, lists every page with the
	number and bytes of its assets. The same table, with what a browser did,
	is at /_herald/ of herald serve on a loopback address.

	Exit status: 0 shown; 1 the site cannot be read; 2 usage error (also a PAGE
	the site does not have).

	Examples:
	    herald show ./docs
	    herald show ./docs /library/index.html
	    herald show ./docs / --format json
	    herald show ./docs / --hints off`,
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			originFlag(),
		}, handlerFlags()),
		Action: runShow,
	}
}

func runShow(c *cli.Context) error {
	if c.NArg() > 2 {
		return usageError("give the site folder and at most one page, got %d arguments", c.NArg())
	}
	dir, err := checkSiteDir(c.Args().First(), c.NArg() >= 1)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return usageError("--format %q: use text or json", format)
	}
	opts, err := handlerOptions(c)
	if err != nil {
		return err
	}
	buildOpts, err := buildOptions(c)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return usageError("cannot open site folder: %v", err)
	}
	defer root.Close()
	m, problems, err := manifest.Build(root.FS(), buildOpts)
	if err != nil {
		return err
	}
	if err := reportProblems(c.App.ErrWriter, problems); err != nil {
		return err
	}
	out := c.App.Writer
	if c.NArg() < 2 {
		rows := serve.PageRows(m)
		if format == "json" {
			return writeShowJSON(out, struct {
				Pages []serve.IndexRow `json:"pages"`
			}{rows})
		}
		return writePageRows(out, rows)
	}
	arg := c.Args().Get(1)
	page := serve.PageOf(m, arg)
	r, ok := serve.NewPageReport(m, page, opts, serve.EncodedSizes(root.FS(), m, opts.Compress))
	if !ok {
		return usageError("%s has no page %q: herald show %s lists its pages", dir, arg, dir)
	}
	if format == "json" {
		return writeShowJSON(out, r)
	}
	return writePageReport(out, r)
}

func writeShowJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// barWidth is the width of a full bar in the terminal.
const barWidth = 20

// bar draws n of most as up to barWidth characters.
func bar(n, most int64) string {
	if most <= 0 || n <= 0 {
		return ""
	}
	return strings.Repeat("#", int(max(1, n*barWidth/most)))
}

func writePageRows(w io.Writer, rows []serve.IndexRow) error {
	var most int64
	for _, r := range rows {
		most = max(most, r.Bytes)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "page\tassets\tbytes\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Page, r.Assets, human(r.Bytes), bar(r.Bytes, most))
	}
	return tw.Flush()
}

func writePageReport(w io.Writer, r *serve.PageReport) error {
	fmt.Fprintf(w, "%s: %d assets, %s stored, %s in br, %s in gzip\n",
		r.Page, len(r.Assets), human(r.Bytes), human(r.Br), human(r.Gzip))
	var most int64
	for _, a := range r.Assets {
		most = max(most, a.Size)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tasset\twhy\tas\tstored\tbr\tgzip\t\tchannels")
	for i, a := range r.Assets {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%-*s\t%s\n", i, a.Path, a.Why, a.As,
			human(a.Size), encodedBytes(a.Br), encodedBytes(a.Gzip), barWidth, bar(a.Size, most), strings.Join(a.Channels, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Assets) == 0 {
		fmt.Fprintln(w, "no critical assets: nothing to send early")
	}
	if len(r.Deferred) > 0 {
		fmt.Fprintf(w, "deferred (in the body, never hinted): %s\n", strings.Join(r.Deferred, ", "))
	}
	if len(r.External) > 0 {
		fmt.Fprintf(w, "other origins (not hinted): %s\n", strings.Join(r.External, ", "))
	}
	for _, m := range r.Missing {
		fmt.Fprintf(w, "missing: %s (%s, %s:%d)\n", m.Path, m.Why, m.From, m.Line)
	}
	fmt.Fprintln(w, "channels: push = HTTP/2 push to clients that accept it (no current browser does); "+
		"103 = Early Hints on HTTP/2 and HTTP/3 navigations; link = Link: rel=preload of the page; "+
		"after = a preload of the page, hinted after the critical assets; none = past the bound of Link values")
	return nil
}

func encodedBytes(n int64) string {
	if n < 0 {
		return "-"
	}
	return human(n)
}
