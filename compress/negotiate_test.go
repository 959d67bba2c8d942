package compress

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		offered Set
		want    Coding
	}{
		{"no header", nil, All, Identity},
		{"empty header", []string{""}, All, Identity},
		{"chromium", []string{"gzip, deflate, br, zstd"}, All, Brotli},
		{"chromium without br offered", []string{"gzip, deflate, br, zstd"}, All &^ (1 << Brotli), Zstd},
		{"firefox old", []string{"gzip, deflate, br"}, All, Brotli},
		{"gzip only", []string{"gzip"}, All, Gzip},
		{"x-gzip", []string{"x-gzip"}, All, Gzip},
		{"case", []string{"GZIP, Br"}, All, Brotli},
		{"q orders", []string{"zstd;q=0.5, br;q=0.8, gzip;q=0.9"}, All, Gzip},
		{"q with spaces", []string{"br ; q=0.2 , gzip ;q = 0.3"}, All, Gzip},
		{"refused", []string{"zstd;q=0, br;q=0, gzip"}, All, Gzip},
		{"star", []string{"*"}, All, Brotli},
		{"star refused", []string{"*;q=0"}, All, Identity},
		{"star but br refused", []string{"*, br;q=0"}, All, Zstd},
		{"identity refused, nothing offered", []string{"identity;q=0"}, 0, Identity},
		{"identity refused", []string{"identity;q=0, gzip;q=0.1"}, All, Gzip},
		{"identity preferred", []string{"identity, gzip;q=0.5"}, All, Identity},
		{"identity equal", []string{"identity, gzip"}, All, Gzip},
		{"identity unnamed below named", []string{"gzip;q=0.001"}, All, Gzip},
		{"repeated keeps lowest", []string{"br, br;q=0, gzip;q=0.5"}, All, Gzip},
		{"repeated over lines", []string{"br", "br;q=0"}, All, Identity},
		{"two lines", []string{"gzip;q=0.5", "br"}, All, Brotli},
		{"q out of range ignored", []string{"br;q=1.5, gzip"}, All, Gzip},
		{"q negative ignored", []string{"zstd;q=-1, gzip"}, All, Gzip},
		{"q too precise ignored", []string{"zstd;q=0.0001, gzip"}, All, Gzip},
		{"q 1.000", []string{"zstd;q=1.000"}, All, Zstd},
		{"q 1.001 ignored", []string{"zstd;q=1.001"}, All, Identity},
		{"q 0. ", []string{"zstd;q=0., gzip"}, All, Gzip},
		{"q garbage", []string{"br;q=abc, gzip;q=NaN"}, All, Identity},
		{"other params", []string{"br;level=5;q=0.7, gzip;q=0.6"}, All, Brotli},
		{"unknown codings", []string{"deflate, compress, sdch"}, All, Identity},
		{"garbage", []string{";;;,,,==;q"}, All, Identity},
		{"only gzip offered", []string{"br, zstd"}, 1 << Gzip, Identity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.lines, tt.offered); got != tt.want {
				t.Errorf("Negotiate(%q) = %q, want %q", tt.lines, got, tt.want)
			}
		})
	}
}

func TestNegotiateEnormous(t *testing.T) {
	line := strings.Repeat("zstd;q=0.5, ", 100000) + "gzip"
	if got := Negotiate([]string{line}, All); got != Gzip {
		t.Errorf("got %q, want gzip", got)
	}
	allocs := testing.AllocsPerRun(10, func() { Negotiate([]string{line}, All) })
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}

func TestETag(t *testing.T) {
	h := strings.Repeat("ab", 32)
	seen := map[string]bool{}
	for _, c := range []Coding{Identity, Gzip, Brotli, Zstd} {
		e := ETag(h, c)
		if seen[e] || !strings.HasPrefix(e, `"`) || strings.HasPrefix(e, `W/`) {
			t.Errorf("ETag(%v) = %s: not strong and distinct", c, e)
		}
		seen[e] = true
	}
}

func TestCompressible(t *testing.T) {
	for typ, want := range map[string]bool{
		"text/html; charset=utf-8": true, "text/css": true, "text/javascript": true,
		"application/json": true, "image/svg+xml": true, "application/xml": true,
		"text/plain": true, "application/wasm": true, "font/ttf": true, "font/otf": true,
		"application/vnd.ms-fontobject": true, "application/manifest+json": true, "TEXT/HTML": true,
		"font/woff": false, "font/woff2": false, "image/png": false, "image/jpeg": false,
		"image/webp": false, "application/zip": false, "application/gzip": false,
		"audio/mpeg": false, "video/mp4": false, "application/pdf": false, "": false,
		"application/octet-stream": false,
	} {
		if got := Compressible(typ); got != want {
			t.Errorf("Compressible(%q) = %v, want %v", typ, got, want)
		}
	}
}

// FuzzNegotiate checks that any header gets an answer among the offered
// codings, and that a coding chosen is one the header accepts: removing it
// from the offer changes the answer, and the header names it or "*".
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"gzip, deflate, br, zstd", "*;q=0", "identity;q=0", "br;q=1.5",
		"zstd;q=0.001, gzip;q=0.002", "br, br;q=0", ";;,=", "x-gzip;q=1.000"} {
		f.Add(s, uint8(All))
	}
	f.Fuzz(func(t *testing.T, header string, offered uint8) {
		set := Set(offered) & All
		lines := strings.Split(header, "\n")
		got := Negotiate(lines, set)
		if !set.Has(got) {
			t.Fatalf("Negotiate(%q, %b) = %q, not offered", header, set, got)
		}
		if got == Identity {
			return
		}
		lower := strings.ToLower(header)
		if !strings.Contains(lower, got.String()) && !strings.Contains(lower, "*") {
			t.Fatalf("Negotiate(%q) = %q, which the header does not name", header, got)
		}
		if again := Negotiate(lines, set&^(1<<got)); again == got {
			t.Fatalf("Negotiate(%q) without %q offered still chose it", header, got)
		}
	})
}

func TestRanked(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   [3]Coding
	}{
		{"gzip, deflate, br, zstd", [3]Coding{Brotli, Zstd, Gzip}},
		{"gzip;q=0.5, br;q=0.8", [3]Coding{Brotli, Gzip}},
		{"gzip, identity;q=0.9, zstd;q=0.5", [3]Coding{Gzip}}, // identity before zstd
		{"", [3]Coding{}},
		{"br;q=0", [3]Coding{}},
	} {
		if got := Ranked([]string{tc.header}, All); got != tc.want {
			t.Errorf("Ranked(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
