package manifest

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"herald/internal/testsite"
)

func mustBuild(t *testing.T, fsys fs.FS) (*Manifest, []Problem) {
	t.Helper()
	m, problems, err := Build(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, problems
}

// TestSummarize: findings sharing a cause are one group naming all their
// pages; distinct causes stay apart.
func TestSummarize(t *testing.T) {
	page := "<link rel=stylesheet href=/a.css><link rel=stylesheet href=/b.css><script src=/big.js></script>"
	old := fstest.MapFS{
		"index.html": {Data: []byte(page)}, "x.html": {Data: []byte(page + "<link rel=stylesheet href=/c.css>\n<script src=/gone.js></script>")},
		"y.html": {Data: []byte("\n\n<script src=/gone.js></script><link rel=stylesheet href=/b.css>")},
		"a.css":  {Data: []byte("p{}")}, "b.css": {Data: []byte("q{}")}, "big.js": {Data: []byte(strings.Repeat("x", 3000))},
		"c.css": {Data: []byte("r{}")},
	}
	stored, _ := mustBuild(t, old)
	now := fstest.MapFS{}
	for k, v := range old {
		now[k] = v
	}
	now["a.css"] = &fstest.MapFile{Data: []byte("p{color:red}")}
	now["b.css"] = &fstest.MapFile{Data: []byte("q{color:red}")}
	built, problems := mustBuild(t, now)

	budget := Budget{MaxBytes: 2 << 10, MaxAssets: 2}
	r := Summarize(Check(built, stored, problems, budget), budget, len(built.Pages))
	type group struct {
		kind, message string
		pages, refs   []string
	}
	want := []group{
		{"stale", "/a.css changed (12 bytes, was 3)", []string{"/index.html", "/x.html"}, nil},
		{"stale", "/b.css changed (12 bytes, was 3)", []string{"/index.html", "/x.html", "/y.html"}, nil},
		{"budget", "2 pages over 2 KiB of critical assets (largest: /x.html with 3 KiB; heaviest: /big.js 3 KiB in 2 pages", []string{"/index.html", "/x.html"}, nil},
		{"budget", "2 pages over 2 critical assets (most: /x.html with 4;", []string{"/index.html", "/x.html"}, nil},
		{"missing", "script /gone.js does not exist", []string{"/x.html", "/y.html"}, []string{"/x.html:2", "/y.html:3"}},
	}
	if len(r.Findings) != len(want) {
		t.Fatalf("%d groups, want %d:\n%s", len(r.Findings), len(want), r.Text())
	}
	for i, w := range want {
		g := r.Findings[i]
		if g.Kind != w.kind || !strings.HasPrefix(g.Message, w.message) || !slices.Equal(g.Pages, w.pages) || !slices.Equal(g.Refs, w.refs) {
			t.Errorf("group %d: %+v\nwant %+v", i, g, w)
		}
	}
	s := r.Summary
	if s.Findings != 5 || s.PagesAffected != 3 || s.Pages != 3 || s.ByKind["stale"] != 2 || s.ByKind["budget"] != 2 || s.ByKind["missing"] != 1 {
		t.Errorf("summary %+v", s)
	}
	if got := r.Findings[2].Assets; len(got) != 4 || got[0] != (AssetWeight{Path: "/big.js", Bytes: 3000, Pages: 2}) {
		t.Errorf("budget assets %+v: want /big.js first, 3000 bytes in 2 pages", got)
	}
}

// TestSummarizeUnreadable: files that cannot be read for the same reason
// are one group that names them; they are not pages affected.
func TestSummarizeUnreadable(t *testing.T) {
	r := Summarize([]Finding{
		{Kind: "unreadable", Page: "/b.html", Message: "permission denied"},
		{Kind: "unreadable", Page: "/a.css", Message: "permission denied"},
		{Kind: "unreadable", Page: "/c.js", Message: "input/output error"},
	}, Budget{}, 4)
	want := "unreadable: permission denied; in /a.css, /b.html\nunreadable: input/output error; in /c.js\ncheck: 2 findings (2 unreadable) affecting 0 of 4 pages\n"
	if got := r.Text(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// edited is a site with one file's content replaced.
type edited struct {
	fs.FS
	name string
	data []byte
}

func (e edited) Open(name string) (fs.File, error) {
	if name == e.name {
		return fstest.MapFS{name: {Data: e.data}}.Open(name)
	}
	return e.FS.Open(name)
}

// TestSummarizePythonStylesheetEdit: one stylesheet edited in the python
// docs is one stale line for all the pages it affects, not one per page.
func TestSummarizePythonStylesheetEdit(t *testing.T) {
	root, err := os.OpenRoot(testsite.Dir(t, "python"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	stored, _ := mustBuild(t, root.FS())
	built, problems := mustBuild(t, edited{root.FS(), "_static/pygments.css", []byte("pre{color:red}")})
	findings := Check(built, stored, problems, Budget{})
	r := Summarize(findings, Budget{}, len(built.Pages))
	text := r.Text()
	t.Log(text)
	if len(findings) < 500 || len(r.Findings) != 1 || len(r.Findings[0].Pages) != len(findings) || strings.Count(text, "\n") != 2 ||
		!strings.HasPrefix(text, "stale: /_static/pygments.css changed") {
		t.Errorf("%d findings, %d groups:\n%s", len(findings), len(r.Findings), text)
	}
}
