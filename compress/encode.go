package compress

import (
	"bytes"
	"math/bits"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Levels. Each file is compressed once per hash and kept (in memory and on
// disk), so the levels are as high as start-up and a first request allow:
// the first request of a file not yet warmed compresses it while the client
// waits. On the python docs index and its critical assets (420 KB; gzip -6
// makes 122.5 KB), measured on a busy machine:
//
//	zstd default 129.2 KB 33 ms, better 124.5 KB 17 ms, best 117.0 KB 99 ms
//	br 5 115.5 KB 65 ms, 6 113.9 KB 99 ms, 9 111.8 KB 360 ms, 11 101.4 KB 3.2 s
//	gzip 6 126.2 KB 58 ms, 9 121.2 KB 191 ms
//
// zstd (what Chromium gets) and gzip take the levels that come in under
// gzip -6; brotli 6 is already below it, and 9 and 11 cost 4x and 30x its
// time (11 would take minutes of CPU over a 67 MB site).
const (
	zstdLevel   = zstd.SpeedBestCompression
	brotliLevel = 6
	gzipLevel   = 9
)

// Encoder compresses at herald's levels, reusing its encoders between
// calls, and bounds the compressions under way at once and so the memory
// they hold. Its methods are safe for concurrent use; a Cache has one, and
// so does a bundle being written.
//
// Only one zstd encoder exists at a time: at SpeedBestCompression it has
// 34 MiB of match tables whatever the input's size. Compressing the python
// docs' 1,050 text files in zstd peaked at 93 MB of RSS for the process
// (39.5 MB at SpeedBetterCompression, whose forms are 6 % larger); a
// server whose forms are all on disk never makes one. The pool lets the
// garbage collector drop an idle encoder, so a server that has made every
// form does not hold its tables for ever.
type Encoder struct {
	slots    chan struct{} // compressions under way, whoever asks
	zstdSlot chan struct{} // zstd encoders in use: one
	zstd     sync.Pool     // of *zstd.Encoder
	gzip     sync.Pool     // of *gzip.Writer
}

// NewEncoder returns an Encoder that runs at most n compressions at once
// (n < 1 means 1).
func NewEncoder(n int) *Encoder {
	e := &Encoder{slots: make(chan struct{}, max(n, 1)), zstdSlot: make(chan struct{}, 1)}
	e.zstd.New = func() any {
		z, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevel),
			zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		return z
	}
	e.gzip.New = func() any {
		w, _ := gzip.NewWriterLevel(nil, gzipLevel)
		return w
	}
	return e
}

// Encode returns data in coding c, made by the libraries herald uses
// (klauspost/compress for zstd and gzip, andybalholm/brotli).
func (e *Encoder) Encode(c Coding, data []byte) []byte {
	if c == Identity {
		return data
	}
	e.slots <- struct{}{}
	defer func() { <-e.slots }()
	switch c {
	case Zstd:
		e.zstdSlot <- struct{}{}
		defer func() { <-e.zstdSlot }()
		z := e.zstd.Get().(*zstd.Encoder)
		defer e.zstd.Put(z)
		return z.EncodeAll(data, make([]byte, 0, len(data)/3+64))
	case Brotli:
		return encodeBrotli(data, brotliLevel)
	case Gzip:
		var b bytes.Buffer
		b.Grow(len(data)/3 + 64)
		w := e.gzip.Get().(*gzip.Writer)
		w.Reset(&b)
		w.Write(data)
		w.Close()
		e.gzip.Put(w)
		return b.Bytes()
	}
	return data
}

// Encode returns data in coding c with an Encoder of its own: for a single
// file; use an Encoder for many.
func Encode(c Coding, data []byte) []byte { return NewEncoder(1).Encode(c, data) }

func encodeBrotli(data []byte, quality int) []byte {
	var b bytes.Buffer
	b.Grow(len(data)/3 + 64)
	// A window no larger than the input: the default (4 MiB) costs its
	// ring buffer and tables on every small file.
	w := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: quality,
		LGWin: min(max(bits.Len(uint(len(data))), 16), 22)})
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// EncodeFast returns data in coding c at a fast level, for responses made
// anew for each request (a page with the live reload script in it): brotli
// 1 or gzip 1. It makes zstd in neither: its encoders are costly to make
// once per response, and every browser that accepts zstd accepts brotli.
// For Zstd and Identity it returns data.
func EncodeFast(c Coding, data []byte) []byte {
	switch c {
	case Brotli:
		return encodeBrotli(data, 1)
	case Gzip:
		var b bytes.Buffer
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
