package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"herald/internal/testsite"
)

const testRedirects = `# rules of a site
/old                 /                  301
/index.html          /docs/             301
/a.css               /b.css             302!
/pretty              /index.html        200
/app/*               /docs/index.html   200
/gone                /404.html          410
/missing/*           /404.html          404
/nowhere             /no-such-file.html 200
/q id=:id            /item/:id          302
/bad-line
/proxy/*             https://api.example.com/:splat 200
`

const testHeaders = `/*
  X-Frame-Options: DENY
/docs/*
  ! X-Frame-Options
/
  Link: </font.woff2>; rel=preload; as=font; crossorigin
/pretty
  Link: </font.woff2>; rel=preload; as=font; crossorigin
/a.css
  Cache-Control: public, max-age=60
/app.js
  ! Cache-Control
  Content-Length: 1
`

func hostRulesSite() fstest.MapFS {
	fsys := testSite()
	fsys["_redirects"] = &fstest.MapFile{Data: []byte(testRedirects), ModTime: siteTime}
	fsys["_headers"] = &fstest.MapFile{Data: []byte(testHeaders), ModTime: siteTime}
	return fsys
}

const fontLink = "</font.woff2>; rel=preload; as=font; crossorigin"

// TestHostRules asks a real HTTP/2 server for paths that the site's
// _redirects and _headers decide.
func TestHostRules(t *testing.T) {
	var log testsite.Buffer
	opts := DefaultOptions()
	opts.Logger = slogTo(&log)
	srv := httptest.NewUnstartedServer(newHandler(t, hostRulesSite(), opts))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, tc := range []struct {
		name, path string
		status     int
		location   string
		body       string            // a part of the body
		header     map[string]string // "" for a field that must be absent
	}{
		{name: "redirect", path: "/old?x=1", status: 301, location: "/?x=1"},
		{name: "a file shadows a rule", path: "/index.html", status: 200, body: "<p>hello</p>"},
		{name: "forced over a file", path: "/a.css", status: 302, location: "/b.css"},
		{name: "rewrite gets the target's Link", path: "/pretty", status: 200, body: "<p>hello</p>",
			header: map[string]string{"Link": fontLink + ", </a.css>; rel=preload; as=style, </app.js>; rel=preload; as=script, </b.css>; rel=preload; as=style"}},
		{name: "rewrite with a splat", path: "/app/some/route", status: 200, body: "<p>docs</p>"},
		{name: "410 rewrite", path: "/gone", status: 410, body: "not here"},
		{name: "404 rewrite", path: "/missing/x", status: 404, body: "not here"},
		{name: "rewrite to nothing", path: "/nowhere", status: 404, body: "not here"},
		{name: "query rule", path: "/q?id=7", status: 302, location: "/item/7"},
		{name: "proxy rule left out", path: "/proxy/a", status: 404},
		{name: "headers of /*", path: "/b.css", status: 200, header: map[string]string{"X-Frame-Options": "DENY"}},
		{name: "detached", path: "/docs/", status: 200, header: map[string]string{"X-Frame-Options": ""}},
		{name: "user Link first", path: "/", status: 200,
			header: map[string]string{"Link": fontLink + ", </a.css>; rel=preload; as=style, </app.js>; rel=preload; as=script, </b.css>; rel=preload; as=style"}},
		{name: "Cache-Control replaced", path: "/b.css", status: 200, header: map[string]string{"Cache-Control": "public, max-age=3600"}},
		{name: "Cache-Control of a rule", path: "/a.css.br", status: 200, header: map[string]string{"X-Frame-Options": "DENY"}},
		{name: "herald's field detached", path: "/app.js", status: 200, header: map[string]string{"Cache-Control": "", "Content-Length": "19"}},
		{name: "_redirects never served", path: "/_redirects", status: 404},
		{name: "_headers never served", path: "/_headers", status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body %.200q: want %q in it", body, tc.body)
			}
			for k, want := range tc.header {
				if got := strings.Join(resp.Header.Values(k), ", "); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
	for _, want := range []string{"_redirects:11: no target", "_redirects:12: unsupported: a 200 rule to another origin", "_headers:13: Content-Length is set by herald"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log has no %q:\n%s", want, log.String())
		}
	}
}

// TestRewriteEarlyHints: a rewrite's 103 carries the target page's Link
// values, after those of the site's _headers.
func TestRewriteEarlyHints(t *testing.T) {
	srv := httptest.NewUnstartedServer(newHandler(t, hostRulesSite(), DefaultOptions()))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	var early [][]string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
		early = append(early, header["Link"])
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", srv.URL+"/pretty", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := fontLink + ", </a.css>; rel=preload; as=style, </app.js>; rel=preload; as=script, </b.css>; rel=preload; as=style"
	if len(early) != 1 || strings.Join(early[0], ", ") != want {
		t.Errorf("103 Link values %q, want one 103 with %q", early, want)
	}
}

// TestRulesFollowTheSite: a changed _redirects applies with the next
// manifest put in service; a removed one no longer applies.
func TestRulesFollowTheSite(t *testing.T) {
	fsys := testSite()
	fsys["_redirects"] = &fstest.MapFile{Data: []byte("/x /one 302\n"), ModTime: siteTime}
	h := newHandler(t, fsys, DefaultOptions())
	location := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		return rec.Header().Get("Location")
	}
	if got := location(); got != "/one" {
		t.Fatalf("Location %q, want /one", got)
	}
	fsys["_redirects"] = &fstest.MapFile{Data: []byte("/x /two 302\n"), ModTime: siteTime.Add(time.Second)}
	h.SetManifest(h.Manifest())
	if got := location(); got != "/two" {
		t.Errorf("after a change: Location %q, want /two", got)
	}
	delete(fsys, "_redirects")
	h.SetManifest(h.Manifest())
	if got := location(); got != "" {
		t.Errorf("after removal: Location %q, want none", got)
	}
}
