package main

import (
	"flag"
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
		&cli.StringFlag{Name: "http3", Value: "on", Usage: "HTTP/3 over UDP on the same port, with TLS: on or off"},
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
		&cli.StringFlag{Name: "hints", Value: onOffValue(d.Hints), Usage: "103 Early Hints: on or off"},
		&cli.StringFlag{Name: "preload", Value: onOffValue(d.Preload), Usage: "Link: rel=preload headers: on or off"},
		&cli.StringFlag{Name: "compress", Value: onOffValue(d.Compress), Usage: "send text files compressed (zstd, br, gzip), each once per content hash: on or off"},
		&cli.StringFlag{Name: "push-max-bytes", Value: sizeValue(d.PushMaxBytes), Usage: "push at most `SIZE` per page"},
		&cli.IntFlag{Name: "push-max-count", Value: d.PushMaxCount, Usage: "push at most `N` assets per page"},
		&accessLogFlag{cli.GenericFlag{Name: "access-log", Value: &accessLogValue{}, Usage: "log every request on standard error: --access-log alone or =text a logfmt line, =json a JSON object, =off none (write the =)"}},
	}
}

// accessLogFlag is --access-log. A bool flag to Go's flag package
// (IsBoolFlag), so --access-log alone stays valid and means text; a format
// needs the =, as --access-log=json: "--access-log json" would read json
// as the folder.
type accessLogFlag struct{ cli.GenericFlag }

// Apply puts back the default before the arguments are read: the flag,
// and so its value, outlives one run of the command line (the commands
// are package variables).
func (f *accessLogFlag) Apply(set *flag.FlagSet) error {
	f.Value.(*accessLogValue).f = serve.AccessLogOff
	return f.GenericFlag.Apply(set)
}

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

// onOffValue writes a switch as onOff reads it.
func onOffValue(on bool) string {
	if on {
		return "on"
	}
	return "off"
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
