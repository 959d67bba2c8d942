package compress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/bits"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/semaphore"
)

// Levels. Each file is compressed once per hash and kept (in memory and on
// disk), so the levels are as high as start-up, a first request and the
// memory of a small server allow. On the python docs index and its critical
// assets (420 KB; gzip -6 makes 122.5 KB), measured on a busy machine:
//
//	zstd default 129.2 KB 33 ms, better 124.5 KB 17 ms, best 117.0 KB 99 ms
//	br 5 115.5 KB 65 ms, 6 113.9 KB 99 ms, 9 111.8 KB 360 ms, 11 101.4 KB 3.2 s
//	gzip 6 126.2 KB 58 ms, 9 121.2 KB 191 ms
//
// brotli 6 is already below gzip -6, and 9 and 11 cost 4x and 30x its time
// (11 would take minutes of CPU over a 67 MB site). gzip takes 9.
//
// The windows bound what an encoder holds (encoderMemory). Over the 1,049
// text files of the python docs (65.9 MB), brotli 6 made 10.27 MB with a
// 512 KiB window (lgwin 19) against 10.20 MB with one as large as each file
// up to 4 MiB, 10.33 MB at 256 KiB and 10.69 MB at 64 KiB; its encoder for
// searchindex.js (3.6 MB) held 9.2 MiB at 512 KiB and 24 MiB at 4 MiB. Most
// of that is the buffers of a meta-block, which brotli makes as large as
// its ring buffer (1 MiB for lgwin 19): ending one every brotliBlock bytes
// of input (a flush) brings the encoder down to 4.5 MiB for 0.1 % more
// bytes (10.28 MB; every 32 KiB: 3.7 MiB, 10.34 MB). zstd takes its
// "better" level with a 1 MiB window: 11.31 MB, against 10.76 MB at its
// best level, whose encoder is 34 MiB of match tables whatever the window
// (gzip -9 makes 11.44 MB). A client gets zstd only when it does not take
// brotli (Preferred), which no browser does.
const (
	zstdLevel    = zstd.SpeedBetterCompression
	zstdWindow   = 1 << 20
	brotliLevel  = 6
	brotliWindow = 19 // lgwin: 512 KiB
	brotliBlock  = 128 << 10
	gzipLevel    = 9
)

// brotli at its best quality (brotliBest) is made for critical assets
// only, which are small: it takes 30 times the time of level 6, and its
// encoder holds hash chains for its whole window. A 256 KiB window (lgwin
// 18) and a meta-block every 32 KiB of input keep the encoder small; on
// the python docs index and its critical assets they make 104,950 bytes,
// against 116,334 at level 6 (BenchmarkEncode).
const (
	brotliBestLevel  = 11
	brotliBestWindow = 18 // lgwin: 256 KiB
	brotliBestBlock  = 32 << 10
)

// encoderMemory is what an encoder of each coding holds at most, whatever
// the input: its tables, its window and the buffers of its largest block
// (TestEncoderMemory checks it). An encoder is kept between compressions,
// so this is also what an idle one holds until the garbage collector takes
// it back. brotliBest's holds 3.8 MiB once a form is made; it is weighed
// twice that for what the search of its best meta-block holds meanwhile.
var encoderMemory = [numForms]int64{Gzip: 2 << 20, Brotli: 5 << 20, Zstd: 7 << 20, brotliBest: 8 << 20}

// chunk is the most bytes an encoder is given in one Write. brotli picks its
// hash tables by the size of the first Write (larger ones from 1 MiB), so
// writes below that, and flushes at the same offsets, make the same form of
// a file whether it is read from memory or from a file, and from any
// encoder reused.
const chunk = 32 << 10

// Encoder compresses at herald's levels, reusing its encoders between
// calls, and bounds the compressions under way at once and so the memory
// they hold: at most n of each coding (NewEncoder), and, for a Cache's,
// a budget of bytes (the encoders and the forms being made). Its methods
// are safe for concurrent use; a Cache has one, and so does a bundle being
// written.
//
// An encoder idle in the pool is dropped by the garbage collector, so a
// server that has made every form does not hold its tables for ever.
type Encoder struct {
	slots [numForms]chan struct{} // encoders of each coding in use: n
	pools [numForms]sync.Pool     // of *encoder, idle
	mem   *semaphore.Weighted     // bytes held by compressions under way; nil: no bound
	size  int64                   // mem's size
}

// NewEncoder returns an Encoder that runs at most n compressions of each
// coding at once (n < 1 means 1), with no bound on their memory beyond
// that: for a build, which compresses a site on every core.
func NewEncoder(n int) *Encoder { return newEncoder(n, 0) }

// newEncoder returns an Encoder whose compressions under way hold at most
// memory bytes (weight), when memory > 0.
func newEncoder(n int, memory int64) *Encoder {
	e := &Encoder{size: memory}
	for c := range e.slots {
		e.slots[c] = make(chan struct{}, max(n, 1))
	}
	if memory > 0 {
		e.mem = semaphore.NewWeighted(memory)
	}
	for c := range e.pools {
		e.pools[c].New = func() any { return newCodingEncoder(Coding(c)) }
	}
	return e
}

// weight is the memory a compression of size bytes in c may hold: its
// encoder and its form, which is kept only if smaller than the file (Worth).
// A compression larger than the whole budget runs alone.
func (e *Encoder) weight(c Coding, size int64) int64 {
	return min(encoderMemory[c]+max(size, 0), e.size)
}

