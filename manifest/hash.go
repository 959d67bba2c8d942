package manifest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// seal sets m.Hash, as Marshal does, and returns m: every manifest this
// package hands out carries its hash.
func seal(m *Manifest) *Manifest { return sealWith(m, encodePage) }

// seal sets the hash of a manifest the builder assembled. The JSON of each
// page is kept for as long as the page is shared by the builder's
// manifests: after a one-page change to the python docs (530 pages),
// encoding the other pages again would add some 3 ms to the 3.5–4.5 ms an
// update takes (BenchmarkUpdatePython/page). TestUpdateMatchesBuild and
// the real sites' tests hold the result to encoding/json.
func (b *Builder) seal(m *Manifest) *Manifest {
	kept := make(map[*Page][]byte, len(m.Pages))
	sealWith(m, func(p *Page) []byte {
		data, ok := b.encoded[p]
		if !ok {
			data = encodePage(p)
		}
		kept[p] = data
		return data
	})
	b.encoded = kept
	return m
}

// sealWith sets m.Hash to the hash of its canonical JSON, written into the
// hash as it goes rather than held; page gives the JSON of a page.
func sealWith(m *Manifest, page func(*Page) []byte) *Manifest {
	h := sha256.New()
	bw := bufio.NewWriterSize(h, 32<<10)
	writeCanonical(bw, m, page)
	bw.Flush() // a hash.Hash's Write never fails
	m.Hash = hex.EncodeToString(h.Sum(nil))
	return m
}

// writeCanonical writes m's canonical JSON with Hash empty, byte for byte
// what encoding/json writes with SetEscapeHTML(false) and SetIndent("", " ")
// in a fifth of the time (BenchmarkMarshalPython): page gives the JSON of
// each page that is not nil, as encodePage writes it. The hash is the
// second field, so Marshal can write it in afterwards.
func writeCanonical(bw *bufio.Writer, m *Manifest, page func(*Page) []byte) {
	// Through the buffer, a string costs no copy of its own: a manifest
	// holds some ten thousand of them.
	w := func(s string) { bw.WriteString(s) }
	writeString := func(s string) { bw.Write(appendString(bw.AvailableBuffer(), s)) }
	w("{\n \"version\": " + strconv.Itoa(m.Version) + ",\n \"hash\": \"\",\n")
	if m.Origin != "" {
		w(" \"origin\": ")
		writeString(m.Origin)
		w(",\n")
	}
	w(" \"pages\": ")
	writeMap(bw, m.Pages, func(p *Page) {
		if p == nil {
			w("null")
			return
		}
		bw.Write(page(p))
	})
	w(",\n \"files\": ")
	writeMap(bw, m.Files, func(f File) {
		w("{\n   \"size\": ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), f.Size, 10))
		w(",\n   \"type\": ")
		writeString(f.Type)
		w(",\n   \"hash\": ")
		writeString(f.Hash)
		w("\n  }")
	})
	w("\n}\n")
}

// writeMap writes a map of the manifest, a field of its top level, with
// its keys sorted as encoding/json sorts them; value writes one value.
func writeMap[V any](bw *bufio.Writer, m map[string]V, value func(V)) {
	switch {
	case m == nil:
		bw.WriteString("null")
		return
	case len(m) == 0:
		bw.WriteString("{}")
		return
	}
	bw.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  ")
		bw.Write(appendString(bw.AvailableBuffer(), k))
		bw.WriteString(": ")
		value(m[k])
	}
	bw.WriteString("\n }")
}

// sizeHint is about the length of m's JSON, a little more for the python
// docs: a file takes some 200 bytes, a page 64 and an asset 200–250.
func sizeHint(m *Manifest) int {
	n := 256 * len(m.Files)
	for _, p := range m.Pages {
		if p != nil {
			n += 64 + 256*(len(p.Assets)+len(p.Preload)+len(p.Deferred)+len(p.External)+len(p.Missing))
		}
	}
	return n
}

// encodePage is a page's JSON as it stands in the indented manifest, written
// as encoding/json writes it, some ten times faster: a change to the
// stylesheet every page imports assembles all pages again.
func encodePage(p *Page) []byte {
	n := len(p.Assets) + len(p.Preload) + len(p.Deferred) + len(p.External) + len(p.Missing)
	b := append(make([]byte, 0, 64+256*n), '{') // an asset takes 200–250 bytes
	b = appendAssets(b, "assets", p.Assets, true)
	b = appendAssets(b, "preload", p.Preload, false)
	b = appendAssets(b, "deferred", p.Deferred, false)
	if len(p.External) > 0 {
		b = append(b, ",\n   \"external\": ["...)
		for i, e := range p.External {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, "\n    "...), e)
		}
		b = append(b, "\n   ]"...)
	}
	if len(p.Missing) > 0 {
		b = append(b, ",\n   \"missing\": ["...)
		for i, m := range p.Missing {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, "\n    {\n     \"path\": "...), m.Path)
			b = appendString(append(b, ",\n     \"why\": "...), string(m.Why))
			b = appendString(append(b, ",\n     \"from\": "...), m.From)
			b = strconv.AppendInt(append(b, ",\n     \"line\": "...), int64(m.Line), 10)
			b = append(b, "\n    }"...)
		}
		b = append(b, "\n   ]"...)
	}
	return append(b, "\n  }"...)
}

// appendAssets writes a list of assets as a field of a page; always is set
// for a field without omitempty.
func appendAssets(b []byte, key string, list []Asset, always bool) []byte {
	if len(list) == 0 && !always {
		return b
	}
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, "\n   \""+key+"\": "...)
	switch {
	case list == nil:
		return append(b, "null"...)
	case len(list) == 0:
		return append(b, "[]"...)
	}
	b = append(b, '[')
	for i, a := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, "\n    {\n     \"path\": "...), a.Path)
		b = appendString(append(b, ",\n     \"as\": "...), a.As)
		b = appendString(append(b, ",\n     \"type\": "...), a.Type)
		b = strconv.AppendInt(append(b, ",\n     \"size\": "...), a.Size, 10)
		b = appendString(append(b, ",\n     \"hash\": "...), a.Hash)
		b = appendString(append(b, ",\n     \"why\": "...), string(a.Why))
		if a.CrossOrigin != "" {
			b = appendString(append(b, ",\n     \"crossorigin\": "...), a.CrossOrigin)
		}
		if a.Media != "" {
			b = appendString(append(b, ",\n     \"media\": "...), a.Media)
		}
		b = append(b, "\n    }"...)
	}
	return append(b, "\n   ]"...)
}

// appendString appends s as a JSON string, as the manifest's encoder writes
// it; encoding/json writes those with bytes that need escaping.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
