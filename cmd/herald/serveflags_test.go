package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"herald/config"
	"herald/serve"

	"github.com/urfave/cli/v2"
)

// TestFlagDefaults holds the command lines of herald serve and of a bundle
// to serve.DefaultOptions: given no flag, each serves with the options a
// library user of package serve starts from, so a default changed there
// changes both.
func TestFlagDefaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []cli.Flag
	}{
		{"serve", serveCommand().Flags},
		{"bundle", bundledApp(nil).Flags},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got serve.Options
			app := &cli.App{Flags: tt.flags, Action: func(c *cli.Context) (err error) {
				got, err = handlerOptions(c)
				return err
			}}
			if err := app.Run([]string{"herald"}); err != nil {
				t.Fatalf("no flags: %v", err)
			}
			if want := serve.DefaultOptions(); !reflect.DeepEqual(got, want) {
				t.Errorf("options from the default flags:\n%+v\nwant serve.DefaultOptions():\n%+v", got, want)
			}
		})
	}
}

// TestSwitches reads the switches every way they can be written: alone,
// with =, and with on or off as the next argument, which flagsFirst joins
// (to package flag a switch is boolean, and would take off as the folder).
func TestSwitches(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--hints=off"}, false},
		{[]string{"--hints=false"}, false},
		{[]string{"--hints", "off", "."}, false},
		{[]string{".", "--hints", "off"}, false},
		{[]string{"--hints=off", "--hints"}, true},
		{[]string{"--hints=off", "--hints", "on"}, true},
		{[]string{"--hints=off", "--hints=true"}, true},
		{[]string{"--hints", "."}, true},
	}
	for _, tt := range tests {
		var got serve.Options
		var folder string
		cmd := &cli.Command{Name: "serve", Flags: handlerFlags(), Action: func(c *cli.Context) (err error) {
			folder = c.Args().First()
			got, err = handlerOptions(c)
			return err
		}}
		app := &cli.App{Commands: []*cli.Command{cmd}}
		args, err := flagsFirst(app, append([]string{"herald", "serve"}, tt.args...))
		if err == nil {
			err = app.Run(args)
		}
		if err != nil || got.Hints != tt.want || (folder != "" && folder != ".") {
			t.Errorf("%q: hints %v, folder %q, err %v; want hints %v", tt.args, got.Hints, folder, err, tt.want)
		}
	}
}

// TestRoutingFlags: --clean-urls, --spa and --listing reach the handler's
// options, and a PAGE that is not a path is a usage error.
func TestRoutingFlags(t *testing.T) {
	run := func(args ...string) (serve.Options, error) {
		var got serve.Options
		app := &cli.App{Flags: serveCommand().Flags, Action: func(c *cli.Context) (err error) {
			got, err = handlerOptions(c)
			return err
		}}
		err := app.Run(append([]string{"herald"}, args...))
		return got, err
	}
	got, err := run("--clean-urls", "--spa", "/index.html", "--listing")
	if err != nil || !got.CleanURLs || got.SPA != "/index.html" || !got.Listing {
		t.Errorf("options %+v, %v", got, err)
	}
	if _, err := run("--spa", "index.html"); err == nil {
		t.Error("--spa index.html: no error")
	}
}

// TestSettingFlags: each of serve.Settings with a flag is a flag of herald
// serve, herald show and a bundle, and a value other than its default
// reaches the option; under --config, it names the key to set instead.
func TestSettingFlags(t *testing.T) {
	d := serve.DefaultOptions()
	commands := map[string][]cli.Flag{"serve": serveCommand().Flags, "show": showCommand().Flags, "bundle": bundledApp(nil).Flags}
	for _, st := range serve.Settings {
		if st.Flag != "" {
			t.Run(st.Flag, func(t *testing.T) {
				checkFlag(t, argFor(t, st.Flag, st.Field(&d)), commands, func(c *cli.Context) (any, error) {
					got, err := handlerOptions(c)
					return st.Field(&got), err
				}, st.Field(&d), st.FileKey())
			})
		}
	}
}

