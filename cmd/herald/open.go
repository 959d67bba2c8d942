package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"
)

func openFlag() cli.Flag {
	return &cli.BoolFlag{Name: "open", Usage: "open the URL in the browser ($BROWSER when set, else the system's opener)"}
}

// browserCommands lists the commands that may open url, in the order to
// try them. $BROWSER, as most Unix programs read it, is a list of commands
// separated by colons, each run with the URL in place of %s, or after it.
// Without it: xdg-open, open on macOS, the URL handler on Windows.
func browserCommands(url, browser, goos string) [][]string {
	var cmds [][]string
	for entry := range strings.SplitSeq(browser, string(os.PathListSeparator)) {
		args := strings.Fields(entry)
		if len(args) == 0 {
			continue
		}
		if strings.Contains(entry, "%s") {
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "%s", url)
			}
		} else {
			args = append(args, url)
		}
		cmds = append(cmds, args)
	}
	if len(cmds) > 0 {
		return cmds
	}
	switch goos {
	case "darwin":
		return [][]string{{"open", url}}
	case "windows":
		return [][]string{{"rundll32", "url.dll,FileProtocolHandler", url}}
	}
	return [][]string{{"xdg-open", url}}
}

// openURL opens url in the browser for --open, or says why it could not.
func openURL(logger *slog.Logger, url string) {
	if err := openBrowser(url); err != nil {
		logger.Warn(fmt.Sprintf("cannot open a browser (%v): open %s yourself, or set $BROWSER", err, url))
	}
}

// openBrowser starts the first of browserCommands that can be started and
// does not wait for it (its exit is collected in the background).
func openBrowser(url string) error {
	var errs []error
	for _, args := range browserCommands(url, os.Getenv("BROWSER"), runtime.GOOS) {
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Start(); err != nil {
			errs = append(errs, err)
			continue
		}
		go cmd.Wait()
		return nil
	}
	return errors.Join(errs...)
}