// reserve takes an encoder slot of c and the memory of compressing size
// bytes, waiting for them until ctx is done, and then returns false.
// release gives them back.
func (e *Encoder) reserve(ctx context.Context, c Coding, size int64) (release func(), ok bool) {
	select {
	case e.slots[c] <- struct{}{}:
	case <-ctx.Done():
		return nil, false
	}
	if e.mem != nil && e.mem.Acquire(ctx, e.weight(c, size)) != nil {
		<-e.slots[c]
		return nil, false
	}
	return func() {
		if e.mem != nil {
			e.mem.Release(e.weight(c, size))
		}
		<-e.slots[c]
	}, true
}

// Encode returns data in coding c, made by the libraries herald uses
// (klauspost/compress for zstd and gzip, andybalholm/brotli). It waits for
// an encoder of c, and for the memory when the Encoder has a budget.
func (e *Encoder) Encode(c Coding, data []byte) []byte {
	if c == Identity {
		return data
	}
	release, _ := e.reserve(context.Background(), c, int64(len(data)))
	defer release()
	out, _ := e.encode(c, bytes.NewReader(data), int64(len(data)), -1)
	return out
}

// errLarger stops a compression whose form is larger than its limit.
var errLarger = errors.New("compress: the form is larger than its limit")

// encode returns what r reads (size bytes, as far as the caller knows) in
// coding c, with an encoder of the pool. When limit >= 0 and the form grows
// past limit bytes, it stops reading and returns errLarger. The caller holds
// a reservation (reserve) for c.
func (e *Encoder) encode(c Coding, r io.Reader, size, limit int64) ([]byte, error) {
	enc := e.pools[c].Get().(*encoder)
	if c != brotliBest {
		defer e.pools[c].Put(enc)
	}
	out := &formBuffer{limit: limit}
	// Text compresses to a fifth to a third of its size: one growth at most.
	out.b.Grow(int(min(max(size, 0)/4, 1<<30)) + 512)
	if err := enc.encode(out, r, size); err != nil {
		return nil, err
	}
	form := out.b.Bytes()
	if cap(form)-len(form) > len(form)/8 {
		form = bytes.Clone(form) // kept for long: without the slack of its growth
	}
	return form, nil
}

// formBuffer is the form being made, refusing to grow past limit (when
// limit >= 0).
type formBuffer struct {
	b     bytes.Buffer
	limit int64
}

func (f *formBuffer) Write(p []byte) (int, error) {
	if f.limit >= 0 && int64(f.b.Len()+len(p)) > f.limit {
		return 0, errLarger
	}
	return f.b.Write(p)
}

// encoder is an encoder of one coding and its read buffer. When block > 0,
// a block ends (flush) after every block bytes of input, before more.
type encoder struct {
	c     Coding
	w     io.WriteCloser
	flush func() error
	block int64
	buf   []byte
}

func newCodingEncoder(c Coding) *encoder {
	enc := &encoder{c: c, buf: make([]byte, chunk)}
	switch c {
	case Zstd:
		enc.w, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevel), zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	case Brotli:
		w := brotli.NewWriterOptions(nil, brotli.WriterOptions{Quality: brotliLevel, LGWin: brotliWindow})
		enc.w, enc.flush, enc.block = w, w.Flush, brotliBlock
	case brotliBest:
		w := brotli.NewWriterOptions(nil, brotli.WriterOptions{Quality: brotliBestLevel, LGWin: brotliBestWindow})
		enc.w, enc.flush, enc.block = w, w.Flush, brotliBestBlock
	case Gzip:
		enc.w, _ = gzip.NewWriterLevel(nil, gzipLevel)
	}
	return enc
}

// encode writes to w, in enc's coding, what r reads (size bytes, -1 when
// not known).
func (enc *encoder) encode(w io.Writer, r io.Reader, size int64) error {
	enc.reset(w, size)
	var read int64
	for {
		buf := enc.buf
		if enc.block > 0 {
			buf = buf[:min(int64(len(buf)), enc.block-read%enc.block)]
		}
		n, err := r.Read(buf)
		if n > 0 {
			if read > 0 && enc.block > 0 && read%enc.block == 0 {
				if err := enc.flush(); err != nil {
					return err
				}
			}
			read += int64(n)
			if _, err := enc.w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return enc.w.Close()
		}
		if err != nil {
			return err
		}
	}
}

// reset makes enc write a new stream of size bytes (-1: unknown) to w.
func (enc *encoder) reset(w io.Writer, size int64) {
	switch z := enc.w.(type) {
	case *zstd.Encoder:
		z.ResetContentSize(w, size) // the frame says its size, and the decoder's window is no larger
	case *brotli.Writer:
		z.Reset(w)
	case *gzip.Writer:
		z.Reset(w)
	}
}

// Encode returns data in coding c with an Encoder of its own: for a single
// file; use an Encoder for many.
func Encode(c Coding, data []byte) []byte { return NewEncoder(1).Encode(c, data) }

// EncodeFast returns data in coding c at a fast level, for responses made
// anew for each request (a page with the live reload script in it): brotli
// 1 or gzip 1. It makes zstd in neither: its encoders are costly to make
// once per response, and every browser that accepts zstd accepts brotli.
// For Zstd and Identity it returns data.
func EncodeFast(c Coding, data []byte) []byte {
	var b bytes.Buffer
	switch c {
	case Brotli:
		// A window no larger than the page: the default (4 MiB) costs its
		// ring buffer and tables on every response.
		w := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: 1,
			LGWin: min(max(bits.Len(uint(len(data))), 16), 22)})
		w.Write(data)
		w.Close()
		return b.Bytes()
	case Gzip:
		w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
	return data
}

// Fast is the set of codings EncodeFast makes.
const Fast = Set(1<<Gzip | 1<<Brotli)

// Worth reports whether an encoded form of n bytes is worth sending instead
// of the original's size bytes: at least 10 % smaller. Below that the
// decoding costs the client more than the bytes saved.
func Worth(encoded, size int) bool { return encoded < size-size/10 }
