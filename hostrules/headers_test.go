package hostrules

import (
	"reflect"
	"testing"
)

const headersFile = `# Cloudflare's and Netlify's examples, and more
/*
  X-Frame-Options: DENY
  Link: </fonts/a.woff2>; rel=preload; as=font; crossorigin
/secure/page
  X-Frame-Options: SAMEORIGIN
  Referrer-Policy: no-referrer
/static/*
  Access-Control-Allow-Origin: *
  ! X-Frame-Options
/movies/:title
  X-Movie-Name: You are watching :title
https://example.com/*
  X-Robots-Tag: noindex
/multi
  Cache-Control: public
  Cache-Control: max-age=60
`

func TestHeadersMatch(t *testing.T) {
	hs, problems := ParseHeaders([]byte(headersFile))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	link := Field{"Link", "</fonts/a.woff2>; rel=preload; as=font; crossorigin"}
	for _, tc := range []struct {
		name, host, path string
		set              []Field
		detach           []string
	}{
		{name: "splat", path: "/index.html", set: []Field{{"X-Frame-Options", "DENY"}, link}},
		{name: "two rules: values joined", path: "/secure/page",
			set: []Field{{"X-Frame-Options", "DENY, SAMEORIGIN"}, link, {"Referrer-Policy", "no-referrer"}}},
		{name: "exact path only", path: "/secure/page/", set: []Field{{"X-Frame-Options", "DENY"}, link}},
		{name: "detach", path: "/static/a.css", set: []Field{link, {"Access-Control-Allow-Origin", "*"}}, detach: []string{"X-Frame-Options"}},
		{name: "placeholder in a value", path: "/movies/alien",
			set: []Field{{"X-Frame-Options", "DENY"}, link, {"X-Movie-Name", "You are watching alien"}}},
		{name: "host", host: "example.com", path: "/a",
			set: []Field{{"X-Frame-Options", "DENY"}, link, {"X-Robots-Tag", "noindex"}}},
		{name: "lines of one rule joined", path: "/multi",
			set: []Field{{"X-Frame-Options", "DENY"}, link, {"Cache-Control", "public, max-age=60"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, detach := hs.Match(tc.host, tc.path)
			if !reflect.DeepEqual(set, tc.set) || !reflect.DeepEqual(detach, tc.detach) {
				t.Errorf("Match(%q, %q) = %q, %q; want %q, %q", tc.host, tc.path, set, detach, tc.set, tc.detach)
			}
		})
	}
}

func TestNoFile(t *testing.T) {
	var hs *Headers
	var rs *Redirects
	if set, detach := hs.Match("", "/"); set != nil || detach != nil {
		t.Error("a nil Headers matched")
	}
	if _, ok := rs.Match("", "/", "", false); ok {
		t.Error("a nil Redirects matched")
	}
}
