package compress

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// decode undoes Encode with the libraries' readers.
func decode(t testing.TB, c Coding, data []byte) []byte {
	t.Helper()
	r := decoder(t, c, data)
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %v: %v", c, err)
	}
	return out
}

// decoder reads data, a form in coding c, as the file it encodes.
func decoder(t testing.TB, c Coding, data []byte) io.ReadCloser {
	t.Helper()
	switch c {
	case Zstd:
		d, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		return d.IOReadCloser()
	case Brotli, brotliBest:
		return io.NopCloser(brotli.NewReader(bytes.NewReader(data)))
	case Gzip:
		g, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	return io.NopCloser(bytes.NewReader(data))
}

func text(seed string) []byte {
	return []byte(strings.Repeat("body { color: #"+seed+"; margin: 0 auto; }\n", 200))
}

// bytesFile is a File of data.
func bytesFile(data []byte) File {
	return File{Hash: sha256Hex(data), Size: int64(len(data)), Open: opener(data)}
}

func opener(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// unreadable is a File of hash that cannot be opened: its form must come
// from the cache.
func unreadable(hash string, size int) File {
	return File{Hash: hash, Size: int64(size), Open: func() (io.ReadCloser, error) { return nil, fmt.Errorf("read the file again") }}
}

func TestGetCompressesOnce(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	data := text("abc")
	h := sha256Hex(data)
	for _, cd := range Preferred {
		var wg sync.WaitGroup
		results := make([][]byte, 8)
		for i := range results {
			wg.Go(func() {
				b, err := c.Get(bytesFile(data), cd)
				if err != nil {
					t.Error(err)
				}
				results[i] = b
			})
		}
		wg.Wait()
		for _, b := range results {
			if !bytes.Equal(decode(t, cd, b), data) {
				t.Fatalf("%v: the form does not decode to the file", cd)
			}
		}
	}
	if n := c.Stats().Compressed; n != 3 {
		t.Errorf("compressed %d times for 3 codings, want 3", n)
	}
	if b, ok := c.Peek(h, Zstd); !ok || b == nil {
		t.Errorf("Peek: the zstd form is not in memory")
	}
}

// TestGetChanged: a file whose bytes are not those of its hash, or not of
// its size, has no form; a file of the right bytes and size too large for
// its form to be worth it has none either, yet it is read to its end.
func TestGetChanged(t *testing.T) {
	old, edited := text("old"), text("new")
	for _, tc := range []struct {
		name string
		f    File
	}{
		{"other bytes", File{Hash: sha256Hex(old), Size: int64(len(old)), Open: opener(edited)}},
		{"longer", File{Hash: sha256Hex(old), Size: int64(len(old)), Open: opener(append(slicesClone(old), 'x'))}},
		{"shorter", File{Hash: sha256Hex(old), Size: int64(len(old)), Open: opener(old[:len(old)-1])}},
		{"size wrong", File{Hash: sha256Hex(old), Size: int64(len(old) - 1), Open: opener(old)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{})
			defer c.Close()
			for _, cd := range Preferred {
				if b, err := c.Get(tc.f, cd); err != ErrChanged {
					t.Fatalf("%v: got %d bytes, %v, want ErrChanged", cd, len(b), err)
				}
				if _, ok := c.Peek(tc.f.Hash, cd); ok {
					t.Errorf("%v: a form of changed bytes is kept", cd)
				}
			}
		})
	}
}

func TestNotWorth(t *testing.T) {
	c := New(Options{Dir: t.TempDir()})
	defer c.Close()
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rand.N(256))
	}
	b, err := c.Get(bytesFile(noise), Brotli)
	if err != nil || b != nil {
		t.Fatalf("got %d bytes, %v: want nil (send it as it is)", len(b), err)
	}
	c2 := New(Options{Dir: c.dir})
	defer c2.Close()
	if b, err := c2.Get(unreadable(sha256Hex(noise), len(noise)), Brotli); err != nil || b != nil || c2.Stats().DiskHits != 1 {
		t.Fatalf("from disk: %d bytes, %v, %+v", len(b), err, c2.Stats())
	}
}

