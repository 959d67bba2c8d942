package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"herald/serve"

	"github.com/urfave/cli/v2"
)

var caDirFlag = &cli.StringFlag{
	Name:  "dir",
	Usage: "the `FOLDER` of the local certificate authority (default: herald in the user's config folder)",
}

var caCommand = &cli.Command{
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
			Flags:  []cli.Flag{caDirFlag},
			Action: func(c *cli.Context) error { return caAction(c, caPath) },
		},
		{
			Name:  "install",
			Usage: "trust the authority: system trust store and NSS databases",
			Flags: []cli.Flag{caDirFlag,
				&cli.BoolFlag{Name: "system", Value: true, Usage: "install into the system trust store (update-ca-certificates or update-ca-trust)"},
				&cli.BoolFlag{Name: "nss", Value: true, Usage: "install into the NSS databases of Chromium and Firefox (certutil)"},
			},
			Action: func(c *cli.Context) error { return caAction(c, caInstall) },
		},
		{
			Name:  "uninstall",
			Usage: "remove the authority from the trust stores (the files stay)",
			Flags: []cli.Flag{caDirFlag,
				&cli.BoolFlag{Name: "system", Value: true, Usage: "remove from the system trust store"},
				&cli.BoolFlag{Name: "nss", Value: true, Usage: "remove from the NSS databases"},
			},
			Action: func(c *cli.Context) error { return caAction(c, caUninstall) },
		},
	},
}

// localCA is the authority a ca subcommand works on.
type localCA struct {
	file string // its certificate, PEM
	name string // the name it is installed under: herald plus a fingerprint
}

func caAction(c *cli.Context, f func(*cli.Context, localCA) error) error {
	if c.NArg() > 0 {
		return usageError("herald ca %s takes no arguments, got %q", c.Command.Name, c.Args().First())
	}
	dir := c.String("dir")
	if dir == "" {
		var err error
		if dir, err = serve.DefaultCertDir(); err != nil {
			return err
		}
	}
	file, err := serve.CACertFile(dir)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return fmt.Errorf("%s holds no certificate", file)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	sum := sha256.Sum256(block.Bytes)
	return f(c, localCA{file: file, name: "herald local CA " + hex.EncodeToString(sum[:4])})
}

func caPath(c *cli.Context, ca localCA) error {
	fmt.Fprintln(c.App.Writer, ca.file)
	return nil
}

func caInstall(c *cli.Context, ca localCA) error {
	return caStores(c, ca, true)
}

func caUninstall(c *cli.Context, ca localCA) error {
	return caStores(c, ca, false)
}

// caStores installs or removes ca in the stores the flags select. A store
// whose tool is missing gets a hint; it is an error only when no store could
// be changed at all.
func caStores(c *cli.Context, ca localCA, install bool) error {
	out, errw := c.App.Writer, c.App.ErrWriter
	done, failed := 0, 0
	if c.Bool("system") {
		switch msg, err := systemStore(ca, install); {
		case err != nil:
			fmt.Fprintf(errw, "herald: error: system trust store: %v\n", err)
			failed++
		case msg != "":
			fmt.Fprintln(out, msg)
			done++
		}
	}
	if c.Bool("nss") {
		n, err := nssStores(out, errw, ca, install)
		done += n
		if err != nil {
			fmt.Fprintf(errw, "herald: error: NSS: %v\n", err)
			failed++
		}
	}
	switch {
	case failed > 0 && done == 0:
		return findings("no trust store was changed")
	case failed > 0:
		return findings("some trust stores were not changed")
	}
	return nil
}

// systemStores are the system trust stores herald knows: a folder of
// certificates and the command that rebuilds the store from it.
var systemStores = []struct {
	dir, ext string
	update   []string
}{
	{"/usr/local/share/ca-certificates", ".crt", []string{"update-ca-certificates"}},     // Debian, Ubuntu, Alpine
	{"/etc/pki/ca-trust/source/anchors", ".pem", []string{"update-ca-trust", "extract"}}, // Fedora, RHEL
	{"/etc/ca-certificates/trust-source/anchors", ".crt", []string{"trust", "extract-compat"}},
}

