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

// encodeSlots bounds the compressions under way at once, whoever asks
// (the warmer or first requests), and so the memory they hold; zstdSlot
// lets one zstd encoder exist at a time: at SpeedBestCompression it has
// 34 MiB of match tables whatever the input's size. Compressing the python
// docs' 1,050 text files in zstd peaked at 93 MB of RSS for the process
// (39.5 MB at SpeedBetterCompression, whose forms are 6 % larger); a
// server whose forms are all on disk never makes an encoder.
var (
	encodeSlots = make(chan struct{}, 2)
	zstdSlot    = make(chan struct{}, 1)
)

// zstdEncoders keeps the encoder between compressions; the garbage
// collector drops it when idle, so a server that has made every form does
// not hold its tables for ever.
var zstdEncoders = sync.Pool{New: func() any {
	e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevel),
		zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	return e
}}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel)
	return w
}}

// Encode returns data in coding c, made by the libraries herald uses
// (klauspost/compress for zstd and gzip, andybalholm/brotli).
func Encode(c Coding, data []byte) []byte {
	if c == Identity {
		return data
	}
	encodeSlots <- struct{}{}
	defer func() { <-encodeSlots }()
	switch c {
	case Zstd:
		zstdSlot <- struct{}{}
		defer func() { <-zstdSlot }()
		e := zstdEncoders.Get().(*zstd.Encoder)
		defer zstdEncoders.Put(e)
		return e.EncodeAll(data, make([]byte, 0, len(data)/3+64))
	case Brotli:
		var b bytes.Buffer
		b.Grow(len(data)/3 + 64)
		// A window no larger than the input: the default (4 MiB) costs
		// its ring buffer and tables on every small file.
		w := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: brotliLevel,
			LGWin: min(max(bits.Len(uint(len(data))), 16), 22)})
		w.Write(data)
		w.Close()
		return b.Bytes()
	case Gzip:
		var b bytes.Buffer
		b.Grow(len(data)/3 + 64)
		w := gzipWriters.Get().(*gzip.Writer)
		w.Reset(&b)
		w.Write(data)
		w.Close()
		gzipWriters.Put(w)
		return b.Bytes()
	}
	return data
}

// Worth reports whether an encoded form of n bytes is worth sending instead
// of the original's size bytes: at least 10 % smaller. Below that the
// decoding costs the client more than the bytes saved.
func Worth(encoded, size int) bool { return encoded < size-size/10 }
