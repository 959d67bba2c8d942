package main

import (
	"fmt"

	"herald/acme"
	"herald/config"
	"herald/serve"

	"github.com/urfave/cli/v2"
)

// listenFlags say where and how herald serve and a bundle listen: the
// address and certificate, then the flags of [server]'s own keys
// (serverFlags); serverOptions reads them.
func listenFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "addr", Value: serve.DefaultAddr, Usage: "listen on `HOST:PORT`"},
		&cli.StringFlag{Name: "cert", Usage: "TLS certificate chain, PEM `FILE` (with --key)"},
		&cli.StringFlag{Name: "key", Usage: "TLS private key, PEM `FILE` (with --cert)"},
	}, serverFlags("")...)
}

// serverFlags are the flags of the config.ServerSettings in table ("" for
// [server]'s own keys, "acme" for [server.acme]), with their defaults from
// config.DefaultServer; serverFlagValues reads them back.
func serverFlags(table string) []cli.Flag {
	d := config.DefaultServer()
	d.ACME.Directory = acme.LetsEncrypt // what "" means, shown in the help
	var flags []cli.Flag
	for _, s := range config.ServerSettings {
		if s.Flag == "" || s.Table() != table {
			continue
		}
		flags = append(flags, newFlag(s.Flag, s.Usage, s.Field(&d)))
	}
	return flags
}

// newFlag makes the flag name of a setting whose field (in the defaults)
// is def: the field's type says the kind of flag, its value the default.
func newFlag(name, usage string, def any) cli.Flag {
	switch v := def.(type) {
	case *bool:
		return newSwitch(name, *v, usage)
	case *int:
		return &cli.IntFlag{Name: name, Value: *v, Usage: usage}
	case *int64:
		return &cli.StringFlag{Name: name, Value: sizeValue(*v), Usage: usage}
	case *string:
		return &cli.StringFlag{Name: name, Value: *v, Usage: usage}
	case *serve.PushMode:
		return &cli.StringFlag{Name: name, Value: string(*v), Usage: usage}
	case *serve.AccessLogFormat:
		return &accessLogFlag{cli.GenericFlag{Name: name, Value: &accessLogValue{*v}, Usage: usage}}
	}
	panic(fmt.Sprintf("--%s: no flag for a setting of type %T", name, def))
}

// serverFlagValues reads the serverFlags given on the command line into
// config.DefaultServer, each string checked by its setting's Check: the
// same words herald.toml gets, after the flag's name.
func serverFlagValues(c *cli.Context) (config.Server, error) {
	s := config.DefaultServer()
	for _, st := range config.ServerSettings {
		if st.Flag == "" || !c.IsSet(st.Flag) {
			continue
		}
		switch v := st.Field(&s).(type) {
		case *bool:
			*v = switchOn(c, st.Flag)
		case *string:
			*v = c.String(st.Flag)
			if st.Check != nil {
				if err := st.Check(*v); err != nil {
					return s, usageError("--%s: %v", st.Flag, err)
				}
			}
		case *serve.AccessLogFormat:
			if f, ok := c.Generic(st.Flag).(*accessLogValue); ok {
				*v = f.f
			}
		}
	}
	return s, nil
}

// listenOptions are the serve.ServerOptions that the [server] settings s
// give every listener; Addr, TLS and Logger are each listener's own.
func listenOptions(s config.Server) serve.ServerOptions {
	return serve.ServerOptions{
		Limits: s.Limits, Coalesce: s.Coalesce, NoHTTP3: !s.HTTP3,
	}
}

// handlerFlags are the flags that tune how a site is served: one for
// each serve.Settings that has a flag, with its default from
// serve.DefaultOptions, so that a setting or default changed there changes
// the command line with it. handlerOptions reads them back.
func handlerFlags() []cli.Flag {
	d := serve.DefaultOptions()
	var flags []cli.Flag
	for _, s := range serve.Settings {
		if s.Flag == "" {
			continue
		}
		flags = append(flags, newFlag(s.Flag, s.Usage, s.Field(&d)))
	}
	return flags
}

// handlerOptions reads handlerFlags into serve.Options, and the access
// log of --access-log where the command has it.
func handlerOptions(c *cli.Context) (serve.Options, error) {
	opts := serve.DefaultOptions()
	for _, s := range serve.Settings {
		if s.Flag == "" {
			continue
		}
		if err := setFlag(c, s, &opts); err != nil {
			return opts, usageError("--%s: %v", s.Flag, err)
		}
	}
	s, err := serverFlagValues(c)
	opts.AccessLog = s.AccessLog.Logger(c.App.ErrWriter)
	return opts, err
}

// flagOf names the flag of the serve.Settings entry whose field is the
// one field points at: "--push-max-bytes" for &o.PushMaxBytes.
func flagOf(field func(o *serve.Options) any) string {
	var o serve.Options
	for _, s := range serve.Settings {
		if s.Flag != "" && s.Field(&o) == field(&o) {
			return "--" + s.Flag
		}
	}
	panic("serve.Settings: no flag sets the field")
}

// setFlag sets s in o from its flag.
func setFlag(c *cli.Context, s serve.Setting, o *serve.Options) (err error) {
	switch v := s.Field(o).(type) {
	case *bool:
		*v = switchOn(c, s.Flag)
	case *int:
		if *v = c.Int(s.Flag); *v < 0 {
			return fmt.Errorf("%d is not a count: give 0 or more", *v)
		}
	case *int64:
		*v, err = parseBytes(c.String(s.Flag))
	case *string:
		if *v = c.String(s.Flag); *v != "" && s.Check != nil {
			err = s.Check(*v)
		}
	case *serve.PushMode:
		*v, err = serve.ParsePushMode(c.String(s.Flag))
	}
	return err
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
