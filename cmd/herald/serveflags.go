package main

import (
	"fmt"

	"herald/serve"

	"github.com/urfave/cli/v2"
)

// listenFlags say where and how herald serve and a bundle listen;
// serverOptions reads them.
func listenFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "addr", Value: serve.DefaultAddr, Usage: "listen on `HOST:PORT`"},
		&cli.StringFlag{Name: "cert", Usage: "TLS certificate chain, PEM `FILE` (with --key)"},
		&cli.StringFlag{Name: "key", Usage: "TLS private key, PEM `FILE` (with --cert)"},
		newSwitch("http3", true, "HTTP/3 over UDP on the same port, with TLS"),
		&cli.StringFlag{Name: "metrics", Usage: "serve Prometheus metrics at http://`HOST:PORT`/metrics, such as 127.0.0.1:9180"},
	}
}

// handlerFlags are the flags that tune how a site is served. Their
// defaults are serve.DefaultOptions written as flag values, so a default
// changed there changes the command line with it; handlerOptions reads
// them back.
func handlerFlags() []cli.Flag {
	d := serve.DefaultOptions()
	return []cli.Flag{
		&cli.StringFlag{Name: "push", Value: string(d.Push), Usage: "HTTP/2 server push: auto or off"},
		newSwitch("hints", d.Hints, "103 Early Hints"),
		newSwitch("preload", d.Preload, "Link: rel=preload headers"),
		newSwitch("compress", d.Compress, "send text files compressed (zstd, br, gzip), each once per content hash"),
		&cli.StringFlag{Name: "push-max-bytes", Value: sizeValue(d.PushMaxBytes), Usage: "push at most `SIZE` per page"},
		&cli.IntFlag{Name: "push-max-count", Value: d.PushMaxCount, Usage: "push at most `N` assets per page"},
		&cli.BoolFlag{Name: "clean-urls", Value: d.CleanURLs, Usage: "serve /about from about.html, and redirect /about.html to /about (308)"},
		&cli.StringFlag{Name: "spa", Value: d.SPA, Usage: "serve `PAGE` (such as /index.html) for navigations to paths without a file: a single-page app's routes"},
		&cli.BoolFlag{Name: "listing", Value: d.Listing, Usage: "list the files of folders without an index.html"},
		&accessLogFlag{cli.GenericFlag{Name: "access-log", Value: &accessLogValue{}, Usage: "log every request on standard error: --access-log alone or =text a logfmt line, =json a JSON object, =off none (write the =)"}},
	}
}

// accessLogFlag is --access-log. A bool flag to Go's flag package
// (IsBoolFlag), so --access-log alone stays valid and means text; a format
// needs the =, as --access-log=json: "--access-log json" would read json
// as the folder.
type accessLogFlag struct{ cli.GenericFlag }

func (f *accessLogFlag) IsBoolFlag() bool { return true }

// accessLogValue is the format --access-log gives.
type accessLogValue struct{ f serve.AccessLogFormat }

func (v *accessLogValue) Set(s string) (err error) {
	v.f, err = serve.ParseAccessLogFormat(s)
	return err
}

func (v *accessLogValue) String() string {
	if v == nil || v.f == "" {
		return string(serve.AccessLogOff)
	}
	return string(v.f)
}

func (v *accessLogValue) IsBoolFlag() bool { return true }

// switchFlag is a flag that turns something on or off: a boolean, as the
// same setting is in herald.toml and serve.Options, that also reads on and
// off. --hints alone means on; --hints=off, --hints=false and (see
// flagsFirst) --hints off turn it off.
type switchFlag struct{ cli.GenericFlag }

func newSwitch(name string, def bool, usage string) *switchFlag {
	return &switchFlag{cli.GenericFlag{Name: name, Value: &switchValue{on: def}, Usage: usage}}
}

func (f *switchFlag) IsBoolFlag() bool { return true }

// String is the flag's line of help (the embedded flag's would not see
// that it is a switch).
func (f *switchFlag) String() string { return flagString(f) }

// switchValue is the value of a switchFlag.
type switchValue struct{ on bool }

func (v *switchValue) Set(s string) error {
	on, ok := switchWords[s]
	if !ok {
		return fmt.Errorf("%q: use on or off", s)
	}
	v.on = on
	return nil
}

func (v *switchValue) String() string {
	if v != nil && v.on {
		return "on"
	}
	return "off"
}

func (v *switchValue) IsBoolFlag() bool { return true }

// switchWords are the values a switch reads.
var switchWords = map[string]bool{"on": true, "off": false, "true": true, "false": false}

// switchOn reads a switchFlag of c.
func switchOn(c *cli.Context, name string) bool {
	v, ok := c.Generic(name).(*switchValue)
	return ok && v.on
}

// sizeValue writes a byte count as parseBytes reads it, in the largest
// binary unit that divides it.
func sizeValue(n int64) string {
	switch {
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprint(n)
}
