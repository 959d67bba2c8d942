package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// reportSite serves testSite with the report on, over HTTP/1.1.
func reportSite(t *testing.T, opts Options) (*Handler, *httptest.Server) {
	t.Helper()
	opts.Report = true
	h := newHandler(t, testSite(), opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func getReport(t *testing.T, srv *httptest.Server, page string) PageReport {
	t.Helper()
	resp, err := http.Get(srv.URL + "/_herald/page?format=json&path=" + page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("report of %s: status %d", page, resp.StatusCode)
	}
	var r PageReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func postBeacon(t *testing.T, srv *httptest.Server, origin, ctype, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/_herald/beacon", strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestReportPage: the manifest side of a page's report (its assets in
// manifest order with why, sizes stored and compressed, and channels), and
// what the last request was sent: over HTTP/1.1, the Link header and no 103.
func TestReportPage(t *testing.T) {
	_, srv := reportSite(t, DefaultOptions())
	r := getReport(t, srv, "/")
	if r.Page != "/index.html" || r.Served != nil || r.Browser != nil {
		t.Fatalf("page %q, served %v, browser %v; want /index.html, nothing yet", r.Page, r.Served, r.Browser)
	}
	var got []string
	for _, a := range r.Assets {
		got = append(got, fmt.Sprintf("%s %s %s %s", a.Path, a.Why, a.As, strings.Join(a.Channels, "+")))
	}
	want := []string{"/a.css link style push+103+link", "/app.js head-script script push+103+link", "/b.css link style push+103+link"}
	if !slices.Equal(got, want) {
		t.Errorf("assets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// a.css has its own .br sibling: that is the br size; b.css is too small
	// to gain from compression: it goes out as it is.
	a, b := r.Assets[0], r.Assets[2]
	if br := int64(len(brotlied(aCSS))); a.Br != br || a.Size != int64(len(aCSS)) {
		t.Errorf("/a.css: size %d br %d, want %d and its sibling's %d", a.Size, a.Br, len(aCSS), br)
	}
	if b.Br != -1 || b.Gzip != -1 {
		t.Errorf("/b.css: br %d gzip %d, want -1 (sent as it is)", b.Br, b.Gzip)
	}

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "/* herald report */") {
		t.Error("the page has no report script")
	}
	r = getReport(t, srv, "/index.html")
	if d := r.Served; d == nil || d.Protocol != "HTTP/1.1" || d.Hints != 0 || d.Preload != 3 {
		t.Errorf("served %+v, want HTTP/1.1 with 3 Link values and no 103", d)
	}
	html := getBody(t, srv, "/_herald/page?path=/index.html")
	if !strings.Contains(html, "browsers take early hints over HTTP/2 and HTTP/3 only (herald serve --tls)") {
		t.Errorf("the page report does not say why there was no 103:\n%s", html)
	}
}

func getBody(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	return string(b)
}

// TestReportChannels: the channels follow the options and the bounds: a
// push budget too small for an asset, hints off, and past the Link bound.
func TestReportChannels(t *testing.T) {
	opts := DefaultOptions()
	opts.Hints = false
	opts.PushMaxBytes = 60 // a.css (89 B) does not fit; app.js and b.css do
	opts.LinkMaxCount = 2
	_, srv := reportSite(t, opts)
	var got []string
	for _, a := range getReport(t, srv, "/").Assets {
		got = append(got, a.Path+" "+strings.Join(a.Channels, "+"))
	}
	want := []string{"/a.css link", "/app.js push+link", "/b.css push"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestReportBeacon: a beacon from the page's own origin is taken and the
// report shows per asset what the browser did: through the 103, fetched
// by the parser, unused, not fetched; and the render-blocking fetch nobody
// hinted. Beacons from elsewhere, of another type, too large, malformed or
// for a page the manifest lacks are refused.
func TestReportBeacon(t *testing.T) {
	_, srv := reportSite(t, DefaultOptions())
	beacon := `{"page":"/","protocol":"h2","resources":[
		{"name":"/a.css","initiator":"early-hints","blocking":"blocking","transfer":120,"encoded":90},
		{"name":"/app.js","initiator":"early-hints","blocking":"blocking","transfer":300,"encoded":20},
		{"name":"/late.css","initiator":"link","blocking":"blocking","transfer":50,"encoded":30}],
		"used":["/a.css","/late.css"]}`
	tests := []struct {
		name, origin, ctype, body string
		want                      int
	}{
		{"same origin", srv.URL, "application/json", beacon, 204},
		{"other origin", "http://evil.example", "application/json", beacon, 403},
		{"no origin", "", "application/json", beacon, 403},
		{"form post", srv.URL, "text/plain", beacon, 415},
		{"unknown page", srv.URL, "application/json", `{"page":"/nope.html","protocol":"h2","resources":[],"used":[]}`, 404},
		{"unknown field", srv.URL, "application/json", `{"page":"/","protocol":"h2","resources":[],"used":[],"x":1}`, 400},
		{"too large", srv.URL, "application/json", `{"page":"/","protocol":"` + strings.Repeat("a", beaconMaxBytes) + `"}`, 413},
	}
	for _, tt := range tests {
		if got := postBeacon(t, srv, tt.origin, tt.ctype, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	r := getReport(t, srv, "/")
	verdicts := map[string]string{}
	for _, a := range r.Assets {
		verdicts[a.Path] = a.Verdict
	}
	want := map[string]string{"/a.css": VerdictEarlyHints, "/app.js": VerdictUnused, "/b.css": VerdictNotFetched}
	if fmt.Sprint(verdicts) != fmt.Sprint(want) {
		t.Errorf("verdicts %v, want %v", verdicts, want)
	}
	b := r.Browser
	if b == nil || b.Loads != 1 || b.EarlyHints != 1 || b.Unused != 1 || b.NotFetched != 1 ||
		len(b.Missed) != 1 || b.Missed[0].Name != "/late.css" {
		t.Errorf("browser %+v, want 1 load: 1 through early hints, 1 unused, 1 not fetched, /late.css missed", b)
	}
	idx := getBody(t, srv, "/_herald/")
	if !strings.Contains(idx, `href="page?path=%2findex.html"`) || strings.Contains(idx, "<script") || strings.Contains(idx, "src=") {
		t.Errorf("index: want a link to the page and nothing loaded:\n%s", idx)
	}
}

// TestReportOff: without Options.Report, /_herald/ is the site's own path
// and pages carry no report script.
func TestReportOff(t *testing.T) {
	fsys := testSite()
	fsys["_herald/index.html"] = fsys["docs/index.html"]
	h := newHandler(t, fsys, DefaultOptions())
	srv := httptest.NewServer(h)
	defer srv.Close()
	if body := getBody(t, srv, "/_herald/"); !strings.Contains(body, "<p>docs</p>") {
		t.Errorf("/_herald/ with the report off: %q, want the site's file", body)
	}
	if body := getBody(t, srv, "/"); strings.Contains(body, "herald report") {
		t.Error("a page carries the report script with the report off")
	}
	if code := postBeacon(t, srv, srv.URL, "application/json", `{"page":"/"}`); code != http.StatusMethodNotAllowed {
		t.Errorf("beacon with the report off: %d, want 405", code)
	}
}

// TestReportStoreBounds: beacons from many pages, many times each, keep at
// most beaconsPerPage per page and reportMaxPages pages, the pages last
// reported.
func TestReportStoreBounds(t *testing.T) {
	st := newReportStore()
	for p := range 3 * reportMaxPages {
		for range 3 * beaconsPerPage {
			st.addBeacon(fmt.Sprintf("/p%d.html", p), &Beacon{Page: "/"})
		}
	}
	pages := st.recent()
	if len(pages) != reportMaxPages || pages[0] != fmt.Sprintf("/p%d.html", 3*reportMaxPages-1) {
		t.Fatalf("%d pages kept, first %q; want %d, the last reported first", len(pages), pages[0], reportMaxPages)
	}
	total := 0
	for _, p := range pages {
		r, _ := st.get(p)
		if len(r.beacons) > beaconsPerPage || r.loads != 3*beaconsPerPage {
			t.Errorf("%s: %d beacons kept of %d loads", p, len(r.beacons), r.loads)
		}
		total += len(r.beacons)
	}
	if total > reportMaxPages*beaconsPerPage {
		t.Errorf("%d beacons kept, at most %d", total, reportMaxPages*beaconsPerPage)
	}
}

// TestParseBeacon: what the parser refuses.
func TestParseBeacon(t *testing.T) {
	ok := `{"page":"/","protocol":"h2","resources":[{"name":"/a.css","initiator":"early-hints","blocking":"blocking","transfer":1,"encoded":1}],"used":["/a.css"]}`
	if _, err := parseBeacon([]byte(ok)); err != nil {
		t.Fatalf("a good beacon: %v", err)
	}
	bad := map[string]string{
		"trailing data":    ok + `{}`,
		"not an object":    `[]`,
		"unknown field":    strings.Replace(ok, `"used"`, `"usd"`, 1),
		"page not a path":  strings.Replace(ok, `"page":"/"`, `"page":"https://x/"`, 1),
		"page two slashes": strings.Replace(ok, `"page":"/"`, `"page":"//x/"`, 1),
		"control in name":  strings.Replace(ok, `"/a.css","init`, `"/a\u0000.css","init`, 1),
		"word with space":  strings.Replace(ok, `"h2"`, `"h 2"`, 1),
		"negative size":    strings.Replace(ok, `"transfer":1`, `"transfer":-1`, 1),
		"huge size":        strings.Replace(ok, `"transfer":1`, `"transfer":1e300`, 1),
		"fractional size":  strings.Replace(ok, `"transfer":1`, `"transfer":1.5`, 1),
		"string size":      strings.Replace(ok, `"transfer":1`, `"transfer":"1"`, 1),
		"too many used":    strings.Replace(ok, `"used":["/a.css"]`, `"used":[`+strings.Repeat(`"/a",`, beaconMaxResources)+`"/a"]`, 1),
		"long path":        strings.Replace(ok, `"used":["/a.css"]`, `"used":["/`+strings.Repeat("a", beaconMaxPath)+`"]`, 1),
	}
	for name, b := range bad {
		if _, err := parseBeacon([]byte(b)); err == nil {
			t.Errorf("%s: accepted %s", name, b)
		}
	}
}

// FuzzParseBeacon: the parser never panics, and what it accepts is within
// every bound and reads back the same.
func FuzzParseBeacon(f *testing.F) {
	f.Add([]byte(`{"page":"/","protocol":"h2","resources":[{"name":"/a.css","initiator":"early-hints","blocking":"blocking","transfer":1,"encoded":1}],"used":["/a.css"]}`))
	f.Add([]byte(`{"page":"/x.html","protocol":"","resources":[],"used":[]}`))
	f.Add([]byte(`{"page":"/","resources":null} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseBeacon(data)
		if err != nil {
			return
		}
		if !validPath(b.Page) || len(b.Resources) > beaconMaxResources || len(b.Used) > beaconMaxResources {
			t.Fatalf("accepted out of bounds: %+v", b)
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := parseBeacon(again)
		if err != nil || fmt.Sprint(b2) != fmt.Sprint(b) {
			t.Fatalf("read back %+v, %v; want %+v", b2, err, b)
		}
	})
}
