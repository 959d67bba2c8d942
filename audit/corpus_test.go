package audit_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"testing/fstest"

	"herald/audit"
	"herald/internal/testsite"
	"herald/manifest"
)

// TestBrowserCorpora runs the browser check on a few pages of each site of
// other kinds (scripts/testsites.sh) and holds micro precision and recall
// to what was measured on them (README, "Checking in a browser"): a change
// that makes the manifest agree less with Chromium fails here.
func TestBrowserCorpora(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	for _, tt := range []struct {
		site              string
		pages             int
		precision, recall float64
	}{
		{"gitpython", 3, 1, 1},
		{"agency", 1, 1, 1},
		{"clean-blog", 4, 1, 1},
		{"sb-admin-2", 3, 1, 1},
		{"vitest-ui", 1, 1, 1},
		{"groonga", 6, 1, 1},
		{"config-inspector", 3, 1, 1},
		// Measured before any change was made for them (README).
		{"rust-book", 3, 1, 1},
		{"rustdoc", 6, 1, 1},
		{"mkdocs", 6, 1, 1},
		{"nodejs", 3, 1, 1},
		{"jsoncpp", 3, 1, 1},
		{"commons-lang3", 3, 1, 1},
	} {
		t.Run(tt.site, func(t *testing.T) {
			root, err := os.OpenRoot(testsite.Dir(t, tt.site))
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			m, _, err := manifest.Build(root.FS(), manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := audit.Run(context.Background(), root.FS(), m, audit.Options{Chromium: chromium, Pages: tt.pages})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pages) != tt.pages {
				t.Fatalf("%d pages checked, want %d", len(r.Pages), tt.pages)
			}
			if r.Precision() < tt.precision || r.Recall() < tt.recall {
				for _, p := range r.Pages {
					t.Logf("%s: extra %q, missed %q", p.Path, p.Extra, p.Missed)
				}
				t.Errorf("precision %.3f, recall %.3f; measured %.3f and %.3f", r.Precision(), r.Recall(), tt.precision, tt.recall)
			}
		})
	}
}

func TestPick(t *testing.T) {
	paths := []string{"/e", "/a", "/d", "/b", "/c", "/f"}
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "[/a /b /c /d /e /f]"},
		{2, "[/a /d]"},
		{3, "[/a /c /e]"},
		{9, "[/a /b /c /d /e /f]"},
	} {
		if got := fmt.Sprint(audit.Pick(paths, tt.n)); got != tt.want {
			t.Errorf("Pick(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	mp := &manifest.Page{
		Assets:   []manifest.Asset{{Path: "/a.css"}, {Path: "/f.woff2"}, {Path: "/hero.jpg"}},
		Deferred: []manifest.Asset{{Path: "/body.js"}},
		Missing:  []manifest.Missing{{Path: "/gone%28x%29.css"}},
	}
	p := audit.Compare("/", mp, audit.Observed{
		Blocking: []string{"/a.css", "/b.js", "/body.js", "/gone(x).css"},
		InBody:   []string{"/body.js"},
		LCP:      "/hero.jpg",
	})
	if fmt.Sprint(p.Extra, p.Missed, p.Ignored, p.Absent) != "[/f.woff2] [/b.js] [/body.js] [/gone(x).css]" {
		t.Errorf("extra %q, missed %q, ignored %q, absent %q", p.Extra, p.Missed, p.Ignored, p.Absent)
	}
	if p.Precision() != 2.0/3 || p.Recall() != 2.0/3 {
		t.Errorf("precision %v, recall %v", p.Precision(), p.Recall())
	}
}

// A page the browser left is not compared: the other page's assets are
// neither missed nor extra.
func TestCompareLeft(t *testing.T) {
	mp := &manifest.Page{Assets: []manifest.Asset{{Path: "/a.css"}}}
	p := audit.Compare("/old.html", mp, audit.Observed{Blocking: []string{"/b.css"}, LeftFor: "/new.html"})
	if p.LeftFor != "/new.html" || p.Listed != nil || p.Needed != nil || p.Precision() != 1 || p.Recall() != 1 {
		t.Errorf("got %+v, want only left for /new.html", p)
	}
}

// TestRedirectPages loads pages that only send the browser on, as MkDocs
// and rustdoc write them: what Chromium then loads is another page, so the
// page is reported as left and counts for nothing, where it was counted
// before with the other page's assets all missed.
func TestRedirectPages(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	fsys := fstest.MapFS{
		"target.html":  {Data: []byte(`<!doctype html><title>t</title><link rel=stylesheet href=t.css><p>Here.`)},
		"t.css":        {Data: []byte(`p { color: navy }`)},
		"refresh.html": {Data: []byte(`<!doctype html><meta http-equiv="refresh" content="0; url=target.html"><title>r</title>`)},
		"script.html":  {Data: []byte(`<!doctype html><title>s</title><script>location.replace("target.html")</script>`)},
		"both.html": {Data: []byte(`<!doctype html><meta http-equiv="refresh" content="0;URL=target.html"><title>b</title>` +
			`<p>Redirecting to <a href="target.html">target.html</a><script>location.replace("target.html" + location.search)</script>`)},
	}
	m, _, err := manifest.Build(fsys, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.Run(context.Background(), fsys, m, audit.Options{Chromium: chromium})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Pages {
		want := "/target.html"
		if p.Path == want {
			want = ""
		}
		if p.LeftFor != want {
			t.Errorf("%s: left for %q, want %q", p.Path, p.LeftFor, want)
		}
	}
	if len(r.Pages) != 4 || r.Precision() != 1 || r.Recall() != 1 {
		t.Errorf("%d pages, precision %.3f, recall %.3f; want 4, 1 and 1: %+v", len(r.Pages), r.Precision(), r.Recall(), r.Pages)
	}
}
