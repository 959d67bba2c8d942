package compress

import "strings"

// Compressible reports whether a response of this Content-Type gains from
// compression: text (HTML, CSS, JavaScript, JSON, XML, SVG, plain text and
// every other text/ type or +json, +xml suffix), wasm, and the font formats
// that are not compressed already (ttf, otf, eot). Formats compressed by
// their own design never are: images other than SVG, woff and woff2,
// archives, audio, video, PDF. The exceptions among images are ICO and BMP,
// uncompressed bitmaps that gzip halves (favicon.ico above all).
//
// This is the one rule of the server and of precompression at build time.
func Compressible(contentType string) bool {
	typ, _, _ := strings.Cut(contentType, ";")
	typ = strings.ToLower(strings.Trim(typ, " \t"))
	switch {
	case strings.HasPrefix(typ, "text/"), strings.HasSuffix(typ, "+xml"), strings.HasSuffix(typ, "+json"):
		return true
	}
	switch typ {
	case "application/json", "application/xml", "application/javascript", "application/x-javascript",
		"application/ecmascript", "application/wasm", "application/manifest+json",
		"font/ttf", "font/otf", "font/sfnt", "application/x-font-ttf", "application/x-font-otf",
		"application/font-sfnt", "application/vnd.ms-fontobject",
		"image/vnd.microsoft.icon", "image/x-icon", "image/bmp":
		return true
	}
	return false
}
