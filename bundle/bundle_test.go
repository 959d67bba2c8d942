package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// testExecutable is a real program to append sites to: the test binary.
func testExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

var smallSite = map[string]string{
	"index.html":          `<!doctype html><link rel=stylesheet href=css/site.css><script src=app.js></script>` + strings.Repeat("<p>text ", 200),
	"css/site.css":        `body{font:16px serif}` + strings.Repeat(".a{color:red}", 100),
	"app.js":              `console.log(1)`,
	"img/logo.png":        "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00\x01\x02", 50),
	"dir with space/a b":  "spaces",
	".hidden/secret":      "never bundled",
	manifest.FileName:     `{"stale": true}`,
	"docs/index.html":     `<h1>docs</h1>`,
	"already/there.js":    strings.Repeat("x=1;", 100),
	"already/there.js.gz": "the site's own",
}

func TestBundleRoundTrip(t *testing.T) {
	dir := testsite.WriteDir(t, smallSite)
	out := filepath.Join(t.TempDir(), "site")
	stats, err := Make(t.Context(), testExecutable(t), dir, out, Options{Precompress: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Manifest().Hash != stats.Manifest.Hash {
		t.Errorf("bundled manifest %s, built %s", b.Manifest().Hash, stats.Manifest.Hash)
	}
	if page := b.Manifest().Pages["/index.html"]; page == nil || len(page.Assets) != 2 {
		t.Errorf("bundled manifest's /index.html: %+v", page)
	}
	// Every file of the site, byte for byte; nothing hidden.
	for name, body := range smallSite {
		if name == manifest.FileName {
			continue // the bundle's own, below
		}
		got, err := fs.ReadFile(b.FS(), name)
		hidden := manifest.Hidden("/" + name)
		switch {
		case hidden && err == nil:
			t.Errorf("%s is bundled: %q", name, got)
		case !hidden && (err != nil || string(got) != body):
			t.Errorf("%s: %v, %d bytes, want %d", name, err, len(got), len(body))
		}
	}
	// The manifest at manifest.FileName is the new one, not the site's.
	if data, _ := fs.ReadFile(b.FS(), manifest.FileName); bytes.Contains(data, []byte("stale")) {
		t.Error("the site's old manifest was bundled")
	}
	// Files seek, and read at offsets, as ServeContent needs for ranges.
	f, err := b.FS().Open("css/site.css")
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		t.Fatalf("%T is not an io.ReadSeeker", f)
	}
	if _, err := rs.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 10)
	if _, err := io.ReadFull(rs, part); err != nil || string(part) != smallSite["css/site.css"][5:15] {
		t.Errorf("range 5-15: %q, %v", part, err)
	}
	if info, _ := f.Stat(); info.Size() != int64(len(smallSite["css/site.css"])) || info.IsDir() {
		t.Errorf("stat: %v", info)
	}
	// Files keep their modification time (to the second), for
	// Last-Modified.
	mod := time.Date(2024, 5, 17, 13, 45, 31, 0, time.UTC)
	dir2 := testsite.WriteDir(t, map[string]string{"a.html": "<p>a"})
	if err := os.Chtimes(filepath.Join(dir2, "a.html"), mod, mod); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "site2")
	if _, err := Make(t.Context(), testExecutable(t), dir2, out2, Options{}); err != nil {
		t.Fatal(err)
	}
	b2, err := Open(out2)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if info, err := fs.Stat(b2.FS(), "a.html"); err != nil || !info.ModTime().Equal(mod) {
		t.Errorf("a.html bundled with modification time %v, want %v (%v)", info.ModTime(), mod, err)
	}
	// Folders list their files.
	entries, err := fs.ReadDir(b.FS(), "css")
	if err != nil || len(entries) == 0 {
		t.Errorf("ReadDir css: %v %v", entries, err)
	}
	// Precompressed siblings decode to the file; the site's own .gz stays.
	for _, name := range []string{"index.html", "css/site.css"} {
		for _, enc := range []string{".zst", ".br", ".gz"} {
			data, err := fs.ReadFile(b.FS(), name+enc)
			if err != nil {
				t.Errorf("%s%s: %v", name, enc, err)
				continue
			}
			var r io.Reader = brotli.NewReader(bytes.NewReader(data))
			switch enc {
			case ".gz":
				if r, err = gzip.NewReader(bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
			case ".zst":
				d, err := zstd.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				r = d
			}
			if got, err := io.ReadAll(r); err != nil || string(got) != smallSite[name] {
				t.Errorf("%s%s does not decode to the file: %v", name, enc, err)
			}
			// The bundled manifest lists it, or no server would find it.
			sum := sha256.Sum256(data)
			if f := b.Manifest().Files["/"+name+enc]; f.Hash != hex.EncodeToString(sum[:]) || f.Size != int64(len(data)) {
				t.Errorf("the bundled manifest lists %s%s as %+v", name, enc, f)
			}
		}
	}
	for _, name := range []string{"app.js.br", "img/logo.png.gz"} {
		if _, err := fs.Stat(b.FS(), name); err == nil {
			t.Errorf("%s was made: too small to gain, or not compressible", name)
		}
	}
	if data, _ := fs.ReadFile(b.FS(), "already/there.js.gz"); string(data) != "the site's own" {
		t.Errorf("the site's own .gz was replaced: %q", data)
	}
}

