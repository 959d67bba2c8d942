package hostrules

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// FuzzRedirects: whatever the file and the request, parsing and matching
// do not panic, each problem names a line of the file, and a rule to a
// path of the site never sends the client to another host.
func FuzzRedirects(f *testing.F) {
	f.Add([]byte(redirectsFile), "/old/a", "id=1")
	f.Add([]byte("/a/:x/* /:splat/:x 200!\n/b id=:id /c?d=:id 302\n"), "/a/b/c/d", "id=%2F%2Fevil")
	f.Add([]byte("/* //evil.example/:splat 301\n/x\\y /z\r\n"), "//x", "")
	f.Fuzz(func(t *testing.T, data []byte, p, query string) {
		rs, problems := ParseRedirects(data)
		nlines := strings.Count(string(data), "\n") + 1
		for _, pr := range problems {
			if pr.Line < 0 || pr.Line > nlines || pr.File != RedirectsFile || pr.Reason == "" {
				t.Errorf("problem %+v: not a line of the file (%d lines)", pr, nlines)
			}
		}
		for _, exists := range []bool{false, true} {
			m, ok := rs.Match("example.com", p, query, exists)
			if !ok {
				continue
			}
			if m.Status >= 300 && m.Status < 400 {
				u, err := url.Parse(m.Location)
				if err == nil && u.Host == "" && strings.HasPrefix(m.Location, "//") {
					t.Errorf("Location %q names another host", m.Location)
				}
			} else if !strings.HasPrefix(m.Path, "/") {
				t.Errorf("rewrite to %q: not a path", m.Path)
			}
		}
	})
}

// FuzzHeaders: whatever the file and the path, every field matched is a
// valid header field that herald does not manage.
func FuzzHeaders(f *testing.F) {
	f.Add([]byte(headersFile), "/movies/x")
	f.Add([]byte("/:a\n  X-A: :a\n  ! x\n/*\n\tLink: </a>\n"), "/b%0d%0a")
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		hs, problems := ParseHeaders(data)
		if len(problems) > MaxProblems+1 {
			t.Errorf("%d problems", len(problems))
		}
		set, _ := hs.Match("", p)
		for _, fl := range set {
			if !httpguts.ValidHeaderFieldName(fl.Name) || !httpguts.ValidHeaderFieldValue(fl.Value) || managed[fl.Name] {
				t.Errorf("field %q: %q", fl.Name, fl.Value)
			}
		}
	})
}
