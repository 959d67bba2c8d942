package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"herald/internal/testsite"
)

// TestEarlyHints asks for a page with Go's client over HTTP/2 and over
// HTTP/1.1: on HTTP/2 one 103 response with the page's Link values comes
// before the 200; on HTTP/1.1, where browsers ignore it, none is sent.
func TestEarlyHints(t *testing.T) {
	wantLinks := []string{"</a.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script", "</b.css>; rel=preload; as=style"}
	for _, tc := range []struct {
		name  string
		h2    bool
		early int
	}{{"HTTP/2", true, 1}, {"HTTP/1.1", false, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(newHandler(t, testSite(), DefaultOptions()))
			srv.EnableHTTP2 = tc.h2
			srv.StartTLS()
			defer srv.Close()

			var events []string
			var early [][]string
			trace := &httptrace.ClientTrace{
				Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
					events = append(events, http.StatusText(code))
					early = append(early, header["Link"])
					return nil
				},
				GotFirstResponseByte: func() { events = append(events, "first byte") },
			}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", srv.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "text/html")
			req.Header.Set("Sec-Fetch-Mode", "navigate")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			events = append(events, resp.Status)
			if (resp.ProtoMajor == 2) != tc.h2 {
				t.Fatalf("spoke %s", resp.Proto)
			}
			if string(body) != pageHTML {
				t.Fatalf("body %q", body)
			}
			if len(early) != tc.early {
				t.Fatalf("%d 1xx responses (%v), want %d", len(early), events, tc.early)
			}
			if tc.early > 0 {
				if !slices.Equal(early[0], wantLinks) {
					t.Errorf("103 Link %q, want %q", early[0], wantLinks)
				}
				if events[len(events)-1] != "200 OK" || !slices.Contains(events[:len(events)-1], "Early Hints") {
					t.Errorf("events %v: want Early Hints before 200 OK", events)
				}
			}
			if got := resp.Header["Link"]; !slices.Equal(got, wantLinks) {
				t.Errorf("200 Link %q, want %q", got, wantLinks)
			}
		})
	}
}

// TestNghttp has Debian's nghttp load a page with push on: the promises it
// reports are the page's critical assets in push order, and a second run
// with the cookie the first one got is promised nothing.
func TestNghttp(t *testing.T) {
	nghttp := testsite.Tool(t, "nghttp")
	srv := newTLSServer(t, newHandler(t, testSite(), DefaultOptions()))
	run := func(args ...string) (pushes []string, cookie string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, nghttp, append([]string{"-nv", "-H", "accept-encoding: gzip, br"}, append(args, srv.URL+"/")...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("nghttp: %v\n%s", err, out)
		}
		pushes = testsite.Promised(string(out))
		if m := regexp.MustCompile(`set-cookie: (` + digestCookie + `=[^;\s]+)`).FindSubmatch(out); m != nil {
			cookie = string(m[1])
		}
		if !regexp.MustCompile(`:status: 200`).Match(out) {
			t.Fatalf("no 200 in nghttp's output:\n%s", out)
		}
		return pushes, cookie
	}
	pushes, cookie := run()
	if want := []string{"/a.css", "/b.css", "/app.js"}; !slices.Equal(pushes, want) {
		t.Fatalf("nghttp saw promises %v, want %v", pushes, want)
	}
	if cookie == "" {
		t.Fatal("nghttp saw no digest cookie")
	}
	if again, _ := run("-H", "cookie: "+cookie); len(again) != 0 {
		t.Errorf("with the cookie, nghttp saw promises %v, want none", again)
	}
}

// TestLinksBounded: a page with 5,000 critical stylesheets gets a Link
// header and a 103 of at most DefaultLinkMaxCount values and
// DefaultLinkMaxBytes bytes, the first ones in manifest order, and the page
// is served over HTTP/2 (unbounded, its 300 KB header was refused by
// nghttp2-based clients).
func TestLinksBounded(t *testing.T) {
	fsys := fstest.MapFS{}
	var page strings.Builder
	page.WriteString("<!doctype html><head>")
	for i := range 5000 {
		name := fmt.Sprintf("s%04d.css", i)
		fsys[name] = &fstest.MapFile{Data: []byte("p{}")}
		fmt.Fprintf(&page, `<link rel=stylesheet href="/%s">`, name)
	}
	page.WriteString("</head><body><p>many</p></body>")
	fsys["index.html"] = &fstest.MapFile{Data: []byte(page.String())}
	h := newHandler(t, fsys, DefaultOptions())
	srv := newTLSServer(t, h)
	c := dialH2(t, srv, false)
	var identity []string // browserHeaders without Accept-Encoding, to read the body
	for i := 0; i < len(browserHeaders); i += 2 {
		if browserHeaders[i] != "accept-encoding" {
			identity = append(identity, browserHeaders[i], browserHeaders[i+1])
		}
	}
	for _, cookie := range []string{"", digestCookie + "=AAAA"} { // without and with a digest
		extra := identity
		if cookie != "" {
			extra = append(slices.Clone(identity), "cookie", cookie)
		}
		r := c.get("/", extra...)
		if r.status != "200" || !bytes.Contains(r.body, []byte("<p>many</p>")) {
			t.Fatalf("status %s, %d bytes", r.status, len(r.body))
		}
		if len(r.early) != 1 {
			t.Fatalf("%d early hints, want 1", len(r.early))
		}
		for what, links := range map[string][]string{"103": r.early[0], "Link": r.header["link"]} {
			size := 0
			for _, l := range links {
				size += len(l)
			}
			if len(links) == 0 || len(links) > DefaultLinkMaxCount || size > DefaultLinkMaxBytes {
				t.Errorf("cookie %q: %s has %d values, %d bytes; want 1 to %d values within %d bytes",
					cookie, what, len(links), size, DefaultLinkMaxCount, DefaultLinkMaxBytes)
			}
			if len(links) > 0 && links[0] != "</s0000.css>; rel=preload; as=style" {
				t.Errorf("%s starts with %q, want the page's first stylesheet", what, links[0])
			}
		}
	}
}
