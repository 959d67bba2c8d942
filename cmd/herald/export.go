package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"herald/internal/atomicfile"
	"herald/manifest"
	"herald/manifest/export"

	"github.com/urfave/cli/v2"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the site's hints as another server's or CDN's configuration",
		ArgsUsage: "[DIR]",
		Description: `Writes, for every page of DIR with critical assets, its Link: rel=preload
	headers in the configuration language of another front end, at both URLs of
	an index page (/dir/ and /dir/index.html), with push or 103 Early Hints where
	that server sends them. Reads DIR/push-manifest.json when it is up to date
	with the files (and made for --origin, when given), and builds the manifest
	in memory otherwise.

	Formats:
	    netlify      _headers file
	    cloudflare   _headers file (Cloudflare Pages also sends 103 Early Hints)
	    nginx        a map to include at http level, and one add_header line
	    caddy        Caddyfile snippet to import in a site block
	    apache       <If> sections for a virtual host or .htaccess
	    h2o          mruby handler (mruby.handler-file)
	    firebase     "headers" of firebase.json's "hosting" section

	Pages sharing their hints share a folder rule (/dir/*) in a _headers file,
	which keeps Cloudflare Pages under its 100 rules. With -o, a _headers file
	that exists keeps its own rules: herald's go between "# herald:begin" and
	"# herald:end" comment lines, replaced on each export.

	Exit status: 0 written (warnings name what the format cannot express);
	1 the site cannot be read, or its hints do not fit the host's limits;
	2 usage error.

	Examples:
	    herald export ./public --to netlify -o ./public/_headers
	    herald export ./public --to cloudflare -o ./public/_headers
	    herald export ./public --to nginx > /etc/nginx/conf.d/herald-links.conf`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "the format: " + strings.Join(export.Formats, ", ")},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` atomically (default: standard output)"},
			&cli.StringFlag{Name: "manifest", Usage: "the manifest to read (default DIR/push-manifest.json)"},
			originFlag(),
		},
		Action: runExport,
	}
}

func runExport(c *cli.Context) error {
	dir, err := siteDir(c)
	if err != nil {
		return err
	}
	format := c.String("to")
	if format == "" {
		return usageError("--to is required: one of %s", strings.Join(export.Formats, ", "))
	}
	if !validFormat(format) {
		return usageError("--to %q: use one of %s", format, strings.Join(export.Formats, ", "))
	}
	m, err := exportManifest(c, dir)
	if err != nil {
		return err
	}
	data, warnings, err := export.Export(m, format)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(c.App.ErrWriter, "herald: warning: %s\n", w)
	}
	out := c.String("output")
	if out == "" {
		_, err := c.App.Writer.Write(data)
		return err
	}
	if format == "netlify" || format == "cloudflare" {
		if data, err = mergeHeaders(c, out, data, format); err != nil {
			return err
		}
	}
	if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "wrote %s (%s, manifest %.12s)\n", out, format, m.Hash)
	return nil
}

// mergeHeaders returns the _headers file at out with block in place of the
// herald block it holds, the site's own rules kept as they are.
func mergeHeaders(c *cli.Context, out string, block []byte, format string) ([]byte, error) {
	existing, err := os.ReadFile(out)
	if errors.Is(err, fs.ErrNotExist) {
		return block, nil
	}
	if err != nil {
		return nil, err
	}
	merged, warnings, err := export.MergeHeaders(existing, block, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(c.App.ErrWriter, "herald: warning: %s: %s\n", out, w)
	}
	return merged, nil
}

func validFormat(f string) bool {
	for _, g := range export.Formats {
		if f == g {
			return true
		}
	}
	return false
}

// exportManifest returns the manifest on disk when it is fresh (and made
// for the --origin given), and builds one in memory otherwise; it tells
// which on standard error when it builds.
func exportManifest(c *cli.Context, dir string) (*manifest.Manifest, error) {
	opts, err := buildOptions(c)
	if err != nil {
		return nil, err
	}
	path := manifestPath(dir, c.String("manifest"))
	m, err := manifest.Read(path)
	why := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "does not exist"
	case err != nil:
		why = "cannot be read"
	case c.IsSet("origin") && m.Origin != opts.Origin:
		why = fmt.Sprintf("was built for origin %q, not --origin %q", m.Origin, opts.Origin)
	default:
		if why = staleness(dir, path, m); why == "" {
			return m, nil
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "herald: %s %s: building the manifest in memory\n", path, why)
	m, problems, err := buildSite(dir, opts)
	if err != nil {
		return nil, err
	}
	if _, err := manifest.Marshal(m); err != nil { // sets m.Hash
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintf(c.App.ErrWriter, "herald: warning: %s: %v\n", p.Path, p.Err)
	}
	return m, nil
}

// staleness says why the manifest at path no longer describes the site in
// dir ("" when it does), by manifest.Stale over the os.Root the build reads.
func staleness(dir, path string, m *manifest.Manifest) string {
	info, err := os.Stat(path)
	if err != nil {
		return "cannot be read"
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "cannot be checked against the site"
	}
	defer root.Close()
	return manifest.Stale(root.FS(), m, info.ModTime())
}
