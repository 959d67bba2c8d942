package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"herald/config"
	"herald/manifest"

	"github.com/urfave/cli/v2"
)

// siteDir returns the site folder named by the first argument ("." when
// none), checking that it is a folder. An empty argument ("", an unset
// variable in a script) is a mistake, not the current folder.
func siteDir(c *cli.Context) (string, error) {
	if c.NArg() > 1 {
		return "", usageError("one site folder at a time, got %d arguments", c.NArg())
	}
	return checkSiteDir(c.Args().First(), c.NArg() == 1)
}

// checkSiteDir checks the site folder given as an argument (given), or
// the current folder.
func checkSiteDir(dir string, given bool) (string, error) {
	if given && dir == "" {
		return "", usageError("the site folder is an empty argument (\"\"): name the folder, such as ./public, or . for the current one")
	}
	if dir == "" {
		dir = "."
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", usageError("site folder %q does not exist", dir)
	case err != nil:
		return "", usageError("cannot read site folder: %v", err)
	case !info.IsDir():
		return "", usageError("%q is a file: give the folder that holds the site", dir)
	}
	return dir, nil
}

// buildSite builds the manifest of the site in dir, reading it through an
// os.Root so that no link leads the crawl out of the folder.
func buildSite(dir string, opts manifest.Options) (*manifest.Manifest, []manifest.Problem, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, usageError("cannot open site folder: %v", err)
	}
	defer root.Close()
	return manifest.Build(root.FS(), opts)
}

// manifestPath is where a site's manifest lives unless -o/--manifest says.
func manifestPath(dir, flag string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(dir, manifest.FileName)
}

// servedFromSite reports whether a file written at out would be part of the
// site in dir: inside the folder (links resolved where they exist), under a
// name the site serves (not a dotfile, not the manifest).
func servedFromSite(dir, out string) bool {
	absDir, err1 := realPath(dir)
	absOut, err2 := realPath(out)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(absDir, absOut)
	return err == nil && filepath.IsLocal(rel) && !manifest.Hidden("/"+filepath.ToSlash(rel))
}

// realPath is name made absolute, with its links resolved, or those of its
// folder when name does not exist yet.
func realPath(name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs)), nil
	}
	return abs, nil
}

func originFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "origin",
		Usage: "the site's own origin (https://docs.example.com): absolute URLs to it count as same-origin",
	}
}

func buildOptions(c *cli.Context) (manifest.Options, error) {
	origin := c.String("origin")
	if origin != "" && !strings.HasPrefix(origin, "http://") && !strings.HasPrefix(origin, "https://") {
		return manifest.Options{}, usageError("--origin %q: give a scheme and host, such as https://docs.example.com", origin)
	}
	return manifest.Options{Origin: strings.TrimSuffix(origin, "/")}, nil
}

// parseBytes reads a size such as 300KiB, 1.5MB or 20000.
func parseBytes(s string) (int64, error) {
	n, ok := config.ParseSize(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a size: write it like 300KiB, 2MB or 150000", strings.TrimSpace(s))
	}
	return n, nil
}
