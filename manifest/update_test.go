package manifest

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
)

// TestUpdateMatchesBuild: after any sequence of edits, a Builder updated
// with the changed paths gives the same bytes as a build from scratch.
func TestUpdateMatchesBuild(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":   file(`<link rel=stylesheet href=css/a.css><script src=js/a.js></script></head><body><img src=img/h.png>`),
		"b/index.html": file(`<link rel=stylesheet href=../css/b.css>`),
		"css/a.css":    file(`@import "b.css"; @font-face{font-family:F;src:url(../f.woff2)} p{font-family:F}`),
		"css/b.css":    file(`p{}`),
		"js/a.js":      file(`1`),
		"f.woff2":      file(`font`),
		"img/h.png":    file(pngOf(800, 600)),
	}
	b, err := NewBuilder(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest()
	contents := []string{
		`@import "a.css"; p{}`, `@import url(c.css) print; x{}`, `@font-face{font-family:G;src:url(/f.woff2)} b{font:1em G}`,
		`<link rel=stylesheet href=/css/c.css><script src=/js/b.js></script>`, `<link rel=stylesheet href=css/b.css>`,
		`2`, pngOf(10, 10), pngOf(900, 900), `.hero{background:url(/img/h.png)}`,
	}
	names := []string{"index.html", "b/index.html", "c/index.html", "css/a.css", "css/b.css", "css/c.css",
		"js/a.js", "js/b.js", "f.woff2", "img/h.png"}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 300 {
		var changed []string
		for range 1 + rng.IntN(3) {
			name := names[rng.IntN(len(names))]
			switch rng.IntN(5) {
			case 0:
				delete(fsys, name)
			case 1:
				if f, ok := fsys[name]; ok {
					fsys[name] = file(string(f.Data)) // written again, the same bytes
				}
			default:
				fsys[name] = file(contents[rng.IntN(len(contents))] + strconv.Itoa(rng.IntN(2)))
			}
			changed = append(changed, "/"+name)
			if rng.IntN(3) == 0 { // parsed ahead, as a watcher does; a later edit makes it stale
				b.Prepare("/" + names[rng.IntN(len(names))])
			}
		}
		if rng.IntN(5) == 0 {
			if err := b.Rebuild(); err != nil { // as after lost events
				t.Fatal(err)
			}
		} else {
			b.Update(changed...)
		}
		m := b.Manifest()
		sealed(t, "step "+strconv.Itoa(step), m)
		got, _ := Marshal(m)
		full, _, _ := Build(fsys, Options{})
		want, _ := Marshal(full)
		if !bytes.Equal(got, want) {
			t.Fatalf("step %d (changed %v): incremental manifest differs from a full build\n got %s\nwant %s", step, changed, got, want)
		}
	}
}

// TestPrepareParsesAhead: a page parsed by Prepare is not parsed again when
// the update finds the same bytes, and is when they changed since.
func TestPrepareParsesAhead(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html": file(`<link rel=stylesheet href=a.css>`),
		"a.css":      file(`p{}`),
	}
	b, err := NewBuilder(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest()

	fsys["index.html"] = file(`<link rel=stylesheet href=b.css>`)
	fsys["b.css"] = file(`q{}`)
	b.Prepare("/index.html", "/b.css", "/nowhere.html", "/a.css")
	if len(b.prepared) != 2 {
		t.Fatalf("prepared %v, want the changed page and the new stylesheet", keys(b.prepared))
	}
	doc := b.prepared["/index.html"].doc
	b.Update("/index.html", "/b.css")
	if b.files["/index.html"].doc != doc {
		t.Error("the page was parsed again, though Prepare had parsed the same bytes")
	}
	if len(b.prepared) != 0 {
		t.Errorf("prepared entries outlive the update that read them: %v", keys(b.prepared))
	}

	b.Prepare("/index.html") // the same bytes as in the builder: nothing to keep
	fsys["index.html"] = file(`<link rel=stylesheet href=a.css>`)
	fsys["a.css"] = file(`@import "b.css";`)
	b.Prepare("/a.css", "/index.html")
	fsys["a.css"] = file(`p{color:blue}`) // changed after it was prepared
	if err := b.Rebuild(); err != nil {
		t.Fatal(err)
	}
	got, _ := Marshal(b.Manifest())
	full, _, _ := Build(fsys, Options{})
	want, _ := Marshal(full)
	if !bytes.Equal(got, want) {
		t.Errorf("after a stale Prepare, the rebuild differs from a build from scratch\n got %s\nwant %s", got, want)
	}
	if len(b.prepared) != 0 {
		t.Errorf("prepared entries outlive the rebuild: %v", keys(b.prepared))
	}
}

