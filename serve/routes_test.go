package serve

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// navigate asks h for target with Accept: text/html and returns the response
// and its body.
func navigate(t *testing.T, h http.Handler, method, target string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Header.Set("Accept", "text/html,*/*")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestCleanURLs(t *testing.T) {
	fsys := testSite()
	fsys["about.html"] = &fstest.MapFile{Data: []byte(`<!doctype html><link rel="stylesheet" href="/b.css"><p>about</p>`)}
	fsys["both.html"] = &fstest.MapFile{Data: []byte("<p>both file</p>")}
	fsys["both/index.html"] = &fstest.MapFile{Data: []byte("<p>both folder</p>")}
	opts := DefaultOptions()
	opts.CleanURLs = true
	h := newHandler(t, fsys, opts)
	for _, tc := range []struct {
		target, location, body, link string
		status                       int
	}{
		{target: "/about", status: 200, body: "<p>about</p>", link: "</b.css>; rel=preload; as=style"},
		{target: "/about.html", status: 308, location: "/about"},
		{target: "/about.html?x=1", status: 308, location: "/about?x=1"},
		{target: "/docs/index.html", status: 308, location: "/docs/"},
		{target: "/index.html", status: 308, location: "/"},
		{target: "/both", status: 301, location: "/both/"},
		{target: "/both.html", status: 200, body: "both file"},
		{target: "/about/", status: 404},
		{target: "/a.css", status: 200},
	} {
		t.Run(tc.target, func(t *testing.T) {
			resp, body := navigate(t, h, "GET", tc.target)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location ||
				!strings.Contains(body, tc.body) || resp.Header.Get("Link") != tc.link && tc.link != "" {
				t.Errorf("%d %q Link %q %.80q; want %d %q Link %q, %q in the body", resp.StatusCode, resp.Header.Get("Location"),
					resp.Header.Get("Link"), body, tc.status, tc.location, tc.link, tc.body)
			}
		})
	}
	opts.CleanURLs = false
	if resp, _ := navigate(t, newHandler(t, fsys, opts), "GET", "/about"); resp.StatusCode != 404 {
		t.Errorf("without CleanURLs: /about answered %d", resp.StatusCode)
	}
}

func TestSPA(t *testing.T) {
	opts := DefaultOptions()
	opts.SPA = "/index.html"
	h := newHandler(t, testSite(), opts)
	for _, tc := range []struct {
		method, target string
		accept         bool
		status         int
	}{
		{"GET", "/users/42", true, 200},
		{"HEAD", "/settings", true, 200},
		{"GET", "/users/42", false, 404}, // not a navigation
		{"GET", "/missing.png", true, 404},
		{"GET", "/a/../b", true, 404},
		{"GET", "/docs/", true, 200},
	} {
		req := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.accept {
			req.Header.Set("Accept", "text/html")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.target, rec.Code, tc.status)
		}
		if tc.status == 200 && tc.target != "/docs/" && !strings.Contains(rec.Header().Get("Link"), "</a.css>") {
			t.Errorf("%s %s: Link %q: want the page's hints", tc.method, tc.target, rec.Header().Get("Link"))
		}
	}
}

func TestListing(t *testing.T) {
	fsys := testSite()
	fsys["files/<b>&.txt"] = &fstest.MapFile{Data: []byte("12345")}
	fsys["files/z.css"] = &fstest.MapFile{Data: []byte("a")}
	fsys["files/a b#c.css"] = &fstest.MapFile{Data: []byte("ab")}
	fsys["files/sub/x.js"] = &fstest.MapFile{Data: []byte("x")}
	fsys["files/.env"] = &fstest.MapFile{Data: []byte("SECRET")}
	fsys["files/herald.toml"] = &fstest.MapFile{Data: []byte("secret")}
	fsys["files/_headers"] = &fstest.MapFile{Data: []byte("not at the top: a file")}
	opts := DefaultOptions()
	opts.Listing = true
	h := newHandler(t, fsys, opts)

	resp, body := navigate(t, h, "GET", "/files/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var order []int
	for _, want := range []string{
		`<a href="../">../</a>`,
		`<a href="./%3Cb%3E&amp;.txt">&lt;b&gt;&amp;.txt</a><td align=right>5`,
		`<a href="./_headers">_headers</a>`,
		`<a href="./a%20b%23c.css">a b#c.css</a><td align=right>2`,
		`<a href="./sub/">sub/</a><td align=right>-`,
		`<a href="./z.css">z.css</a><td align=right>1`,
	} {
		i := strings.Index(body, want)
		if i < 0 {
			t.Errorf("no %s in\n%s", want, body)
		}
		order = append(order, i)
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("not sorted:\n%s", body)
		}
	}
	for _, never := range []string{".env", "herald.toml", "SECRET"} {
		if strings.Contains(body, never) {
			t.Errorf("%s listed:\n%s", never, body)
		}
	}
	for target, status := range map[string]int{
		"/files": 301, "/files/sub/": 200, "/docs/": 200, "/files/.git/": 404, "/files/../files/": 404, "/nothing/": 404,
	} {
		if resp, _ := navigate(t, h, "GET", target); resp.StatusCode != status {
			t.Errorf("%s: %d, want %d", target, resp.StatusCode, status)
		}
	}
	opts.Listing = false
	if resp, _ := navigate(t, newHandler(t, fsys, opts), "GET", "/files/"); resp.StatusCode != 404 {
		t.Errorf("without Listing: %d", resp.StatusCode)
	}
}