// systemStore installs or removes ca in the first system store present,
// through sudo when not root. It returns what it did.
func systemStore(ca localCA, install bool) (string, error) {
	for _, s := range systemStores {
		if _, err := os.Stat(s.dir); err != nil {
			continue
		}
		if _, err := exec.LookPath(s.update[0]); err != nil {
			continue
		}
		file := filepath.Join(s.dir, strings.ReplaceAll(ca.name, " ", "_")+s.ext)
		if install {
			b, err := os.ReadFile(ca.file)
			if err != nil {
				return "", err
			}
			if err := asRoot(bytes.NewReader(b), "tee", file); err != nil {
				return "", err
			}
		} else if err := asRoot(nil, "rm", "-f", file); err != nil {
			return "", err
		}
		if err := asRoot(nil, s.update...); err != nil {
			return "", err
		}
		if install {
			return fmt.Sprintf("installed %s into the system trust store (%s)", ca.name, file), nil
		}
		return fmt.Sprintf("removed %s from the system trust store (%s)", ca.name, file), nil
	}
	return "", errors.New("no known system trust store here (looked for update-ca-certificates, update-ca-trust and trust): trust " + ca.file + " by hand")
}

// asRoot runs a command, through sudo when herald does not run as root.
func asRoot(stdin io.Reader, args ...string) error {
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return fmt.Errorf("%s needs root and sudo is not installed: run herald ca install as root", args[0])
		}
		args = append([]string{"sudo"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// nssStores installs or removes ca in the NSS databases of the user's
// browsers: Chromium's ~/.pki/nssdb (made when missing, as Chromium reads it
// from its first start on), the snap Chromium's, and every Firefox profile's.
// It returns how many databases it changed.
func nssStores(out, errw io.Writer, ca localCA, install bool) (int, error) {
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		fmt.Fprintln(errw, "herald: hint: install certutil (Debian, Ubuntu: apt install libnss3-tools; Fedora: dnf install nss-tools) and run this again")
		return 0, errors.New("certutil is not installed: Chromium and Firefox do not trust the local authority until it is")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return 0, err
	}
	chromium := filepath.Join(home, ".pki", "nssdb")
	dbs := []string{"sql:" + chromium}
	if install {
		if _, err := os.Stat(filepath.Join(chromium, "cert9.db")); err != nil {
			if err := os.MkdirAll(chromium, 0o700); err != nil {
				return 0, err
			}
			if err := runQuiet(certutil, "-N", "--empty-password", "-d", "sql:"+chromium); err != nil {
				return 0, err
			}
		}
	}
	more, _ := filepath.Glob(filepath.Join(home, "snap", "chromium", "current", ".pki", "nssdb", "cert9.db"))
	profiles, _ := filepath.Glob(filepath.Join(home, ".mozilla", "firefox", "*", "cert9.db"))
	for _, db := range append(more, profiles...) {
		dbs = append(dbs, "sql:"+filepath.Dir(db))
	}
	changed := 0
	var errs []error
	for _, db := range dbs {
		if _, err := os.Stat(filepath.Join(strings.TrimPrefix(db, "sql:"), "cert9.db")); err != nil {
			continue
		}
		if install {
			err = runQuiet(certutil, "-A", "-d", db, "-t", "C,,", "-n", ca.name, "-i", ca.file)
		} else if runQuiet(certutil, "-L", "-d", db, "-n", ca.name) == nil {
			err = runQuiet(certutil, "-D", "-d", db, "-n", ca.name)
		} else {
			continue // not installed there
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changed++
		verb := "installed " + ca.name + " into"
		if !install {
			verb = "removed " + ca.name + " from"
		}
		fmt.Fprintf(out, "%s the NSS database %s\n", verb, strings.TrimPrefix(db, "sql:"))
	}
	return changed, errors.Join(errs...)
}

func runQuiet(name string, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