// TestUpdateOfFolderKeepsParses: a folder walked again (renamed into
// place, say) has its pages parsed again only where their bytes changed.
func TestUpdateOfFolderKeepsParses(t *testing.T) {
	fsys := fstest.MapFS{
		"docs/a.html": file(`<link rel=stylesheet href=s.css>`),
		"docs/b.html": file(`<p>b`),
		"docs/s.css":  file(`p{}`),
	}
	b, err := NewBuilder(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest()
	a, s := b.files["/docs/a.html"].doc, b.files["/docs/s.css"].sheet
	fsys["docs/b.html"] = file(`<p>b, edited`)
	b.Update("/docs")
	if b.files["/docs/a.html"].doc != a || b.files["/docs/s.css"].sheet != s {
		t.Error("a page or stylesheet of the folder was parsed again, though its bytes are the same")
	}
	if len(b.prepared) != 0 {
		t.Errorf("kept parses outlive the update: %v", keys(b.prepared))
	}
	got, _ := Marshal(b.Manifest())
	full, _, _ := Build(fsys, Options{})
	want, _ := Marshal(full)
	if !bytes.Equal(got, want) {
		t.Errorf("after the update:\n%s\na fresh build:\n%s", got, want)
	}
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TestRebuildKeepsWhatDidNotChange: a rebuild after files were written again
// with their bytes keeps every page as it was (not even assembled again);
// after one stylesheet changed, only the pages that use it are new; a file
// gone is gone.
func TestRebuildKeepsWhatDidNotChange(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":   file(`<link rel=stylesheet href=a.css>`),
		"other.html":   file(`<link rel=stylesheet href=b.css>`),
		"a.css":        file(`p{}`),
		"b.css":        file(`q{}`),
		"old/gone.png": file(pngOf(10, 10)),
	}
	b, err := NewBuilder(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := b.Manifest()
	for name, f := range fsys {
		fsys[name] = file(string(f.Data)) // written again, the same bytes
	}
	if err := b.Rebuild(); err != nil {
		t.Fatal(err)
	}
	same := b.Manifest()
	for p, page := range first.Pages {
		if same.Pages[p] != page {
			t.Errorf("%s assembled again, though no file changed", p)
		}
	}

	fsys["a.css"] = file(`p{color:red}`)
	delete(fsys, "old/gone.png")
	if err := b.Rebuild(); err != nil {
		t.Fatal(err)
	}
	next := b.Manifest()
	if next.Pages["/index.html"] == same.Pages["/index.html"] || next.Pages["/index.html"].Assets[0].Hash == same.Pages["/index.html"].Assets[0].Hash {
		t.Error("/index.html kept the old hash of a.css")
	}
	if next.Pages["/other.html"] != same.Pages["/other.html"] {
		t.Error("/other.html assembled again, though none of its files changed")
	}
	if _, ok := next.Files["/old/gone.png"]; ok {
		t.Error("a removed file is still in the manifest after a rebuild")
	}
	full, _, _ := Build(fsys, Options{})
	got, _ := Marshal(next)
	want, _ := Marshal(full)
	if !bytes.Equal(got, want) {
		t.Errorf("rebuild differs from a build from scratch\n got %s\nwant %s", got, want)
	}
}
