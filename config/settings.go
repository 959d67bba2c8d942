package config

import (
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"

	"herald/serve"
)

// settings reads the serve.Settings of the i-th [[site]] into s.Options,
// which starts as serve.DefaultOptions: a key left out leaves its default.
func (p *parser) settings(i int, s *Site) {
	s.Options = serve.DefaultOptions()
	s.given = map[string]bool{}
	doc := map[string]any{}
	if i < len(p.sites) {
		doc = p.sites[i]
	}
	for _, st := range serve.Settings {
		v := lookup(doc, st.Key)
		if v == nil {
			continue
		}
		key := fmt.Sprintf("site[%d].%s", i, st.Key)
		if p.setting(key, i, v, st, &s.Options) {
			s.given[st.Key] = true
		}
	}
}

// setting sets st in o to v, the value the file gives at key, and reports
// whether it did: a mistake is reported at key, and an empty string
// leaves the default.
func (p *parser) setting(key string, i int, v any, st serve.Setting, o *serve.Options) bool {
	check := func(s string) bool {
		if st.Check == nil {
			return true
		}
		if err := st.Check(s); err != nil {
			p.errorf(key, "%v", err)
			return false
		}
		return true
	}
	switch f := st.Field(o).(type) {
	case *bool:
		*f = p.boolean(key, v, *f)
	case *int:
		*f = int(p.integer(key, v, int64(*f)))
	case *int64:
		*f = p.size(key, v, *f)
	case *string:
		s := p.str(key, v)
		if s == "" || !check(s) {
			return false
		}
		*f = s
	case *serve.PushMode:
		s := p.str(key, v)
		if s == "" {
			return false
		}
		m, err := serve.ParsePushMode(s)
		if err != nil {
			p.errorf(key, "%v", err)
			return false
		}
		*f = m
	case *http.Header:
		h := p.headers(i, v)
		if h == nil {
			return false
		}
		*f = h
	case *func(string) bool:
		pat := p.str(key, v)
		if pat == "" {
			return false
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			p.errorf(key, "not a regular expression (Go syntax, matched against the file name): %v", err)
			return false
		}
		*f = func(urlPath string) bool { return re.MatchString(path.Base(urlPath)) }
	default:
		panic(fmt.Sprintf("config: serve.Settings %s: a field of type %T", st.Key, f))
	}
	return true
}

// lookup returns the value at a dotted key of a decoded table, or nil.
func lookup(table map[string]any, key string) any {
	var v any = table
	for k := range strings.SplitSeq(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a value where a table belongs: shape reported it
		}
		v = m[k]
	}
	return v
}
