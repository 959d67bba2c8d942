package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"herald/internal/testsite"
	"herald/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compares each format's output for the fixture site, whose
// file names hold spaces, quotes, %, $, non-ASCII letters and braces, and
// differ only in case, with
// testdata/golden; go test -update rewrites them.
func TestGolden(t *testing.T) {
	m := fixtureManifest(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got, _, err := Export(m, format)
			if err != nil {
				t.Fatal(err)
			}
			again, _, _ := Export(m, format)
			if !bytes.Equal(got, again) {
				t.Fatal("two exports of the same manifest differ")
			}
			golden := filepath.Join("testdata", "golden", "unusual."+format)
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, _, err := Export(&manifest.Manifest{}, "iis"); err == nil || !strings.Contains(err.Error(), "netlify") {
		t.Errorf("Export(iis) = %v, want an error listing the formats", err)
	}
}

func TestEmptySite(t *testing.T) {
	m := &manifest.Manifest{Hash: "00", Pages: map[string]*manifest.Page{"/zz.html": {}}}
	for _, format := range Formats {
		out, warnings, err := Export(m, format)
		if err != nil || len(warnings) > 0 {
			t.Errorf("%s: %v %v", format, err, warnings)
		}
		if !strings.Contains(string(out), "push manifest 00") {
			t.Errorf("%s: no header comment naming the manifest:\n%s", format, out)
		}
		if strings.Contains(string(out), "zz") {
			t.Errorf("%s: a page without critical assets is exported:\n%s", format, out)
		}
	}
}

func TestControlCharacterPageLeftOut(t *testing.T) {
	m := &manifest.Manifest{Hash: "00", Pages: map[string]*manifest.Page{
		"/a\nb.html": {Assets: []manifest.Asset{{Path: "/x.css", As: "style", Why: "link"}}},
	}}
	for _, format := range Formats {
		out, warnings, _ := Export(m, format)
		if len(warnings) == 0 || strings.Contains(string(out), "x.css") {
			t.Errorf("%s: page with a newline exported (warnings %v):\n%s", format, warnings, out)
		}
	}
}

// unusualNames are the files of the fixture site: name on disk, content.
// References in HTML are percent-encoded as a careful author writes them.
var unusualNames = map[string]string{
	"index.html": `<!doctype html><html><head>
<link rel="stylesheet" href="a%20b.css">
<link rel="stylesheet" href="q'uote.css">
<link rel="stylesheet" href="per%25cent.css">
<link rel="stylesheet" href="dollar$1.css">
<link rel="stylesheet" href="%C3%BCn%C3%AF.css">
<link rel="stylesheet" href="brace%7Bx%7D.css">
<link rel="preload" href="f.woff2" as="font" type="font/woff2" crossorigin>
<link rel="modulepreload" href="app.mjs">
</head><body><p>root</p></body></html>`,
	"my docs/index.html": `<!doctype html><html><head><link rel="stylesheet" href="../a%20b.css">
<script src="/app.js"></script></head><body>docs</body></html>`,
	`q"page.html`:      `<!doctype html><html><head><link rel="stylesheet" href="/a%20b.css"></head><body>q</body></html>`,
	"pct%page.html":    `<!doctype html><html><head><link rel="stylesheet" href="/per%25cent.css"></head><body>p</body></html>`,
	"ünï/index.html":   `<!doctype html><html><head><link rel="stylesheet" href="/%C3%BCn%C3%AF.css"></head><body>u</body></html>`,
	"it's {here}.html": `<!doctype html><html><head><link rel="stylesheet" href="/q'uote.css"></head><body>i</body></html>`,
	"plain.html":       `<!doctype html><html><head><title>none</title></head><body>no assets</body></html>`,
	"CASE.html":        `<!doctype html><html><head><link rel="stylesheet" href="/a%20b.css"></head><body>upper</body></html>`,
	"case.html":        `<!doctype html><html><head><link rel="stylesheet" href="/q'uote.css"></head><body>lower</body></html>`,
	"a b.css":          "p{}",
	"q'uote.css":       "p{}",
	"per%cent.css":     "p{}",
	"dollar$1.css":     "p{}",
	"ünï.css":          "p{}",
	"brace{x}.css":     "p{}",
	"f.woff2":          "wOF2",
	"app.mjs":          "export {}",
	"app.js":           "1",
}

// fixtureSite writes the fixture site into a new folder, readable by all
// (a server may read it as another user).
func fixtureSite(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	for d := filepath.Dir(dir); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	for name, body := range unusualNames {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func buildManifest(t testing.TB, dir string) *manifest.Manifest {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, problems, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !p.Warning {
			t.Fatalf("build %s: %v", dir, p)
		}
	}
	if _, err := manifest.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fixtureManifest(t testing.TB) *manifest.Manifest {
	m := buildManifest(t, fixtureSite(t))
	if p := m.Pages["/index.html"]; len(p.Assets) != 6 || len(p.Preload) != 2 {
		t.Fatalf("fixture index has %d assets and %d preloads, want 6 and 2: %+v", len(p.Assets), len(p.Preload), p)
	}
	return m
}

var corpusCache = struct {
	sync.Mutex
	m map[string]*manifest.Manifest
}{m: map[string]*manifest.Manifest{}}

// corpusManifest returns the manifest of a prepared real site, built once.
func corpusManifest(t *testing.T, name string) *manifest.Manifest {
	dir := testsite.Dir(t, name)
	corpusCache.Lock()
	defer corpusCache.Unlock()
	if m := corpusCache.m[name]; m != nil {
		return m
	}
	m := buildManifest(t, dir)
	corpusCache.m[name] = m
	return m
}

// pythonSite returns the prepared python docs and their manifest, built once.
func pythonSite(t *testing.T) (string, *manifest.Manifest) {
	return testsite.Dir(t, "python"), corpusManifest(t, "python")
}

// wantLinks returns, for each URL path a page answers at, the Link values
// its hint carries: none for a page without hints.
func wantLinks(m *manifest.Manifest, pretty bool) map[string][]string {
	want := map[string][]string{}
	for k, p := range m.Pages {
		if hasControl(k) {
			continue // left out, with a warning
		}
		var links []string
		for _, a := range p.Assets {
			links = append(links, a.Link())
		}
		for _, a := range p.Preload {
			links = append(links, a.PreloadLink())
		}
		for _, u := range pageURLs(k, pretty) {
			want[u] = links
		}
	}
	return want
}
