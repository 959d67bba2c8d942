package serve

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/bits"
	"net/http"
	"slices"
	"strings"
)

// The cache digest tells herald which critical assets a client already
// holds, so that it pushes and hints only what the client lacks. As h2o's
// CASPer does, the server keeps the digest in a cookie of the client: a
// Golomb-coded set of the (path, content hash) pairs it delivered.
//
// Each pair is hashed to a number below digestUniverse. The set holds at
// most digestMaxEntries numbers, so a pair never delivered is taken for a
// delivered one with probability n/digestUniverse ≤ 1/256: then herald
// neither pushes nor hints that asset and the browser fetches it when it
// finds it in the page, as it would without herald. A changed asset has a new
// hash, hence a new number: it is pushed again. A full set starts over with
// the pairs of the current page.
//
// The cookie is base64url of:
//
//	byte 0      digestVersion
//	byte 1      k, the Rice parameter
//	uvarint     n, the number of entries
//	bits        n sorted entries as gaps from the previous one (the first
//	            from 0), each a unary quotient (gap>>k ones, then a zero)
//	            and the k low bits of the gap, most significant bit first;
//	            zero bits pad the last byte.
//
// At capacity a gap averages 256, k is 8, and the cookie is about 430
// characters.
const (
	digestCookie      = "herald_cd"
	digestVersion     = 1
	digestBits        = 16
	digestUniverse    = 1 << digestBits
	digestMaxEntries  = 256
	digestMaxAge      = 7 * 24 * 60 * 60 // seconds; about as long as a browser keeps a site's files
	digestMaxEncoded  = 1024             // longer cookie values are ignored unread
	digestMaxRiceBits = digestBits
)

// digestKey is the number of one (path, content hash) pair.
func digestKey(path, hash string) uint16 {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write([]byte(hash))
	var sum [sha256.Size]byte
	return uint16(binary.BigEndian.Uint64(h.Sum(sum[:0])) % digestUniverse)
}

// digest is a decoded set: sorted, without duplicates.
type digest []uint16

// has reports whether key is in the set.
func (d digest) has(key uint16) bool {
	_, ok := slices.BinarySearch(d, key)
	return ok
}

// parseDigest decodes a cookie value into buf (which it may grow) and
// reports whether the value was a well-formed digest. A damaged or foreign
// value gives an empty set: the client is then treated as new.
func parseDigest(value string, buf []uint16) (digest, bool) {
	if len(value) == 0 || len(value) > digestMaxEncoded {
		return nil, false
	}
	var src [digestMaxEncoded]byte
	var raw [digestMaxEncoded * 3 / 4]byte
	n, err := base64.RawURLEncoding.Decode(raw[:], src[:copy(src[:], value)])
	if err != nil || n < 3 {
		return nil, false
	}
	b := raw[:n]
	if b[0] != digestVersion || b[1] > digestMaxRiceBits {
		return nil, false
	}
	k := uint(b[1])
	count, used := binary.Uvarint(b[2:])
	if used <= 0 || count > digestMaxEntries {
		return nil, false
	}
	r := bitReader{b: b[2+used:]}
	out := buf[:0]
	var prev uint64
	for i := uint64(0); i < count; i++ {
		q, ok := r.unary(digestUniverse >> k)
		if !ok {
			return nil, false
		}
		low, ok := r.bits(k)
		if !ok {
			return nil, false
		}
		v := prev + (q<<k | low)
		if v >= digestUniverse || (i > 0 && v == prev) {
			return nil, false
		}
		out = append(out, uint16(v))
		prev = v
	}
	if !r.onlyPadding() {
		return nil, false
	}
	return out, true
}