func TestDiskCache(t *testing.T) {
	dir := t.TempDir()
	data := text("def")
	h := sha256Hex(data)
	c := New(Options{Dir: dir})
	want, err := c.Get(bytesFile(data), Gzip)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, h[:2], h+".gz")
	stored, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("restart", func(t *testing.T) {
		c := New(Options{Dir: dir})
		defer c.Close()
		got, err := c.Get(unreadable(h, len(data)), Gzip)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
		if s := c.Stats(); s.Compressed != 0 || s.DiskHits != 1 {
			t.Errorf("%+v, want one disk hit and nothing compressed", s)
		}
	})
	for _, bad := range []struct {
		name string
		data []byte
	}{
		{"truncated", stored[:len(stored)-7]},
		{"header only", stored[:diskHeader-1]},
		{"corrupted", append(slicesClone(stored[:len(stored)-1]), stored[len(stored)-1]^1)},
		{"other magic", append([]byte("herald-z0\n"), stored[len(diskMagic):]...)},
		{"empty", nil},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if err := os.WriteFile(file, bad.data, 0o600); err != nil {
				t.Fatal(err)
			}
			c := New(Options{Dir: dir})
			defer c.Close()
			got, err := c.Get(bytesFile(data), Gzip)
			if err != nil || !bytes.Equal(decode(t, Gzip, got), data) {
				t.Fatalf("got %d bytes, %v", len(got), err)
			}
			if s := c.Stats(); s.Compressed != 1 || s.DiskHits != 0 {
				t.Errorf("%+v: the bad file was served, not made again", s)
			}
			if again, _ := os.ReadFile(file); !bytes.Equal(again, stored) {
				t.Errorf("the bad file was not replaced")
			}
		})
	}
	t.Run("left no temporary files", func(t *testing.T) {
		files, _ := os.ReadDir(filepath.Dir(file))
		if len(files) != 1 {
			t.Errorf("%d files in %s, want 1", len(files), filepath.Dir(file))
		}
	})
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

func TestMemoryBudget(t *testing.T) {
	const budget = 8 << 10
	c := New(Options{MemoryBudget: budget})
	defer c.Close()
	var first string
	for i := range 200 {
		data := text(fmt.Sprintf("%06d", i))
		data = append(data, fmt.Sprint(rand.N(1<<30))...)
		h := sha256Hex(data)
		if i == 0 {
			first = h
		}
		if _, err := c.Get(bytesFile(data), Gzip); err != nil {
			t.Fatal(err)
		}
		if m := c.Stats().MemoryBytes; m > budget {
			t.Fatalf("%d bytes held, budget %d", m, budget)
		}
	}
	if _, ok := c.Peek(first, Gzip); ok {
		t.Errorf("the least recently used form was not evicted")
	}
}

func TestWarm(t *testing.T) {
	dir := t.TempDir()
	c := New(Options{Dir: dir})
	defer c.Close()
	crit, rest := text("c1"), text("r1")
	changed := text("x")
	c.Warm("site", []File{bytesFile(crit), {Hash: sha256Hex(changed), Size: int64(len(changed)), Open: opener(text("y"))}},
		[]File{bytesFile(rest), bytesFile(crit)})
	c.Wait()
	if _, ok := c.Peek(sha256Hex(crit), Zstd); ok {
		t.Errorf("zstd form made ahead, want it on first request only")
	}
	for _, cd := range Warmed {
		if b, ok := c.Peek(sha256Hex(crit), cd); !ok || b == nil {
			t.Errorf("critical %v not in memory", cd)
		}
		if _, ok := c.Peek(sha256Hex(rest), cd); ok {
			t.Errorf("rest %v in memory, want on disk only", cd)
		}
		if !fileExists(c.path(key{sha256Hex(rest), cd})) {
			t.Errorf("rest %v not on disk", cd)
		}
		if _, ok := c.Peek(sha256Hex(changed), cd); ok {
			t.Errorf("a changed file's form was kept")
		}
	}
	if n := c.Stats().Compressed; n != 4 {
		t.Errorf("compressed %d forms, want 4 (2 files, 2 codings warmed)", n)
	}
}

