package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print herald's version and the revision it was built from",
		Description: `Prints the module version, the version control revision (marked modified
	when built from a changed tree), the time of that revision's commit and the
	Go toolchain, all read from the build information of the executable. The
	version is (devel) when the build recorded none. Same as herald --version.

	Examples:
	    herald version
	    herald --version`,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageError("herald version takes no arguments (got %q)", c.Args().First())
			}
			fmt.Fprintln(c.App.Writer, version())
			return nil
		},
	}
}

// version describes this executable from its build information.
func version() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(info, runtime.GOOS+"/"+runtime.GOARCH)
}

// versionOf writes info on one line: herald VERSION (revision REV,
// modified, committed TIME, GOVERSION PLATFORM). info may be nil, or lack any of
// them, as in a test binary or a build with -buildvcs=false.
func versionOf(info *debug.BuildInfo, platform string) string {
	v, goVersion := "", runtime.Version()
	var details []string
	if info != nil {
		v, goVersion = info.Main.Version, info.GoVersion
		s := map[string]string{}
		for _, kv := range info.Settings {
			s[kv.Key] = kv.Value
		}
		if rev := s["vcs.revision"]; rev != "" {
			details = append(details, "revision "+rev)
		}
		if s["vcs.modified"] == "true" {
			details = append(details, "modified")
		}
		if t := s["vcs.time"]; t != "" {
			details = append(details, "committed "+t)
		}
	}
	if v == "" {
		v = "(devel)"
	}
	details = append(details, goVersion+" "+platform)
	return fmt.Sprintf("herald %s (%s)", v, strings.Join(details, ", "))
}
