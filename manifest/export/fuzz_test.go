package export

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"herald/manifest"
)

// FuzzExport: whatever the names of a site's files and the media query of a
// stylesheet (in UTF-8), the _headers files and firebase.json read back to exactly each
// page's Link values, and in the other languages no name can start a line
// of its own (a name that could would add directives of its choosing).
func FuzzExport(f *testing.F) {
	f.Add("/index.html", "/css/a.css", "")
	f.Add("/a b/index.html", `/c"ss/x y.css`, "screen and (min-width: 40em)")
	f.Add("/über/:id*.html", "/fonts/a\\b{}.woff2", `print"; evil`)
	f.Add("/x\n/y.html", "/a.css\r\nLink: </evil>", "a\nb")
	f.Add("/$(x)/#{y}.html", "/'a'/`b`.js", "}{")
	f.Fuzz(func(t *testing.T, page, asset, media string) {
		// A build gives names and attribute values in UTF-8 only (what is
		// not cannot be written in the manifest's JSON).
		if !sitePath(page) || !sitePath(asset) || !utf8.ValidString(page) || !utf8.ValidString(asset) || !utf8.ValidString(media) {
			t.Skip()
		}
		m := fuzzManifest(page, asset, media)
		// The same manifest with every unusual byte of the names made
		// plain: its outputs have as many lines.
		plain := fuzzManifest(plainName(page), plainName(asset), plainName(media))
		for _, format := range Formats {
			out, warnings, err := Export(m, format)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			switch {
			case (format == "netlify" || format == "cloudflare") && strings.ContainsAny(page, "*:") && !hasControl(page):
				// Pattern characters: written encoded, with a warning that
				// the host may not match them.
				if _, err := parseHeadersFile(out); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if !strings.Contains(strings.Join(warnings, "\n"), "pattern characters") {
					t.Errorf("%s: no warning for page %q: %q", format, page, warnings)
				}
			case format == "netlify" || format == "cloudflare":
				checkHeadersFile(t, m, out, format)
			case format == "firebase":
				checkFirebase(t, m, out)
			}
			ref, _, err := Export(plain, format)
			if err != nil {
				t.Fatalf("%s, plain names: %v", format, err)
			}
			if got, want := strings.Count(string(out), "\n"), strings.Count(string(ref), "\n"); got != want {
				t.Errorf("%s: %d lines, %d with plain names:\n%s", format, got, want, out)
			}
		}
	})
}

// sitePath reports whether p could be the URL path of a file in a site: a
// clean absolute path without NUL (which no file name holds).
func sitePath(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "/" && !strings.Contains(p, "\x00")
}

// plainName replaces each byte of s with 'x' but lower-case letters,
// digits, '/', '.' and the bytes for which an export leaves a page out
// (control characters; a backslash for Apache): the same path shape and
// length, the same pages written.
func plainName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '.' || c < ' ' || c == 0x7f || c == '\\') {
			b[i] = 'x'
		}
	}
	return string(b)
}

func fuzzManifest(page, asset, media string) *manifest.Manifest {
	return &manifest.Manifest{
		Version: manifest.Version,
		Pages: map[string]*manifest.Page{page: {Assets: []manifest.Asset{
			{Path: asset, As: "style", Type: "text/css", Why: "link", Media: media},
			{Path: asset + ".woff2", As: "font", Type: "font/woff2", Why: "font-face", CrossOrigin: "anonymous"},
		}}},
	}
}