// TestWarmSites warms two sites, one after the other: each owner keeps its
// queue, where one queue for the process would drop the first site's.
func TestWarmSites(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	a, b := text("a1"), text("b1")
	block := make(chan struct{})
	slow := bytesFile(a)
	slow.Open = func() (io.ReadCloser, error) { <-block; return opener(a)() } // holds the warmer on site a
	a2 := text("a2")
	c.Warm("a", []File{slow, bytesFile(a2)}, nil)
	c.Warm("b", []File{bytesFile(b)}, nil)
	close(block)
	c.Wait()
	for name, data := range map[string][]byte{"a": a, "a2": a2, "b": b} {
		for _, cd := range Warmed {
			if _, ok := c.Peek(sha256Hex(data), cd); !ok {
				t.Errorf("%s: %v form not made", name, cd)
			}
		}
	}
	// A site's new queue replaces its own only.
	c.Warm("a", nil, nil)
	c.Wait()
}

func TestCloseUnwarmed(t *testing.T) {
	c := New(Options{})
	if _, err := c.Get(bytesFile(text("x")), Gzip); err != nil {
		t.Fatal(err)
	}
	c.Close() // returns, though no warmer ran
	c.Close()
}

// TestDiskBudget fills a disk cache of a tiny budget: the folder stays
// under it, the forms least recently used go first, and the form read
// last stays.
func TestDiskBudget(t *testing.T) {
	dir := t.TempDir()
	form := len(Encode(Gzip, text("000"))) + diskHeader
	budget := int64(5 * form)
	c := New(Options{Dir: dir, DiskBudget: budget})
	defer c.Close()
	first := text("000")
	for i := range 30 {
		data := text(fmt.Sprintf("%03d", i))
		if _, err := c.Get(bytesFile(data), Gzip); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // the first form is read from disk again and again
			c2 := New(Options{Dir: dir, DiskBudget: budget})
			if _, err := c2.Get(unreadable(sha256Hex(first), len(first)), Gzip); err != nil {
				t.Fatalf("form %d: the form read last was pruned: %v", i, err)
			}
			c2.Close()
		}
		if n := diskUsage(t, dir); n > budget {
			t.Fatalf("after %d forms: %d bytes on disk, budget %d", i+1, n, budget)
		}
	}
	if _, err := os.Stat(c.path(key{sha256Hex(text("001")), Gzip})); err == nil {
		t.Errorf("a form not used since it was written is still on disk")
	}
}

func diskUsage(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			n += info.Size()
		}
		return nil
	})
	return n
}

// TestGetStats: each Get counts once, where its form was: made (a miss),
// then in memory; a second cache on the same folder finds it on disk.
func TestGetStats(t *testing.T) {
	dir := t.TempDir()
	data := text("stats")
	c := New(Options{Dir: dir})
	defer c.Close()
	for range 3 {
		if _, err := c.Get(bytesFile(data), Gzip); err != nil {
			t.Fatal(err)
		}
	}
	c.Get(bytesFile(data), Identity)
	if s := c.Stats(); s.GetMiss != 1 || s.GetMemory != 2 || s.GetDisk != 0 {
		t.Errorf("after 3 Gets: %+v, want 1 miss, 2 from memory", s)
	}
	c2 := New(Options{Dir: dir})
	defer c2.Close()
	c2.Get(bytesFile(data), Gzip)
	if s := c2.Stats(); s.GetMiss != 0 || s.GetMemory != 0 || s.GetDisk != 1 {
		t.Errorf("a new cache on the folder: %+v, want 1 from disk", s)
	}
}
