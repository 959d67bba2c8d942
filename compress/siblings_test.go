package compress

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestWriteSiblings writes the siblings of a file: new ones, a stale one
// replaced, the site's own fresh one kept, and a stale one whose coding is
// not worth it removed; a second run changes nothing, and the bytes are
// those of any other run.
func TestWriteSiblings(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "a.css")
	data := text("abc")
	os.WriteFile(css, data, 0o644)
	os.WriteFile(css+".gz", Encode(Gzip, text("old")), 0o644) // stale
	var own bytes.Buffer                                      // the site's own, at another level
	w := brotli.NewWriterLevel(&own, 11)
	w.Write(data)
	w.Close()
	os.WriteFile(css+".br", own.Bytes(), 0o644)
	tiny := filepath.Join(dir, "t.js")
	os.WriteFile(tiny, []byte("x"), 0o644)
	os.WriteFile(tiny+".zst", Encode(Zstd, []byte("y")), 0o644) // stale, and zstd of "x" is not worth it

	st, err := NewEncoder(1).WriteSiblings(css, 0o644, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SiblingStats{Written: 2, Kept: 1}); st != want {
		t.Errorf("a.css: %+v, want %+v", st, want)
	}
	for _, c := range Siblings {
		b, err := os.ReadFile(css + c.Ext())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(decode(t, c, b), data) {
			t.Errorf("%s does not decode to the file", c.Ext())
		}
	}
	if b, _ := os.ReadFile(css + ".br"); !bytes.Equal(b, own.Bytes()) {
		t.Errorf("the site's own fresh .br was replaced")
	}
	if b, _ := os.ReadFile(css + ".zst"); !bytes.Equal(b, Encode(Zstd, data)) {
		t.Errorf(".zst differs from another encoder's: not deterministic")
	}
	if st, err := NewEncoder(1).WriteSiblings(tiny, 0o644, false); err != nil || st != (SiblingStats{Removed: 1}) {
		t.Errorf("t.js: %+v, %v; want the stale .zst removed", st, err)
	}
	if _, err := os.Stat(tiny + ".zst"); err == nil {
		t.Errorf("stale t.js.zst left")
	}
	if st, err := NewEncoder(1).WriteSiblings(css, 0o644, true); err != nil || st != (SiblingStats{Kept: 3}) {
		t.Errorf("second run: %+v, %v; want all kept", st, err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, ".*")); len(files) > 0 {
		t.Errorf("temporary files left: %v", files)
	}
}

// TestWriteBestSiblings: a critical asset's .br sibling is brotli at its
// best quality, smaller than brotli 6's, and the same bytes every run; its
// other siblings are those of any file.
func TestWriteBestSiblings(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "a.css")
	data, _ := io.ReadAll(newText(7, 60<<10))
	os.WriteFile(css, data, 0o644)
	st, err := NewEncoder(1).WriteSiblings(css, 0o644, true)
	if err != nil || st != (SiblingStats{Written: 3}) {
		t.Fatalf("%+v, %v; want 3 written", st, err)
	}
	br, _ := os.ReadFile(css + ".br")
	if usual := Encode(Brotli, data); len(br) >= len(usual) || !bytes.Equal(decode(t, Brotli, br), data) {
		t.Errorf(".br of a critical asset: %d bytes against brotli 6's %d, or not the file", len(br), len(usual))
	}
	if !bytes.Equal(br, Encode(brotliBest, data)) {
		t.Errorf(".br of a critical asset is not the best form of another encoder: not deterministic")
	}
	if gz, _ := os.ReadFile(css + ".gz"); !bytes.Equal(gz, Encode(Gzip, data)) {
		t.Errorf(".gz of a critical asset differs from any file's")
	}
}
