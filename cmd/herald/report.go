package main

import (
	"github.com/urfave/cli/v2"
)

func reportFlag() cli.Flag {
	return &cli.BoolFlag{Name: "report",
		Usage: "serve /_herald/, what each page gets and what the browser did with it " +
			"(default: on for a loopback address without --cert, off otherwise)"}
}

// reportOn applies --report, or its default: on while developing (a
// loopback address, no certificate of the site's own), off for a site
// being published. It is set apart from live reload: the example site is
// not watched, and its report is the first thing to look at. Asked for
// with --report, it is served with --cert too: the report shows nothing
// a visitor cannot find in the pages, and the beacons it takes are bounded.
func reportOn(c *cli.Context) bool {
	if c.IsSet("report") {
		return c.Bool("report")
	}
	return loopback(c.String("addr")) && c.String("cert") == "" && c.String("acme") == ""
}
