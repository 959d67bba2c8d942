package main

import (
	"fmt"

	"herald/localca"

	"github.com/urfave/cli/v2"
)

func caDirFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "dir",
		Usage: "the `FOLDER` of the local certificate authority (default: herald in the user's config folder)",
	}
}

func caCommand() *cli.Command {
	return &cli.Command{
		Name:  "ca",
		Usage: "the local certificate authority behind herald serve --tls",
		Description: `herald serve --tls serves a localhost certificate issued by a certificate
	authority of your own, made once and kept in your config folder. Browsers use
	103 Early Hints only over a certificate they trust, so install the authority
	once into the system trust store and the NSS databases of Chromium and
	Firefox (this needs root for the system store, and certutil for NSS).

	Examples:
	    herald ca path
	    herald ca install
	    herald ca install --system=false     # only the browsers' NSS databases
	    herald ca uninstall`,
		HideHelpCommand: true,
		Subcommands: []*cli.Command{
			{
				Name:   "path",
				Usage:  "print the path of the authority's certificate (made if missing)",
				Flags:  []cli.Flag{caDirFlag()},
				Action: func(c *cli.Context) error { return caAction(c, caPath) },
			},
			{
				Name:  "install",
				Usage: "trust the authority: system trust store and NSS databases",
				Flags: []cli.Flag{caDirFlag(),
					&cli.BoolFlag{Name: "system", Value: true, Usage: "install into the system trust store (update-ca-certificates or update-ca-trust)"},
					&cli.BoolFlag{Name: "nss", Value: true, Usage: "install into the NSS databases of Chromium and Firefox (certutil)"},
					&cli.BoolFlag{Name: "java", Usage: "install into Java's trust store (keytool)"},
				},
				Action: func(c *cli.Context) error { return caAction(c, caStores(localca.Install)) },
			},
			{
				Name:  "uninstall",
				Usage: "remove the authority from the trust stores (the files stay)",
				Flags: []cli.Flag{caDirFlag(),
					&cli.BoolFlag{Name: "system", Value: true, Usage: "remove from the system trust store"},
					&cli.BoolFlag{Name: "nss", Value: true, Usage: "remove from the NSS databases"},
					&cli.BoolFlag{Name: "java", Usage: "remove from Java's trust store"},
				},
				Action: func(c *cli.Context) error { return caAction(c, caStores(localca.Uninstall)) },
			},
		},
	}
}

// caAction runs f on the authority's folder, --dir or the default one.
func caAction(c *cli.Context, f func(*cli.Context, string) error) error {
	if c.NArg() > 0 {
		return usageError("herald ca %s takes no arguments, got %q", c.Command.Name, c.Args().First())
	}
	dir := c.String("dir")
	if dir == "" {
		var err error
		if dir, err = localca.DefaultDir(); err != nil {
			return err
		}
	}
	return f(c, dir)
}

func caPath(c *cli.Context, dir string) error {
	file, err := localca.CertFile(dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, file)
	return nil
}

// caStores installs or removes the authority (change) in the stores the
// flags select, printing what was changed and each store that was not. It
// fails only when no store could be changed.
func caStores(change func(string, localca.Stores) ([]string, error)) func(*cli.Context, string) error {
	return func(c *cli.Context, dir string) error {
		done, err := change(dir, localca.Stores{System: c.Bool("system"), NSS: c.Bool("nss"), Java: c.Bool("java")})
		for _, line := range done {
			fmt.Fprintln(c.App.Writer, line)
		}
		switch {
		case err != nil && len(done) == 0:
			fmt.Fprintf(c.App.ErrWriter, "herald: %v\n", err)
			return findings("no trust store was changed")
		case err != nil:
			fmt.Fprintf(c.App.ErrWriter, "herald: %v\n", err)
			return findings("some trust stores were not changed")
		}
		return nil
	}
}
