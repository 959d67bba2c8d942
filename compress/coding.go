package compress

import "strings"

// Coding is a content coding (RFC 9110 8.4.1).
type Coding uint8

const (
	Identity Coding = iota
	Gzip
	Brotli
	Zstd
	numCodings

	// brotliBest is brotli at its best quality (11), a form of its own in
	// an Encoder and a Cache beside brotli at its usual level (Brotli): it
	// takes 30 times as long to make, so only the warmer makes it, for
	// critical assets, once requests are quiet (QuietFor), and so does
	// precompression, for critical assets too. It goes out as "br", with
	// an ETag of its own (BestETag).
	brotliBest = numCodings
	numForms   = numCodings + 1
)

// Preferred lists the codings in the server's order of preference, used
// when a client accepts several with the same quality: brotli, then zstd,
// then gzip. At the levels chosen here brotli is the smallest: the text
// files of the python docs come to 10.28 MB in brotli, 11.31 MB in zstd
// and 11.44 MB in gzip (encode.go). zstd came first once, at its best
// level, whose encoder is 34 MiB of tables: 5 connections holding pushes
// at window 0 took the process to 110 MiB of RSS, 48 MiB without
// compression.
var Preferred = [...]Coding{Brotli, Zstd, Gzip}

// Warmed lists the codings the warmer makes ahead: what browsers get
// (brotli) and what every client takes (gzip). A zstd form is made on its
// first request: no browser accepts zstd without brotli, and its encoder
// holds more than the two others together (encoderMemory).
var Warmed = [...]Coding{Brotli, Gzip}

// String returns the coding's token as Content-Encoding names it, "" for
// Identity.
func (c Coding) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Brotli, brotliBest:
		return "br"
	case Zstd:
		return "zstd"
	}
	return ""
}

// Ext returns the extension of a file precompressed with c (".br").
func (c Coding) Ext() string {
	switch c {
	case Gzip:
		return ".gz"
	case Brotli, brotliBest:
		return ".br"
	case Zstd:
		return ".zst"
	}
	return ""
}

// ParseCoding returns the coding a token names, case-insensitively; x-gzip
// is gzip (RFC 9110 8.4.1.3). ok is false for a coding herald does not make.
func ParseCoding(token string) (c Coding, ok bool) {
	switch {
	case strings.EqualFold(token, "gzip"), strings.EqualFold(token, "x-gzip"):
		return Gzip, true
	case strings.EqualFold(token, "br"):
		return Brotli, true
	case strings.EqualFold(token, "zstd"):
		return Zstd, true
	case strings.EqualFold(token, "identity"):
		return Identity, true
	}
	return Identity, false
}

// Set is a set of codings.
type Set uint8

// All holds every coding herald makes.
const All = Set(1<<Gzip | 1<<Brotli | 1<<Zstd)

// Has reports whether c is in s. Identity is in every set.
func (s Set) Has(c Coding) bool { return c == Identity || s&(1<<c) != 0 }

// With returns s with c added.
func (s Set) With(c Coding) Set { return s | 1<<c }

// ETag returns the strong entity tag of the representation of the bytes
// named by hash (hex sha256) in coding c: "<hash>" for identity and
// "<hash>-<coding>" for the others, so that each representation has its own
// (RFC 9110 8.8.3). 128 bits of sha256 name the bytes well enough.
func ETag(hash string, c Coding) string {
	if len(hash) > 32 {
		hash = hash[:32]
	}
	if c == Identity {
		return `"` + hash + `"`
	}
	return `"` + hash + "-" + c.String() + `"`
}

// BestETag returns the strong entity tag of the brotli form at its best
// quality of the bytes named by hash, "<hash>-br11": another representation
// than the brotli form at the usual level, "<hash>-br" (RFC 9110 8.8.3),
// though both go out as "br".
func BestETag(hash string) string {
	return strings.TrimSuffix(ETag(hash, Brotli), `"`) + `11"`
}