// encodeDigest returns the cookie value of a sorted set without duplicates.
func encodeDigest(d digest) string {
	k := uint(0)
	if len(d) > 0 {
		// The best Rice parameter is about log2 of the mean gap.
		k = uint(bits.Len(uint(digestUniverse/len(d)))) - 1
	}
	out := []byte{digestVersion, byte(k)}
	out = binary.AppendUvarint(out, uint64(len(d)))
	w := bitWriter{b: out}
	var prev uint16
	for _, v := range d {
		gap := uint64(v - prev)
		w.unary(gap >> k)
		w.bits(gap&(1<<k-1), k)
		prev = v
	}
	return base64.RawURLEncoding.EncodeToString(w.b)
}

// withKeys returns the set with keys added, and whether it changed. A set
// that would grow past digestMaxEntries starts over with keys alone.
func (d digest) withKeys(keys []uint16) (digest, bool) {
	added := 0
	for _, k := range keys {
		if !d.has(k) {
			added++
		}
	}
	if added == 0 {
		return d, false
	}
	var out digest
	if len(d)+added <= digestMaxEntries {
		out = append(make(digest, 0, len(d)+added), d...)
	}
	out = append(out, keys...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > digestMaxEntries {
		out = out[:digestMaxEntries]
	}
	return out, true
}

// readDigest returns the client's digest from its cookies; buf is storage
// the caller lends.
func readDigest(r *http.Request, buf []uint16) digest {
	for _, line := range r.Header["Cookie"] {
		i := strings.Index(line, digestCookie+"=")
		for i >= 0 {
			// The name must start a cookie-pair, not end another name.
			if i == 0 || line[i-1] == ' ' || line[i-1] == ';' {
				v := line[i+len(digestCookie)+1:]
				if j := strings.IndexByte(v, ';'); j >= 0 {
					v = v[:j]
				}
				d, _ := parseDigest(strings.TrimSpace(v), buf)
				return d
			}
			next := strings.Index(line[i+1:], digestCookie+"=")
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
	return nil
}

// digestSetCookie is the Set-Cookie value that stores d.
func digestSetCookie(d digest, secure bool) string {
	c := http.Cookie{Name: digestCookie, Value: encodeDigest(d), Path: "/", MaxAge: digestMaxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	return c.String()
}

type bitReader struct {
	b   []byte
	pos uint // in bits
}

// unary reads ones up to a zero and returns their count, failing past max.
func (r *bitReader) unary(max uint64) (uint64, bool) {
	var n uint64
	for {
		if r.pos >= uint(len(r.b))*8 {
			return 0, false
		}
		bit := r.b[r.pos/8] >> (7 - r.pos%8) & 1
		r.pos++
		if bit == 0 {
			return n, true
		}
		if n++; n > max {
			return 0, false
		}
	}
}

// bits reads k bits, most significant first.
func (r *bitReader) bits(k uint) (uint64, bool) {
	if r.pos+k > uint(len(r.b))*8 {
		return 0, false
	}
	var v uint64
	for range k {
		v = v<<1 | uint64(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v, true
}

// onlyPadding reports whether what is left is zero bits of the last byte.
func (r *bitReader) onlyPadding() bool {
	if uint(len(r.b))*8-r.pos >= 8 {
		return false
	}
	for ; r.pos < uint(len(r.b))*8; r.pos++ {
		if r.b[r.pos/8]>>(7-r.pos%8)&1 != 0 {
			return false
		}
	}
	return true
}

type bitWriter struct {
	b    []byte
	used uint // bits used in the last byte; 0 means it is full (or none)
}

func (w *bitWriter) bit(v uint64) {
	if w.used == 0 {
		w.b = append(w.b, 0)
	}
	if v != 0 {
		w.b[len(w.b)-1] |= 1 << (7 - w.used)
	}
	w.used = (w.used + 1) % 8
}

func (w *bitWriter) unary(n uint64) {
	for range n {
		w.bit(1)
	}
	w.bit(0)
}

func (w *bitWriter) bits(v uint64, k uint) {
	for i := int(k) - 1; i >= 0; i-- {
		w.bit(v >> uint(i) & 1)
	}
}
