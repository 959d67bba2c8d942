package compress

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"herald/internal/atomicfile"
)

// Siblings are the codings of the precompressed files herald build and
// herald bundle write beside a file (a.css.zst, a.css.br, a.css.gz), in
// that order.
var Siblings = [...]Coding{Zstd, Brotli, Gzip}

// Forms returns data's form in each coding of Siblings, nil where it is
// not worth it (Worth). With best, for a critical asset, its brotli form is
// made at the best quality (11) rather than 6: a critical asset is read
// before every first paint and compressed once, here, while brotli 11
// costs 30 times the CPU of 6 (encode.go): every text file at 11 would
// make a build of a large site take minutes. The same bytes always give
// the same forms.
func (e *Encoder) Forms(data []byte, best bool) (forms [len(Siblings)][]byte) {
	for i, c := range Siblings {
		if c == Brotli && best {
			c = brotliBest
		}
		if b := e.Encode(c, data); Worth(len(b), len(data)) {
			forms[i] = b
		}
	}
	return forms
}

// SiblingStats count what WriteSiblings did.
type SiblingStats struct {
	Written int // siblings written, new or replacing stale ones
	Kept    int // siblings that already held the file's bytes
	Removed int // stale siblings whose coding is not worth it now
}

// WriteSiblings writes beside the file at path its forms in the codings of
// Siblings that are worth it (Forms, best for a critical asset), each atomically (a server reading the folder
// meanwhile sees the old sibling or the new one). A sibling that already
// decodes to the file's bytes is left as it is: one made by hand at another
// level, or by an earlier run, keeping its time. A sibling of other bytes
// is stale: it is replaced, or removed when its coding is not worth it, so
// that no form of older bytes stays beside the file.
func (e *Encoder) WriteSiblings(path string, perm fs.FileMode, best bool) (SiblingStats, error) {
	var st SiblingStats
	data, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	forms := e.Forms(data, best)
	for i, c := range Siblings {
		p := path + c.Ext()
		old, err := os.ReadFile(p)
		fresh := err == nil && decodesTo(c, old, data)
		switch {
		case fresh:
			st.Kept++
		case forms[i] != nil:
			if err := atomicfile.WriteFile(p, forms[i], perm); err != nil {
				return st, err
			}
			st.Written++
		case err == nil:
			if err := os.Remove(p); err != nil {
				return st, err
			}
			st.Removed++
		case !errors.Is(err, fs.ErrNotExist):
			return st, err
		}
	}
	return st, nil
}

// decodesTo reports whether enc, decoded as coding c, is want; it stops
// reading past len(want)+1 bytes, so a hostile sibling cannot make it
// allocate more.
func decodesTo(c Coding, enc, want []byte) bool {
	var r io.Reader
	switch c {
	case Zstd:
		d, err := zstd.NewReader(bytes.NewReader(enc), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return false
		}
		defer d.Close()
		r = d
	case Brotli:
		r = brotli.NewReader(bytes.NewReader(enc))
	case Gzip:
		g, err := gzip.NewReader(bytes.NewReader(enc))
		if err != nil {
			return false
		}
		r = g
	default:
		return false
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}
