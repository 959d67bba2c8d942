package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfaveFlagString is urfave/cli's own line of help for a flag.
var urfaveFlagString = cli.FlagStringer

// flagString is a flag's line of help. urfave/cli appends the flag's zero
// or default value, "(default: 0)"; a flag whose usage says its default in
// words (--max-assets "none", --live-reload "on for a folder served on a
// loopback address...") keeps only that one. A switch is written
// --hints=on|off.
func flagString(f cli.Flag) string {
	s := urfaveFlagString(f)
	if sw, ok := f.(*switchFlag); ok { // not "--hints value"
		s = strings.Replace(s, "--"+sw.Name+" value", "--"+sw.Name+"=on|off", 1)
	}
	df, ok := f.(cli.DocGenerationFlag)
	if !ok || !strings.Contains(df.GetUsage(), "(default: ") {
		return s
	}
	return strings.TrimSuffix(s, fmt.Sprintf(" (default: %s)", df.GetDefaultText()))
}
