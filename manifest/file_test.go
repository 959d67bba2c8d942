package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func exampleFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":         file(`<link rel=stylesheet href=css/a.css><script src=js/a.js></script>`),
		"sub/index.html":     file(`<link rel=stylesheet href=../css/a.css>`),
		"css/a.css":          file(`@import "b.css"; body{}`),
		"css/b.css":          file(`p{}`),
		"js/a.js":            file(`1`),
		".git/config":        file(`secret`),
		"push-manifest.json": file(`{}`),
	}
}

func TestDeterministic(t *testing.T) {
	var first []byte
	for _, workers := range []int{1, 2, 8, 1} {
		m, _, err := Build(exampleFS(), Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(first, data) {
			t.Fatalf("workers=%d: manifest bytes differ", workers)
		}
	}
}

func TestHiddenFilesAreNotContent(t *testing.T) {
	m, _, err := Build(exampleFS(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range m.Files {
		if strings.Contains(p, ".git") || strings.Contains(p, FileName) {
			t.Errorf("%s listed as site content", p)
		}
	}
	if len(m.Files) != 5 || len(m.Pages) != 2 {
		t.Errorf("got %d files, %d pages; want 5, 2", len(m.Files), len(m.Pages))
	}
}

func TestHidden(t *testing.T) {
	for p, want := range map[string]bool{
		"/index.html": false, "/a/b.css": false, "/" + FileName: true, "/a/" + FileName: false,
		"/.env": true, "/.git/config": true, "/a/.#index.html": true,
		"/index.html~": true, "/notes~/a.html": true, "/a/.index.html.swp": true, "/a/index.html.swx": true,
		"/a/4913": true, "/a/49130": false, "/_headers": true, "/_redirects": true, "/docs/_headers": false,
		"/a~b.html": false, "/swp.html": false,
		"/" + FileName + ".gz": true, "/_headers.br": true, "/a.css.gz": false,
	} {
		if got := Hidden(p); got != want {
			t.Errorf("Hidden(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestHashSetWhenBuilt: every manifest handed out carries the hash Marshal
// gives it, before anyone marshals it: a build, the manifest after an
// update, and one a Never set filtered.
func TestHashSetWhenBuilt(t *testing.T) {
	sealed := func(what string, m *Manifest) { t.Helper(); sealed(t, what, m) }
	fsys := exampleFS()
	m, _, err := Build(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sealed("Build", m)
	fsys["a \"b\"\\<\u2028\x7f.css"] = file("odd{}") // names JSON escapes
	for _, origin := range []string{"", "https://example.org"} {
		odd, _, err := Build(fsys, Options{Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		sealed("Build with odd names, origin "+origin, odd)
	}
	delete(fsys, "a \"b\"\\<\u2028\x7f.css")
	b, err := NewBuilder(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sealed("Builder.Manifest", b.Manifest())
	fsys["extra.css"] = file("extra{}")
	b.Update("/extra.css")
	updated := b.Manifest()
	sealed("Builder.Manifest after Update", updated)
	if updated.Hash == m.Hash {
		t.Error("the hash did not change with the site")
	}
	key := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(key, []byte("extra{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	filtered, problems := NewNever(key).Filter(updated)
	if len(problems) != 1 {
		t.Fatalf("Filter: problems %v, want /extra.css", problems)
	}
	sealed("Never.Filter", filtered)
}

// sealed reports an error unless m's hash is the one Marshal gives it.
func sealed(t testing.TB, what string, m *Manifest) {
	t.Helper()
	got := m.Hash
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if got == "" || got != m.Hash {
		t.Errorf("%s: hash %q, Marshal gives %q", what, got, m.Hash)
	}
	asJSON(t, what, m, data)
}

// asJSON reports an error unless data, which Marshal gave for m, is what
// encoding/json writes for m, and m.Hash the sha256 of what it writes with
// Hash empty.
func asJSON(t testing.TB, what string, m *Manifest, data []byte) {
	t.Helper()
	encode := func(m Manifest) []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	unsealed := *m
	unsealed.Hash = ""
	if sum := sha256.Sum256(encode(unsealed)); hex.EncodeToString(sum[:]) != m.Hash {
		t.Errorf("%s: hash %s, encoding/json's JSON gives %x", what, m.Hash, sum)
	}
	want := encode(*m)
	if bytes.Equal(data, want) {
		return
	}
	i := 0
	for i < len(data) && i < len(want) && data[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	t.Errorf("%s: Marshal's JSON differs from encoding/json's at byte %d of %d:\n got %q\nwant %q",
		what, i, len(want), data[from:min(len(data), i+80)], want[from:min(len(want), i+80)])
}

// TestMarshalAsJSON holds Marshal to encoding/json on the edges of the
// format: nil and empty maps and lists, a nil page, fields left out when
// empty, and strings that need escapes.
func TestMarshalAsJSON(t *testing.T) {
	const odd = "/a \"b\" <c> & d\\e\u00e9\u2028\x01.css"
	oddAsset := Asset{Path: odd, As: odd, Type: odd, Size: 1, Hash: odd, Why: Why(odd), CrossOrigin: odd, Media: odd}
	var whys []Asset
	for i, why := range []Why{WhyLink, WhyImport, WhyHeadScript, WhyBodyStyle, WhyBodyScript,
		WhyFontFace, WhyPreload, WhyModulePreload, WhyHero} {
		whys = append(whys, Asset{Path: "/" + string(why), As: "style", Type: "text/css; charset=utf-8",
			Size: int64(i) << (7 * i), Hash: "ab" + string(why), Why: why})
	}
	tests := []struct {
		name string
		m    *Manifest
		// unread is set for manifests Unmarshal must refuse: another
		// version, and strings not in UTF-8, which JSON writes with
		// \ufffd escapes that read back as other strings (Build leaves
		// such names out).
		unread bool
	}{
		{name: "zero", m: &Manifest{}, unread: true},
		{name: "empty maps", m: &Manifest{Version: Version, Pages: map[string]*Page{}, Files: map[string]File{}}},
		{name: "nil pages map", m: &Manifest{Version: Version, Files: map[string]File{"/a.css": {Size: 3}}}},
		{name: "nil files map", m: &Manifest{Version: Version, Pages: map[string]*Page{"/index.html": {}}}},
		{name: "nil page", m: &Manifest{Version: Version, Pages: map[string]*Page{"/a.html": nil, "/b.html": {}}}},
		{name: "empty page, origin", m: &Manifest{Version: Version, Origin: "https://example.org",
			Pages: map[string]*Page{"/index.html": {}}, Files: map[string]File{}}},
		{name: "stale hash", m: &Manifest{Version: Version, Hash: "0123", Pages: map[string]*Page{}}},
		{name: "empty lists", m: &Manifest{Version: Version, Pages: map[string]*Page{
			"/empty.html": {Assets: []Asset{}, Preload: []Asset{}, Deferred: []Asset{}, External: []string{}, Missing: []Missing{}},
			"/nil.html":   {Preload: []Asset{}, External: nil, Missing: []Missing{}},
		}}},
		{name: "odd strings", m: &Manifest{Version: Version, Origin: odd,
			Pages: map[string]*Page{odd: {Assets: []Asset{oddAsset}, Preload: []Asset{oddAsset}, Deferred: []Asset{oddAsset},
				External: []string{odd, odd}, Missing: []Missing{{Path: odd, Why: Why(odd), From: odd, Line: 1}}}},
			Files: map[string]File{odd: {Size: 1, Type: odd, Hash: odd}}}},
		{name: "not UTF-8", m: &Manifest{Version: Version, Origin: "caf\xe9", Files: map[string]File{"/r\xe9sum\xe9": {Type: "\xff"}}}, unread: true},
		{name: "whys, lines, sizes", m: &Manifest{Version: Version,
			Pages: map[string]*Page{"/index.html": {Assets: whys[:6], Preload: whys[6:], Deferred: whys[3:5],
				Missing: []Missing{{Path: "/gone.css", Why: WhyImport, From: "/a.css", Line: 0},
					{Path: "/gone.woff2", Why: WhyFontFace, From: "/b.css", Line: 1 << 40}}}},
			Files: map[string]File{"/big": {Size: 1<<63 - 1, Type: "application/octet-stream", Hash: "ff"},
				"/empty": {}, "/a": {Size: 1}}}},
		{name: "other version", m: &Manifest{Version: 1 << 40}, unread: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			asJSON(t, tt.name, tt.m, data)
			read, err := Unmarshal(data)
			if tt.unread {
				if err == nil {
					t.Error("Unmarshal read it")
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if read.Hash != tt.m.Hash {
				t.Errorf("read back hash %s, want %s", read.Hash, tt.m.Hash)
			}
		})
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	m, _, _ := Build(exampleFS(), Options{Origin: "https://example.org"})
	if err := Write(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != m.Hash || got.Origin != m.Origin || len(got.Pages) != len(m.Pages) {
		t.Errorf("read back %+v, wrote %+v", got, m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left beside the manifest: %v", entries)
	}
}

func TestReadRejects(t *testing.T) {
	m, _, _ := Build(exampleFS(), Options{})
	good, _ := Marshal(m)
	tests := []struct {
		name, data, want string
	}{
		{"cut short", string(good[:len(good)/2]), "unexpected end"},
		{"edited by hand", strings.Replace(string(good), `"/css/a.css"`, `"/css/z.css"`, 1), "does not match its hash"},
		{"other version", strings.Replace(string(good), `"version": 2`, `"version": 9`, 1), "version 9"},
		{"not json", "<html>", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			os.WriteFile(path, []byte(tt.data), 0o644)
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Read: %v, want an error naming the file and %q", err, tt.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "herald build") {
		t.Errorf("missing manifest: %v, want a hint to run herald build", err)
	}
}

// TestBadInput: links out of the site, broken links, oversized pages and
// names not in UTF-8 are reported by name, and the rest of the site is
// still built.
func TestBadInput(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.css"), []byte("body{}"), 0o644)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<link rel=stylesheet href=out.css><link rel=stylesheet href=ok.css>`), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.css"), []byte("p{}"), 0o644)
	os.WriteFile(filepath.Join(dir, "huge.html"), bytes.Repeat([]byte("<p>x</p>"), 200), 0o644)
	os.Symlink(filepath.Join(outside, "secret.css"), filepath.Join(dir, "out.css"))
	os.Symlink("nowhere", filepath.Join(dir, "broken.js"))
	os.Symlink(outside, filepath.Join(dir, "linkout"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink("sub", filepath.Join(dir, "alias"))
	os.WriteFile(filepath.Join(dir, "caf\xe9.css"), []byte("p{}"), 0o644) // Latin-1
	os.MkdirAll(filepath.Join(dir, "r\xe9sum\xe9", "in"), 0o755)
	os.WriteFile(filepath.Join(dir, "r\xe9sum\xe9", "in", "a.css"), []byte("p{}"), 0o644)

	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, problems, err := Build(root.FS(), Options{MaxPageBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/out.css":      "never served",
		"/broken.js":    "broken link",
		"/huge.html":    "limit for parsing",
		"/linkout":      "never served",
		"/alias":        "not followed",
		"/caf\xe9.css":  "not UTF-8",
		"/r\xe9sum\xe9": "not UTF-8",
	}
	for _, p := range problems {
		w, ok := want[p.Path]
		if !ok || !strings.Contains(p.Err.Error(), w) {
			t.Errorf("unexpected problem %v", p)
		}
		delete(want, p.Path)
	}
	for p := range want {
		t.Errorf("no problem reported for %s", p)
	}
	if _, ok := m.Files["/out.css"]; ok {
		t.Error("a file outside the site was listed")
	}
	if got := assetList(m.Pages["/index.html"].Assets); len(got) != 1 || got[0] != "link /ok.css" {
		t.Errorf("index assets: %v", got)
	}
	if _, ok := m.Files["/huge.html"]; !ok {
		t.Error("an oversized page must still be served")
	}
}

func TestCheck(t *testing.T) {
	site := exampleFS()
	stored, _, _ := Build(site, Options{})
	Marshal(stored)

	site["css/b.css"] = file(`p{color:red}`)
	site["new.html"] = file(`<script src=gone.js></script>`)
	delete(site, "sub/index.html")
	built, _, _ := Build(site, Options{})

	got := []string{}
	for _, f := range Check(built, stored, nil, Budget{MaxAssets: 2}) {
		got = append(got, f.Kind+" "+f.String())
	}
	want := []string{
		"stale /index.html: /css/b.css changed (12 bytes, was 3): the manifest is stale, run herald build",
		"stale /new.html: page is not in the manifest: the manifest is stale, run herald build",
		"stale /sub/index.html: page is in the manifest but no longer in the site: the manifest is stale, run herald build",
		"budget /index.html: 3 critical assets, over the budget of 2: combine or defer some, or raise --max-assets",
		"missing /new.html:1: script /gone.js does not exist: fix the reference or add the file",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := Check(stored, stored, nil, Budget{}); len(f) != 0 {
		t.Errorf("a current manifest has findings: %v", f)
	}

	// Files no page needs: named, the first three.
	site = exampleFS()
	for _, n := range []string{"d.txt", "a.txt", "c.txt", "b.txt"} {
		site[n] = file(n)
	}
	built, _, _ = Build(site, Options{})
	f := Check(built, stored, nil, Budget{})
	if want := "4 files were added, changed or removed since it was built (/a.txt, /b.txt, /c.txt, ...): the manifest is stale, run herald build"; len(f) != 1 || f[0].String() != want {
		t.Errorf("findings %v\nwant %q", f, want)
	}
}
