package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"herald/serve"
)

// TestEveryServerSetting: each of ServerSettings is read from its key in
// [server] (or its table), given a value other than its default.
func TestEveryServerSetting(t *testing.T) {
	d := DefaultServer()
	for _, st := range ServerSettings {
		t.Run(st.Key, func(t *testing.T) {
			var value string
			switch f := st.Field(&d).(type) {
			case *bool:
				value = fmt.Sprint(!*f)
			case *time.Duration:
				value = fmt.Sprintf("%q", *f+7*time.Second)
			case *int:
				value = fmt.Sprintf("%q", fmt.Sprintf("%dKiB", *f>>10+3))
			case *[]string:
				value = `["127.0.0.1:19001"]`
			case *serve.AccessLogFormat:
				value = `"json"`
			case *string:
				value = map[string]string{"metrics": `"127.0.0.1:19002"`, "acme.email": `"a@example.com"`,
					"acme.directory": `"https://ca.example/dir"`, "acme.http_listen": `":8081"`}[st.Key]
				if value == "" {
					value = `"some/where"`
				}
			default:
				t.Fatalf("a field of type %T: config does not read it", f)
			}
			table, leaf := "server", st.Key
			if st.Table() != "" {
				table, leaf = "server."+st.Table(), strings.TrimPrefix(st.Key, st.Table()+".")
			}
			file := "[" + table + "]\n" + leaf + " = " + value + "\n[[site]]\nroot = \"public\"\n"
			c, err := Parse("/etc/herald/herald.toml", []byte(file))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got, want := st.Field(&c.Server), st.Field(&d)
			if reflect.DeepEqual(got, want) {
				t.Errorf("%s = %s: still the default", st.Key, value)
			}
			if s, ok := got.(*string); ok && st.Path && *s != "/etc/herald/some/where" {
				t.Errorf("%s = %s: %q, want it relative to the file's folder", st.Key, value, *s)
			}
		})
	}
}

// TestExampleHasEveryServerSetting: the example configuration (the
// README's) shows every key of ServerSettings, if only as a comment.
func TestExampleHasEveryServerSetting(t *testing.T) {
	data, err := os.ReadFile("testdata/herald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	table := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		switch {
		case line == "[server]":
			table = "."
		case strings.HasPrefix(line, "[server."):
			table = strings.TrimSuffix(strings.TrimPrefix(line, "[server"), "]") + "."
		case strings.HasPrefix(line, "["):
			table = ""
		case table != "":
			if key, _, ok := strings.Cut(line, " = "); ok {
				shown[strings.TrimPrefix(table, ".")+key] = true
			}
		}
	}
	for _, st := range ServerSettings {
		if !shown[st.Key] {
			t.Errorf("%s: not in [server] of testdata/herald.example.toml (and the README): show it, with what it does", st.Key)
		}
	}
}

func TestChangedServerKeys(t *testing.T) {
	d := DefaultServer()
	for _, tc := range []struct {
		name string
		edit func(s *Server)
		want []string
	}{
		{"none", func(*Server) {}, nil},
		{"http3", func(s *Server) { s.HTTP3 = false }, []string{"http3"}},
		{"listen and acme", func(s *Server) {
			s.Listen = []string{":8443"}
			s.ACME.Email = "admin@example.com"
		}, []string{"listen", "acme.email"}},
		{"timeout", func(s *Server) { s.IdleTimeout = time.Minute }, []string{"idle_timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := DefaultServer()
			tc.edit(&b)
			if got := ChangedServerKeys(d, b); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ChangedServerKeys = %q, want %q", got, tc.want)
			}
		})
	}
}
