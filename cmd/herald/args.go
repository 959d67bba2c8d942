package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves a subcommand's flags ahead of its other arguments, so
// `herald build ./public -o m.json` works as well as `herald build -o m.json
// ./public` (urfave/cli stops reading flags at the first argument). A "--"
// ends the flags, as usual. A flag that needs a value but is given last is
// a usage error: moved ahead, it would take the folder as its value.
func flagsFirst(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 || args[len(args)-1] == "--generate-bash-completion" {
		return args, nil // urfave/cli completes only when it is the last argument
	}
	cmds := app.Commands
	i := 1
	// Walk down the command path: herald config check ...
	var cmd *cli.Command
	for i < len(args) {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		i++
	}
	if cmd == nil {
		return args, nil
	}
	var flags, rest []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			rest = append(rest, args[j:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if j+1 < len(args) && !strings.Contains(a, "=") && isSwitch(cmd, strings.TrimLeft(a, "-")) {
			// --hints off, as the help writes a switch: to package flag a
			// switch is boolean, and would leave off as the folder.
			if _, ok := switchWords[args[j+1]]; ok {
				j++
				flags[len(flags)-1] = a + "=" + args[j]
				continue
			}
		}
		if strings.Contains(a, "=") || !takesValue(cmd, strings.TrimLeft(a, "-")) {
			continue
		}
		if j+1 == len(args) {
			return nil, usageError("flag needs an argument: %s", a)
		}
		j++
		flags = append(flags, args[j])
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	return append(out, rest...), nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// isSwitch reports whether the named flag of cmd is a switchFlag.
func isSwitch(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if s, ok := f.(*switchFlag); ok && s.Name == name {
			return true
		}
	}
	return false
}

// takesValue reports whether the named flag of cmd reads the next argument.
func takesValue(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if bf, ok := f.(*cli.BoolFlag); ok && bf != nil {
				return false
			}
			if bf, ok := f.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() { // --access-log
				return false
			}
			return true
		}
	}
	return false // unknown flags are left for urfave/cli to report
}
