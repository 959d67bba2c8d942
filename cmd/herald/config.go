package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"herald/acme"
	"herald/config"
	"herald/sites"

	"github.com/urfave/cli/v2"
)

func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "work with a configuration file of several sites (herald.toml)",
		Subcommands: []*cli.Command{{
			Name:      "check",
			Usage:     "check a configuration file and the sites, certificates and bundles it names",
			ArgsUsage: "FILE",
			Description: `Reads FILE as herald serve --config would, and opens every site it names:
	its folder (and builds its manifest) or its bundle, and its certificate.
	Lists every mistake with its file, line and key, and what would be valid,
	and the files of a site's folder that cannot be served (broken links, links
	out of the folder, unreadable files) as herald check does: files served but
	not parsed are listed as warnings, which alone do not fail the check.

	Exit status: 0 nothing to fix (warnings aside); 1 mistakes (listed); 2 usage
	error.

	Examples:
	    herald config check herald.toml`,
			Action: runConfigCheck,
		}},
	}
}

func runConfigCheck(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError("give one configuration file: herald config check herald.toml")
	}
	file := c.Args().First()
	if info, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return usageError("%s does not exist", file)
	} else if err == nil && info.IsDir() {
		return usageError("%s is a folder: give the configuration file, such as %s/herald.toml", file, file)
	}
	cfg, err := config.Load(file)
	var certs *acme.Manager // reads ca_root; obtains nothing
	if err == nil {
		if certs, err = newACME(cfg, slog.New(slog.DiscardHandler)); certs != nil {
			defer certs.Close()
		}
	}
	if err == nil {
		var running *sites.Running
		if running, err = sites.Open(cfg, backend(cfg, slog.New(slog.DiscardHandler), io.Discard, nil, nil, certs)); err == nil {
			defer running.Close()
			return listFindings(c, running)
		}
	}
	var list config.Errors
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		fmt.Fprintln(c.App.Writer, e)
	}
	return &exitError{exitFindings, errors.New("")} // the list is the message
}

// listFindings lists what the opened sites do not serve as they are, and
// says ok when none of it needs fixing.
func listFindings(c *cli.Context, running *sites.Running) error {
	mistakes := 0
	for _, e := range running.Findings() {
		if e.Warning {
			w := *e
			w.Msg = "warning: " + w.Msg
			e = &w
		} else {
			mistakes++
		}
		fmt.Fprintln(c.App.Writer, e)
	}
	if mistakes > 0 {
		return &exitError{exitFindings, errors.New("")} // the list is the message
	}
	fmt.Fprintf(c.App.Writer, "ok: %d sites on %d addresses\n", len(running.Sites), len(running.Listeners))
	return nil
}
