package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestShow: herald show lists the pages, and for one page its assets with
// why, sizes and channels, in text and JSON; the channels follow the flags.
func TestShow(t *testing.T) {
	css := strings.Repeat("body { color: #123456; margin: 0 auto } ", 50)
	dir := site(t, map[string]string{
		"index.html":      `<link rel=stylesheet href=a.css><script src=a.js></script><body><img src=x.png>`,
		"docs/index.html": `<p>no assets`,
		"a.css":           css, "a.js": `1`,
	})
	steps := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"pages", []string{"show", dir}, 0, "/index.html       2       2.0 KiB"},
		{"a page by its URL", []string{"show", dir, "/"}, 0, "/index.html: 2 assets"},
		{"a row", []string{"show", dir, "index.html"}, 0, "0  /a.css  link         style   2.0 KiB  46 B  79 B  ####################  push 103 link"},
		{"channels", []string{"show", dir, "/index.html"}, 0, "push 103 link\n"},
		{"channels off", []string{"show", dir, "/index.html", "--hints", "off", "--push", "off"}, 0, "  link\n"},
		{"no assets", []string{"show", dir, "/docs/"}, 0, "no critical assets"},
		{"no such page", []string{"show", dir, "/nope.html"}, 2, ""},
		{"three arguments", []string{"show", dir, "/", "/"}, 2, ""},
		{"bad format", []string{"show", dir, "/", "--format", "xml"}, 2, ""},
	}
	for _, s := range steps {
		code, out, errs := herald(t, s.args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Errorf("%s: herald %v\nexit %d (want %d)\nstdout:\n%s\nstderr:\n%s", s.name, s.args, code, s.code, out, errs)
		}
	}

	code, out, _ := herald(t, "show", dir, "/", "--format", "json")
	var r struct {
		Page   string
		Assets []struct {
			Path, Why string
			Size, Br  int64
			Channels  []string
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || r.Page != "/index.html" || len(r.Assets) != 2 {
		t.Fatalf("exit %d, %v: %+v\n%s", code, err, r, out)
	}
	a := r.Assets[0]
	if a.Path != "/a.css" || a.Size != int64(len(css)) || a.Br <= 0 || a.Br >= a.Size/4 || strings.Join(a.Channels, " ") != "push 103 link" {
		t.Errorf("a.css: %+v; want its size, a br size a fraction of it, and push 103 link", a)
	}
	if a := r.Assets[1]; a.Br != -1 {
		t.Errorf("a.js (1 byte) br %d, want -1: not worth compressing, sent as it is", a.Br)
	}
}

// TestFirstRunShowsReport: herald serve with no folder serves the example
// site over HTTP/1.1, where browsers take no 103; its page links its own
// report, which says what the page was sent and why there was no 103.
// --report=false turns the report off.
func TestFirstRunShowsReport(t *testing.T) {
	bin := buildHerald(t)
	run := start(t, exec.Command(bin, "serve", "--addr", "127.0.0.1:0"))
	base := strings.TrimSuffix(run.url.String(), "/")
	page := httpGet(t, base+"/", 200)
	link := `<a href="/_herald/page?path=/">`
	if !strings.Contains(page, link) || !strings.Contains(page, "herald serve --tls") {
		t.Fatalf("the example page lacks %s and a word on --tls:\n%s", link, page)
	}
	report := httpGet(t, base+"/_herald/page?path=/", 200)
	for _, want := range []string{"/fonts/league-gothic.woff", "Last served over HTTP/1.1", "no 103", "herald serve --tls"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	off := start(t, exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--report=false"))
	httpGet(t, strings.TrimSuffix(off.url.String(), "/")+"/_herald/", 404)
}

func httpGet(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", url, resp.StatusCode, status)
	}
	return string(body)
}
