package config

import (
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"herald/serve"
)

// TestEverySetting: each of serve.Settings is read from its key, given a
// value other than its default, and told apart from a key left out.
func TestEverySetting(t *testing.T) {
	d := serve.DefaultOptions()
	for _, st := range serve.Settings {
		t.Run(st.Key, func(t *testing.T) {
			var value string
			switch f := st.Field(&d).(type) {
			case *bool:
				value = fmt.Sprint(!*f)
			case *int:
				value = fmt.Sprint(*f + 7)
			case *int64:
				value = fmt.Sprintf("%q", fmt.Sprintf("%dKiB", *f>>10+3))
			case *string:
				value = `"/a.html"`
			case *serve.PushMode:
				value = `"off"`
				if *f == serve.PushOff {
					value = `"auto"`
				}
			case *http.Header:
				value = `{ X-A = "1" }`
			case *func(string) bool:
				value = `'^a\.'`
			default:
				t.Fatalf("a field of type %T: config does not read it", f)
			}
			c, err := Parse("herald.toml", []byte("[[site]]\nroot = \"public\"\n"+st.Key+" = "+value+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			s := c.Sites[0]
			got, want := reflect.ValueOf(st.Field(&s.Options)).Elem(), reflect.ValueOf(st.Field(&d)).Elem()
			if got.Kind() == reflect.Func {
				if got.IsNil() || !got.Interface().(func(string) bool)("/js/a.js") {
					t.Errorf("%s = %s: does not match /js/a.js", st.Key, value)
				}
			} else if reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("%s = %s: still the default %v", st.Key, value, want)
			}
			if !s.Gives(st.Key) {
				t.Errorf("%s = %s: Gives(%q) is false", st.Key, value, st.Key)
			}
			c, err = Parse("herald.toml", []byte("[[site]]\nroot = \"public\"\n"))
			if err != nil || c.Sites[0].Gives(st.Key) {
				t.Errorf("left out: Gives(%q) is true (%v)", st.Key, err)
			}
		})
	}
}

// TestExampleHasEverySetting: the example configuration (the README's)
// shows every key of serve.Settings in its table, if only as a comment, so
// that a setting added there is documented.
func TestExampleHasEverySetting(t *testing.T) {
	data, err := os.ReadFile("testdata/herald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{} // dotted keys of a [[site]], and its tables
	table := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		switch {
		case strings.HasPrefix(line, "[[site]]"):
			table = "site"
		case strings.HasPrefix(line, "[site."):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "[site."), "]")
			table = "site." + name
			shown[name] = true
		case strings.HasPrefix(line, "["):
			table = ""
		case table != "":
			key, _, ok := strings.Cut(line, " = ")
			if ok && !strings.ContainsAny(key, " \"") {
				shown[strings.TrimPrefix(strings.TrimPrefix(table, "site")+"."+key, ".")] = true
			}
		}
	}
	for _, st := range serve.Settings {
		if !shown[st.Key] {
			t.Errorf("%s: not in testdata/herald.example.toml (and the README): show it, with what it does", st.Key)
		}
	}
}
