// Command herald serves a static site and sends every page's critical assets
// before the browser asks for them: HTTP/2 push, 103 Early Hints and
// Link: rel=preload headers, all from one push manifest.
//
// Exit codes: 0 success, 1 findings or a failure the user must act on,
// 2 a usage or configuration error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// exitError carries an exit code from a command to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a mistake in how herald was called (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

// findings marks a run that worked and found something to fix (exit 1).
func findings(format string, args ...any) error {
	return &exitError{exitFindings, fmt.Errorf(format, args...)}
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "herald",
		Usage: "serve a static site and send each page's critical assets early",
		Description: `herald reads every HTML page of a site and the CSS it loads, and writes a
push manifest: for each page, the stylesheets, scripts, fonts and hero image a
browser needs before it can paint. herald serve delivers them early (HTTP/2
push, 103 Early Hints, Link: rel=preload); herald export writes the same hints
for other servers and CDNs.`,
		Commands: []*cli.Command{
			buildCommand(),
			checkCommand(),
			showCommand(),
			exportCommand(),
			serveCommand(),
			bundleCommand(),
			configCommand(),
			caCommand(),
			versionCommand(),
			completionCommand(),
		},
		EnableBashCompletion: true, // herald completion bash|zsh
		Version:              version(),
		Action:               unknownCommand,
		OnUsageError:         onUsageError,
		// urfave/cli calls os.Exit for errors that carry an exit code
		// (its own "No help topic"): they are returned to run instead.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		setUsageError(c)
	}
	return app
}

// unknownCommand is herald's action: help when called alone, a usage error
// when followed by a name that is not one of its commands.
func unknownCommand(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowAppHelp(c)
	}
	return usageError("unknown command %q: see herald --help", c.Args().First())
}

// unknownSubcommand is unknownCommand for a command made of subcommands
// (herald config, herald ca; none is deeper).
func unknownSubcommand(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowSubcommandHelp(c)
	}
	return usageError("unknown command %q: see herald %s --help", c.Args().First(), c.Command.Name)
}

// onUsageError makes a mistake in flags or arguments exit with status 2.
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	return &exitError{exitUsage, err}
}

// setUsageError gives c and the commands under it herald's handling of
// usage errors and unknown subcommands. Each app has commands of its own
// (each command is made by a function), so urfave/cli's changes to them as
// it runs (HelpName, its help command among the subcommands) never reach
// another app of the process, such as a test's.
func setUsageError(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = onUsageError
	}
	if c.Action == nil && len(c.Subcommands) > 0 {
		c.Action = unknownSubcommand
	}
	for _, sub := range c.Subcommands {
		setUsageError(sub)
	}
}

func init() {
	// herald --version prints what herald version does; see flagString.
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, c.App.Version) }
	cli.FlagStringer = flagString
}

func main() {
	stop, err := cpuProfile(os.Getenv("HERALD_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "herald: error: HERALD_CPUPROFILE: %v\n", err)
		os.Exit(exitFindings)
	}
	code, bundled := runBundled(os.Args, os.Stdout, os.Stderr) // a bundle serves its own site
	if !bundled {
		code = run(os.Args, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// cpuProfile starts a CPU profile of the whole run into file, when file is
// not empty; stop writes it out. It is read from the environment rather than
// a flag so that it reaches herald serve, a bundle and every other command
// alike without being part of their interface (scripts/bench-serve.sh uses it).
func cpuProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "herald: error: HERALD_CPUPROFILE: %v\n", err)
		}
	}, nil
}

// run runs herald with args and returns its exit code.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	args, err := flagsFirst(app, args)
	if err == nil {
		err = app.Run(args)
	}
	if err == nil {
		return exitOK
	}
	code := exitFindings
	var ee *exitError
	var cliErr cli.ExitCoder
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &cliErr): // urfave/cli's own, such as "No help topic for 'x'"
		code = exitUsage
	}
	if err.Error() != "" {
		fmt.Fprintf(stderr, "herald: error: %s\n", asTyped(err.Error(), args))
	}
	return code
}

// asTyped writes an unknown flag in an error of package flag as it was
// typed: flag always says "-port", for --port too. A bad value of a
// boolean flag is said as any other flag's: --preload "yes": use on or off.
func asTyped(msg string, args []string) string {
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// invalid boolean value "yes" for -preload: "yes": use on or off
		value, rest, _ := strings.Cut(rest, " for -")
		name, why, _ := strings.Cut(rest, ": ")
		if why = strings.TrimPrefix(why, value+": "); why == "parse error" {
			why = "use true or false"
		}
		return fmt.Sprintf("--%s %s: %s", name, value, why)
	}
	const unknown = "flag provided but not defined: -"
	name, ok := strings.CutPrefix(msg, unknown)
	if !ok {
		return msg
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if typed, _, _ := strings.Cut(a, "="); strings.TrimLeft(typed, "-") == name && strings.HasPrefix(typed, "-") {
			return "flag provided but not defined: " + typed
		}
	}
	return msg
}