// TestBundleOfABundle: bundling from a bundle appends to the program only,
// not to the site it already carries.
func TestBundleOfABundle(t *testing.T) {
	exe := testExecutable(t)
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "first"), filepath.Join(tmp, "second")
	s1, err := Make(t.Context(), exe, testsite.WriteDir(t, smallSite), first, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Make(t.Context(), first, testsite.WriteDir(t, map[string]string{"index.html": "other"}), second, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(second)
	if s2.Executable != s1.Executable || info.Size() != s1.Executable+s2.Appended {
		t.Errorf("second bundle: program %d bytes (first %d), file %d", s2.Executable, s1.Executable, info.Size())
	}
	b, err := Open(second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := fs.Stat(b.FS(), "css/site.css"); err == nil {
		t.Error("the first site leaked into the second bundle")
	}
}

// TestBundleDamaged: a bundle that lost bytes or had some changed does not
// open, and says so; a plain program has no bundle.
func TestBundleDamaged(t *testing.T) {
	exe := testExecutable(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Make(t.Context(), exe, testsite.WriteDir(t, smallSite), out, Options{}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	exeInfo, _ := os.Stat(exe)
	middle := int(exeInfo.Size()) + (len(good)-int(exeInfo.Size()))/2
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)-100] }, "the bundle is truncated or corrupted"},
		{"truncated to the trailer", func(b []byte) []byte { return b[:len(b)-1] }, "the bundle is truncated or corrupted"},
		{"truncated in the middle", func(b []byte) []byte { return b[:middle] }, "the bundle is truncated or corrupted"},
		{"a byte changed", func(b []byte) []byte { b[middle] ^= 0xff; return b }, "corrupted (its sha256 does not match)"},
		{"length too large", func(b []byte) []byte { b[len(b)-trailerLen+sha256Len] = 0x7f; return b }, "the bundle trailer claims"},
		{"head cut off", func(b []byte) []byte { return b[middle:] }, "the bundle trailer claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "damaged")
			if err := os.WriteFile(p, tt.damage(bytes.Clone(good)), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := Open(p)
			if err == nil {
				b.Close()
				t.Fatal("a damaged bundle opened")
			}
			if errors.Is(err, ErrNoSite) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q, want one naming the file and saying %q", err, tt.want)
			}
		})
	}
	if _, err := Open(exe); !errors.Is(err, ErrNoSite) {
		t.Errorf("plain program: %v, want ErrNoSite", err)
	}
}

const sha256Len = 32

// TestBundleCanceled: a bundle whose context ends leaves nothing behind:
// no temporary file beside the output, and an earlier output as it was.
func TestBundleCanceled(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "site")
	if err := os.WriteFile(out, []byte("the previous bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Make(ctx, testExecutable(t), testsite.WriteDir(t, smallSite), out, Options{Precompress: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Make with a canceled context: %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 || entries[0].Name() != "site" {
		t.Errorf("left in the output's folder: %v, want only site", entries)
	}
	if data, _ := os.ReadFile(out); string(data) != "the previous bundle" {
		t.Errorf("the previous output was replaced: %d bytes", len(data))
	}
}

// TestBundleEmptySite: a folder with nothing to serve is refused, and no
// file is written; it made a bundle of "0 files" that answers 404 to all.
func TestBundleEmptySite(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"empty", map[string]string{}},
		{"only hidden files", map[string]string{".git/HEAD": "ref", manifest.FileName: "{}", "a.html~": "backup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			_, err := Make(t.Context(), testExecutable(t), testsite.WriteDir(t, tt.files), filepath.Join(tmp, "site"), Options{})
			if err == nil || !strings.Contains(err.Error(), "has no files to serve") {
				t.Errorf("Make of an empty site: %v, want a refusal", err)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
				t.Errorf("written: %v", entries)
			}
		})
	}
}
