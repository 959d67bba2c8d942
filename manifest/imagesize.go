package manifest

import (
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif" // image sizes for hero candidates without width/height
	_ "image/jpeg"
	_ "image/png"
	"iter"
	"strings"
)

// imageSize reads the pixel size of an image of media type typ from the
// head of its file (0, 0 when unknown): SVG from its root element, WebP
// and AVIF from their headers (the standard library decodes neither),
// others by the standard library's decoders.
func imageSize(typ string, head []byte) (w, h int) {
	switch {
	case strings.HasPrefix(typ, "image/svg"):
		return svgSize(head)
	case bytes.HasPrefix(head, []byte("RIFF")) && len(head) >= 12 && string(head[8:12]) == "WEBP":
		return webpSize(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return avifSize(head)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(head)); err == nil {
		return cfg.Width, cfg.Height
	}
	return 0, 0
}

// webpSize reads the canvas size of a WebP file from its first chunk
// (RFC 9649): VP8X gives the canvas, VP8L (lossless) and VP8 (lossy) the
// size of their one image.
func webpSize(b []byte) (w, h int) {
	if len(b) < 30 {
		return 0, 0
	}
	le24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
	d := b[20:] // the first chunk's data
	switch string(b[12:16]) {
	case "VP8X": // flags, 3 reserved bytes, width-1 and height-1 in 24 bits
		return le24(d[4:]) + 1, le24(d[7:]) + 1
	case "VP8L": // signature 0x2f, then width-1 and height-1 in 14 bits each
		if d[0] != 0x2f {
			return 0, 0
		}
		bits := binary.LittleEndian.Uint32(d[1:])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1
	case "VP8 ": // frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return 0, 0
		}
		return int(binary.LittleEndian.Uint16(d[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(d[8:]) & 0x3fff)
	}
	return 0, 0
}

// avifSize reads the size of an AVIF image (ISO/IEC 23008-12, HEIF) from
// the image spatial extents ('ispe') properties in meta/iprp/ipco: the
// largest, which is the primary image's (a grid's tiles, a thumbnail and
// an alpha plane are no larger). A file whose brands name neither avif
// nor avis, or whose boxes are cut off before the properties, has none.
func avifSize(b []byte) (w, h int) {
	ftyp, rest, ok := nextBox(b)
	if !ok || ftyp.typ != "ftyp" || !avifBrand(ftyp.data) {
		return 0, 0
	}
	for meta := range children(rest, "meta") {
		if len(meta) >= 4 {
			return ispeSize(meta[4:]) // after version and flags
		}
	}
	return 0, 0
}

func avifBrand(ftyp []byte) bool {
	for i := 0; i+4 <= len(ftyp); i += 4 {
		if i == 4 {
			continue // minor version
		}
		if b := string(ftyp[i : i+4]); b == "avif" || b == "avis" {
			return true
		}
	}
	return false
}

// ispeSize finds the largest ispe in the children of a meta box.
func ispeSize(meta []byte) (w, h int) {
	for iprp := range children(meta, "iprp") {
		for ipco := range children(iprp, "ipco") {
			for prop := range children(ipco, "ispe") {
				if len(prop) < 12 { // version, flags, width, height
					continue
				}
				pw, ph := binary.BigEndian.Uint32(prop[4:]), binary.BigEndian.Uint32(prop[8:])
				if pw <= 1<<20 && ph <= 1<<20 && int(pw)*int(ph) > w*h {
					w, h = int(pw), int(ph)
				}
			}
		}
	}
	return w, h
}

// children yields the data of the boxes of type typ packed in b, in
// order; it stops at the first box that is cut off or of impossible size,
// so what lies beyond a broken box is never read.
func children(b []byte, typ string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for p := b; ; {
			box, rest, ok := nextBox(p)
			if !ok {
				return
			}
			if box.typ == typ && !yield(box.data) {
				return
			}
			p = rest
		}
	}
}

// isoBox is a box of the ISO base media file format: its type and its
// data (after the header).
type isoBox struct {
	typ  string
	data []byte
}

// nextBox splits the first box off b; ok is false when its header or
// data is cut off or its size is impossible. A size of 0 (to the end of
// the file) takes the rest of b.
func nextBox(b []byte) (box isoBox, rest []byte, ok bool) {
	if len(b) < 8 {
		return box, nil, false
	}
	size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
	switch size {
	case 0:
		size = uint64(len(b))
	case 1: // a 64-bit size follows the type
		if len(b) < 16 {
			return box, nil, false
		}
		size, hdr = binary.BigEndian.Uint64(b[8:]), 16
	}
	if size < hdr || size > uint64(len(b)) {
		return box, nil, false
	}
	return isoBox{typ: string(b[4:8]), data: b[hdr:size]}, b[size:], true
}