// TestServerSettingFlags: each of config.ServerSettings with a flag is a
// flag of herald serve and of a bundle, and a value other than its
// default reaches the setting; under --config, it names the key to set
// instead.
func TestServerSettingFlags(t *testing.T) {
	d := config.DefaultServer()
	commands := map[string][]cli.Flag{"serve": serveCommand().Flags, "bundle": bundledApp(nil).Flags}
	for _, st := range config.ServerSettings {
		if st.Flag != "" {
			t.Run(st.Flag, func(t *testing.T) {
				arg := argFor(t, st.Flag, st.Field(&d))
				if st.Check != nil {
					arg = "--" + st.Flag + "=" + checkedValue(t, st)
				}
				checkFlag(t, arg, commands, func(c *cli.Context) (any, error) {
					got, err := serverFlagValues(c)
					return st.Field(&got), err
				}, st.Field(&d), st.FileKey())
			})
		}
	}
}

// argFor gives the flag name of a setting whose default is def (a pointer
// to it) a value other than def that every such flag accepts.
// checkedValue is a value st.Check takes, among those of the settings
// that have a Check.
func checkedValue(t *testing.T, st config.ServerSetting) string {
	for _, v := range []string{"127.0.0.1:9180", "admin@example.com", "https://acme.test/dir"} {
		if st.Check(v) == nil {
			return v
		}
	}
	t.Fatalf("--%s: no value its Check takes: add one here", st.Flag)
	return ""
}

// TestServerFlagChecked: a flag of a setting with a Check is refused, as a
// usage error naming the flag, with the words herald.toml gets.
func TestServerFlagChecked(t *testing.T) {
	for _, st := range config.ServerSettings {
		if st.Flag == "" || st.Check == nil {
			continue
		}
		app := &cli.App{Flags: serveCommand().Flags, Action: func(c *cli.Context) error {
			_, err := serverFlagValues(c)
			return err
		}}
		err := app.Run([]string{"herald", "--" + st.Flag + "=bogus"})
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "--"+st.Flag+`: "bogus" is not`) {
			t.Errorf("--%s=bogus: got %v, want a usage error naming the flag", st.Flag, err)
		}
	}
}

func argFor(t *testing.T, name string, def any) string {
	switch v := def.(type) {
	case *bool:
		return "--" + name + "=" + map[bool]string{true: "off", false: "on"}[*v]
	case *int:
		return fmt.Sprintf("--%s=%d", name, *v+7)
	case *int64:
		return fmt.Sprintf("--%s=%dKiB", name, *v>>10+3)
	case *string:
		return "--" + name + "=/a.html" // a path, as --spa takes
	case *serve.PushMode:
		return "--" + name + "=off"
	case *serve.AccessLogFormat:
		return "--" + name + "=json"
	}
	t.Fatalf("--%s: a flag for a setting of type %T", name, def)
	return ""
}

// checkFlag runs arg on the flags of each of commands and fails where the
// setting read gives back (a pointer to it) is still def; then herald
// serve --config must refuse arg, saying to set fileKey instead.
func checkFlag(t *testing.T, arg string, commands map[string][]cli.Flag, read func(*cli.Context) (any, error), def any, fileKey string) {
	t.Helper()
	for name, flags := range commands {
		var got any
		app := &cli.App{Flags: flags, Action: func(c *cli.Context) (err error) {
			got, err = read(c)
			return err
		}}
		if err := app.Run([]string{"herald", arg}); err != nil {
			t.Fatalf("%s %s: %v", name, arg, err)
		}
		if reflect.DeepEqual(got, def) {
			t.Errorf("%s %s: the setting is still its default", name, arg)
		}
	}
	code, _, stderr := herald(t, "serve", "--config", "no-such.toml", arg)
	if want := "set " + fileKey; code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("serve --config %s: exit %d, %q; want %d and %q", arg, code, stderr, exitUsage, want)
	}
}

// TestServeBudgetFlags: the flags the push budget's warnings name are
// flags of herald serve.
func TestServeBudgetFlags(t *testing.T) {
	b := serveBudget(serve.DefaultOptions())
	for _, name := range []string{b.BytesFlag, b.AssetsFlag} {
		found := false
		for _, f := range serveCommand().Flags {
			found = found || "--"+f.Names()[0] == name
		}
		if !found {
			t.Errorf("the push budget names %q, not a flag of herald serve", name)
		}
	}
}
