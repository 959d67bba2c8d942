package compress

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
)

// textReader reads size bytes of text made from seed: lines of markup and
// words of a small vocabulary, compressing about as well as a page does
// (brotli makes a fifth of it), different for each seed.
type textReader struct {
	rng  *rand.Rand
	left int64
	line []byte
}

func newText(seed uint64, size int64) *textReader {
	return &textReader{rng: rand.New(rand.NewPCG(seed, 1)), left: size}
}

var words = []string{"the", "module", "function", "returns", "class", "object", "value", "default",
	"argument", "string", "list", "file", "see", "also", "new", "in", "version", "changed", "raise",
	"error", "if", "is", "not", "none", "true", "false", "for", "each", "item", "of", "a", "an"}

func (t *textReader) Read(p []byte) (int, error) {
	if t.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && t.left > 0 {
		if len(t.line) == 0 {
			t.line = fmt.Appendf(t.line[:0], `<dt id="%s-%d"><a class="reference" href="#%s">`,
				words[t.rng.IntN(len(words))], t.rng.IntN(1000), words[t.rng.IntN(len(words))])
			for range 4 + t.rng.IntN(12) {
				t.line = append(append(t.line, ' '), words[t.rng.IntN(len(words))]...)
			}
			t.line = append(t.line, "</a></dt>\n"...)
		}
		k := copy(p[n:min(len(p), n+int(min(t.left, int64(len(p)))))], t.line)
		t.line = t.line[k:]
		n += k
		t.left -= int64(k)
	}
	return n, nil
}

// textFile is a File of size bytes of text made from seed, which is read
// anew each time it is opened and never held in memory.
func textFile(t testing.TB, seed uint64, size int64) File {
	h := sha256.New()
	if _, err := io.Copy(h, newText(seed, size)); err != nil {
		t.Fatal(err)
	}
	return File{Hash: hex.EncodeToString(h.Sum(nil)), Size: size,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(newText(seed, size)), nil }}
}

// TestEncoderMemory: what an encoder holds after compressing a large file
// is within encoderMemory, the weight the budget gives it.
func TestEncoderMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds to the memory of the encoders")
	}
	for _, c := range []Coding{Gzip, Brotli, Zstd, brotliBest} {
		t.Run(formName(c), func(t *testing.T) {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			before := m.HeapAlloc
			enc := newCodingEncoder(c)
			size := int64(6 << 20)
			if c == brotliBest {
				size = 512 << 10 // two windows; it takes a second per 100 KB
			}
			if err := enc.encode(io.Discard, newText(1, size), size); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&m)
			held := int64(m.HeapAlloc) - int64(before)
			runtime.KeepAlive(enc)
			t.Logf("%v encoder: %.1f MiB held, weighed %.1f MiB", formName(c), float64(held)/(1<<20), float64(encoderMemory[c])/(1<<20))
			if held > encoderMemory[c] {
				t.Errorf("%v encoder holds %d bytes, more than encoderMemory's %d", c, held, encoderMemory[c])
			}
		})
	}
}

// TestEncodeSame: a file's form is the same bytes whether it is read
// whole or in short reads, by a new encoder or by one reused after other
// files (the forms of a cache, a bundle and a restart agree), and it
// decodes to the file.
func TestEncodeSame(t *testing.T) {
	e := NewEncoder(1)
	var files [][]byte
	for i, size := range []int{0, 100, 70 << 10, 300 << 10, 1300 << 10} {
		b, _ := io.ReadAll(newText(uint64(i), int64(size)))
		files = append(files, b)
	}
	for _, c := range []Coding{Gzip, Brotli, Zstd, brotliBest} {
		set := files
		if c == brotliBest {
			set = files[:3] // a second per 100 KB: only critical assets are made so
		}
		for i, data := range set {
			fresh := Encode(c, data)
			if !bytes.Equal(decode(t, c, fresh), data) {
				t.Fatalf("%v, file %d: the form does not decode to the file", c, i)
			}
			e.Encode(c, set[len(set)-1-i]) // the pooled encoder made another form before
			reused := e.Encode(c, data)
			release, _ := e.reserve(t.Context(), c, int64(len(data)))
			short, err := e.encode(c, iotest.HalfReader(bytes.NewReader(data)), int64(len(data)), -1)
			release()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(reused, fresh) || !bytes.Equal(short, fresh) {
				t.Errorf("%v, file %d (%d bytes): reused %v, read in short reads %v: not the bytes of a new encoder",
					c, i, len(data), bytes.Equal(reused, fresh), bytes.Equal(short, fresh))
			}
		}
	}
}

// formName names a form in tests: its coding, or "br11".
func formName(c Coding) string {
	if c == brotliBest {
		return "br11"
	}
	return c.String()
}
