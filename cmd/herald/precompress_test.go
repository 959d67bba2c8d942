package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"herald/compress"
	"herald/manifest"
)

// TestBuildPrecompress: build --precompress writes the siblings of text
// files worth compressing, lists them as files and never as pages or
// assets, and herald check finds the manifest fresh; a second run keeps
// them; an edit makes the manifest stale, and a new run replaces the
// stale siblings.
func TestBuildPrecompress(t *testing.T) {
	css := strings.Repeat("body { margin: 0 auto; color: #333 }\n", 50)
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href=a.css>` + strings.Repeat("<p>text of the page</p>\n", 40),
		"a.css":      css,
		"t.js":       `1`, // too small to gain
		"p.png":      css, // not text, by its type
	})
	if code, out, errs := herald(t, "build", "--precompress", dir); code != 0 || !strings.Contains(out, "precompressed: 6 siblings written, 0 kept") {
		t.Fatalf("build: exit %d\n%s%s", code, out, errs)
	}
	for _, name := range []string{"index.html.zst", "index.html.br", "index.html.gz", "a.css.zst", "a.css.br", "a.css.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"t.js.gz", "p.png.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s written", name)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Pages) != 1 || len(m.Pages["/index.html"].Assets) != 1 {
		t.Errorf("pages %v: want /index.html alone, with /a.css alone", m.Pages)
	}
	if _, ok := m.Files["/a.css.br"]; !ok {
		t.Errorf("/a.css.br not among the files")
	}
	if code, out, errs := herald(t, "check", dir); code != 0 {
		t.Errorf("check after build --precompress: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := herald(t, "build", "--precompress", dir); code != 0 || !strings.Contains(out, "0 siblings written, 6 kept") {
		t.Errorf("second build: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(dir, "a.css"), []byte(css+"p { color: red }\n"), 0o644)
	if code, out, _ := herald(t, "check", dir); code != 1 || !strings.Contains(out, "stale") {
		t.Errorf("check after an edit: exit %d, want stale\n%s", code, out)
	}
	if code, out, _ := herald(t, "build", "--precompress", dir); code != 0 || !strings.Contains(out, "3 siblings written, 3 kept") {
		t.Errorf("build after an edit: exit %d\n%s", code, out)
	}
	if code, out, errs := herald(t, "build", "--precompress", "--watch", dir); code != 2 || !strings.Contains(errs, "--precompress does not apply with --watch") {
		t.Errorf("--precompress --watch: exit %d\n%s%s", code, out, errs)
	}
}

// TestPrecompressBest: a critical asset's .br sibling is brotli at its best
// quality, smaller than brotli 6's, whatever query its page's reference
// carries; a file no page needs before its first paint gets brotli 6.
func TestPrecompressBest(t *testing.T) {
	css := func(seed int) string {
		var b strings.Builder
		for i := range 1500 {
			fmt.Fprintf(&b, ".c%d { margin: %dpx auto; color: #%06x }\n", i, (i*seed)%37, (i*7919+seed)%0xffffff)
		}
		return b.String()
	}
	critical, other := css(1), css(2)
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href="a.css?v=3"><p>text</p><a href=b.css>b</a>`,
		"a.css":      critical,
		"b.css":      other,
	})
	if code, out, errs := herald(t, "build", "--precompress", dir); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errs)
	}
	for _, tc := range []struct {
		name, data string
		best       bool
	}{{"a.css", critical, true}, {"b.css", other, false}} {
		br, err := os.ReadFile(filepath.Join(dir, tc.name+".br"))
		if err != nil {
			t.Fatal(err)
		}
		usual := compress.Encode(compress.Brotli, []byte(tc.data))
		got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
		switch {
		case err != nil || string(got) != tc.data:
			t.Errorf("%s.br does not decode to the file: %v", tc.name, err)
		case tc.best && len(br) >= len(usual):
			t.Errorf("%s.br: %d bytes, brotli 6 makes %d: not at the best quality", tc.name, len(br), len(usual))
		case !tc.best && !bytes.Equal(br, usual):
			t.Errorf("%s.br: not brotli 6, for a file no page needs first", tc.name)
		}
	}
}
