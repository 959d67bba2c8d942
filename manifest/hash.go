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
// package hands out carries its hash. Encoding a Manifest cannot fail (it is
// strings, numbers, and slices and string-keyed maps of them); were it to,
// Hash would stay empty.
func seal(m *Manifest) *Manifest {
	_, _ = Marshal(m)
	return m
}

// seal sets the hash of a manifest the builder assembled. It hashes the
// bytes Marshal would write without encoding the whole manifest again:
// the JSON of each page is kept for as long as the page is shared by the
// builder's manifests, and the rest is written here as encoding/json writes
// it. After a one-page change to the python docs (530 pages) Marshal would
// add some 35 ms to the 3–4 ms an update takes. TestUpdateMatchesBuild and
// the real sites' tests hold the result to Marshal.
func (b *Builder) seal(m *Manifest) *Manifest {
	kept := make(map[*Page][]byte, len(m.Pages))
	h := sha256.New()
	// Through a buffer, a string costs no copy of its own: a manifest
	// holds some ten thousand of them.
	bw := bufio.NewWriterSize(h, 32<<10)
	w := func(s string) { bw.WriteString(s) }
	writeString := func(s string) { bw.Write(appendString(bw.AvailableBuffer(), s)) }
	w("{\n \"version\": " + strconv.Itoa(m.Version) + ",\n \"hash\": \"\",\n")
	if m.Origin != "" {
		w(" \"origin\": ")
		writeString(m.Origin)
		w(",\n")
	}
	w(" \"pages\": {")
	for i, k := range slices.Sorted(maps.Keys(m.Pages)) {
		p := m.Pages[k]
		data, ok := b.encoded[p]
		if !ok {
			data = encodePage(p)
		}
		kept[p] = data
		if i > 0 {
			w(",")
		}
		w("\n  ")
		writeString(k)
		w(": ")
		bw.Write(data)
	}
	w(closing(len(m.Pages)) + ",\n \"files\": {")
	for i, k := range slices.Sorted(maps.Keys(m.Files)) {
		f := m.Files[k]
		if i > 0 {
			w(",")
		}
		w("\n  ")
		writeString(k)
		w(": {\n   \"size\": ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), f.Size, 10))
		w(",\n   \"type\": ")
		writeString(f.Type)
		w(",\n   \"hash\": ")
		writeString(f.Hash)
		w("\n  }")
	}
	w(closing(len(m.Files)) + "\n}\n")
	bw.Flush() // a hash.Hash's Write never fails
	b.encoded = kept
	m.Hash = hex.EncodeToString(h.Sum(nil))
	return m
}

// closing ends a map of n entries as encoding/json indents it.
func closing(n int) string {
	if n == 0 {
		return "}"
	}
	return "\n }"
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
