package manifest

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// box is an ISO base media box of type typ around data.
func box(typ string, data ...[]byte) []byte {
	var body []byte
	for _, d := range data {
		body = append(body, d...)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

// ispe is an image spatial extents property of w x h.
func ispe(w, h uint32) []byte {
	return box("ispe", []byte{0, 0, 0, 0}, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h))
}

// boxToEnd is a box of size 0, which extends to the end of the file.
func boxToEnd(typ string, data ...[]byte) []byte {
	b := box(typ, data...)
	binary.BigEndian.PutUint32(b, 0)
	return b
}

// box64 is a box of size 1, whose size follows its type in 64 bits.
func box64(typ string, data ...[]byte) []byte {
	b := box(typ, data...)
	hdr := append(binary.BigEndian.AppendUint32(nil, 1), typ...)
	return append(binary.BigEndian.AppendUint64(hdr, uint64(len(b)+8)), b[8:]...)
}

func ftypOf(brand string) []byte {
	return box("ftyp", []byte(brand), []byte{0, 0, 0, 0}, []byte("mif1"+brand))
}

// metaOf is a meta box (a full box: version and flags first) around children.
func metaOf(children ...[]byte) []byte {
	return box("meta", append([][]byte{{0, 0, 0, 0}}, children...)...)
}

func avifOf(brand string, props ...[]byte) []byte {
	return append(ftypOf(brand), metaOf(box("hdlr", make([]byte, 24)), box("iprp", box("ipco", props...)))...)
}

func TestImageSize(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "images", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	avif := ftypOf("avif")
	huge := []byte("\xff\xff\xff\xfffree") // a box header claiming 4 GiB
	vp8x := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00"), 0x7f, 0x07, 0x00, 0x37, 0x04, 0x00)
	tests := []struct {
		name, typ string
		head      []byte
		w, h      int
	}{
		{"webp lossy (VP8), made by cwebp", "image/webp", read("noise-320x180.webp"), 320, 180},
		{"webp lossless (VP8L), made by cwebp", "image/webp", read("noise-200x100-lossless.webp"), 200, 100},
		{"webp extended (VP8X): the canvas", "image/webp", vp8x, 1920, 1080},
		{"webp cut off", "image/webp", read("noise-320x180.webp")[:24], 0, 0},
		{"webp VP8 without its start code", "image/webp", append(read("noise-320x180.webp")[:23], make([]byte, 10)...), 0, 0},
		{"avif, made by avifenc", "image/avif", read("noise-480x270.avif"), 480, 270},
		{"avif cut off before its properties", "image/avif", read("noise-480x270.avif")[:100], 0, 0},
		{"avif: the largest ispe, not a thumbnail's or a tile's", "image/avif", avifOf("avif", ispe(160, 90), ispe(3840, 2160), ispe(512, 512)), 3840, 2160},
		{"avif sequence brand", "image/avif", avifOf("avis", ispe(64, 48)), 64, 48},
		{"heic is no avif", "image/heic", avifOf("heic", ispe(64, 48)), 0, 0},
		{"avif with an impossible box size", "image/avif", append(avifOf("avif")[:28], 0xff, 0xff, 0xff, 0xff), 0, 0},
		{"avif with an absurd ispe", "image/avif", avifOf("avif", ispe(1<<30, 2)), 0, 0},
		{"avif: ispe outside ipco or deeper in it is not read", "image/avif",
			cat(avif, metaOf(ispe(640, 480), box("iprp", ispe(320, 200), box("ipco", box("free", ispe(800, 600)), ispe(64, 48))))), 64, 48},
		{"avif: only ispe is read as a size", "image/avif", avifOf("avif", box("pixi", ispe(4000, 3000)[8:]), ispe(64, 48)), 64, 48},
		{"avif: every iprp and ipco is read", "image/avif",
			cat(avif, metaOf(box("iprp", box("ipco", ispe(64, 48))), box("iprp", box("ipma"), box("ipco", ispe(640, 480))))), 640, 480},
		{"avif: an ispe too short is skipped", "image/avif", avifOf("avif", box("ispe", make([]byte, 8)), ispe(64, 48)), 64, 48},
		{"avif: a box cut off after an ispe keeps it", "image/avif", avifOf("avif", ispe(64, 48), huge), 64, 48},
		{"avif: a box cut off before an ispe hides it", "image/avif", avifOf("avif", huge, ispe(64, 48)), 0, 0},
		{"avif: a box smaller than its header hides what follows", "image/avif", avifOf("avif", []byte("\x00\x00\x00\x04free"), ispe(64, 48)), 0, 0},
		{"avif: ipco larger than its iprp", "image/avif",
			cat(avif, metaOf(box("iprp", append(binary.BigEndian.AppendUint32(nil, 100), "ipco"...), ispe(64, 48)))), 0, 0},
		{"avif: a box cut off before meta", "image/avif", cat(avif, huge, metaOf(box("iprp", box("ipco", ispe(64, 48))))), 0, 0},
		{"avif: meta of size 0 extends to the end", "image/avif",
			cat(avif, boxToEnd("meta", []byte{0, 0, 0, 0}, box("iprp", boxToEnd("ipco", ispe(64, 48))))), 64, 48},
		{"avif: meta of size 1 has a 64-bit size", "image/avif",
			cat(avif, box64("meta", []byte{0, 0, 0, 0}, box("iprp", box64("ipco", ispe(64, 48))))), 64, 48},
		{"avif: a 64-bit size smaller than its header", "image/avif",
			cat(avif, []byte("\x00\x00\x00\x01meta\x00\x00\x00\x00\x00\x00\x00\x08"), metaOf(box("iprp", box("ipco", ispe(64, 48))))), 0, 0},
		{"avif: a 64-bit size cut off", "image/avif", cat(avif, []byte("\x00\x00\x00\x01meta\x00\x00")), 0, 0},
		{"avif: meta without its version and flags", "image/avif",
			cat(avif, box("meta", box("iprp", box("ipco", ispe(64, 48))))), 0, 0},
		{"avif: a meta too short for its version is passed over", "image/avif",
			cat(avif, box("meta", []byte{0, 0}), metaOf(box("iprp", box("ipco", ispe(64, 48))))), 64, 48},
		{"png by the standard library", "image/png", []byte(pngOf(30, 20)), 30, 20},
		{"svg by its width and height", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="80px" height="40">`), 80, 40},
		{"garbage", "image/png", []byte("not an image"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, h := imageSize(tt.typ, tt.head); w != tt.w || h != tt.h {
				t.Errorf("imageSize = %dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
		})
	}
}

// FuzzImageSize feeds image headers as a site may hold them: the readers
// must not panic, and sizes stay within what they accept.
func FuzzImageSize(f *testing.F) {
	for _, name := range []string{"noise-320x180.webp", "noise-200x100-lossless.webp", "noise-480x270.avif"} {
		b, err := os.ReadFile(filepath.Join("testdata", "images", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 512)])
	}
	f.Add(avifOf("avif", ispe(10, 10)))
	f.Add([]byte(`<svg width="1" height="1" viewBox="0 0 1 1">`))
	f.Fuzz(func(t *testing.T, head []byte) {
		for _, typ := range []string{"image/webp", "image/avif", "image/svg+xml", "image/png"} {
			if w, h := imageSize(typ, head); w < 0 || h < 0 || w > 1<<24 || h > 1<<24 {
				t.Errorf("%s: %dx%d", typ, w, h)
			}
		}
	})
}
