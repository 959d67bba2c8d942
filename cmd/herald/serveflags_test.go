package main

import (
	"reflect"
	"testing"

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
		{"serve", serveCommand.Flags},
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
