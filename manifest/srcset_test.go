package manifest

import (
	"fmt"
	"testing"
)

func TestParseSrcset(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a.png", "[{a.png 0 0}]"},
		{"a.png 1x, b.png 2x", "[{a.png 0 1} {b.png 0 2}]"},
		{" a.png  480w ,b.png 960w", "[{a.png 480 0} {b.png 960 0}]"},
		{"a.png,b.png 2x", "[{a.png,b.png 0 2}]"}, // a comma inside a URL is part of it
		{"data:image/png;base64,AAAA 1x, b.png 2x", "[{data:image/png;base64,AAAA 0 1} {b.png 0 2}]"},
		{"a.png 100w 50h, b.png 1.5x", "[{a.png 100 0} {b.png 0 1.5}]"},
		{"a.png 1x 2x, b.png 10.5w, c.png foo, d.png 3x", "[{d.png 0 3}]"}, // bad descriptors drop a candidate
		{"a.png (1x), b.png", "[{b.png 0 0}]"},
		{",,, ", "[]"},
	} {
		if got := fmt.Sprint(parseSrcset(tt.in)); got != tt.want {
			t.Errorf("parseSrcset(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSourceSize(t *testing.T) {
	l := &layouter{}
	for _, tt := range []struct {
		in   string
		want float64
	}{
		{"", 1366},
		{"auto", 1366},
		{"50vw", 683},
		{"(max-width: 600px) 100vw, 400px", 400},
		{"(min-width: 1200px) 600px, 100vw", 600},
		{"(min-width: 1400px) 600px, calc(100vw - 66px)", 1300},
		{"(max-width: 600px) 480px, (max-width: 1400px) 80vw, 1200px", 1092.8},
		{"50%, 300px", 1366}, // a percentage is no source size: the last entry is unreadable
		{"2em", 32},
	} {
		if got := l.sourceSize(tt.in); got != tt.want {
			t.Errorf("sourceSize(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPickCandidate(t *testing.T) {
	for _, tt := range []struct {
		set  string
		size float64
		want string
	}{
		{"a.png 1x, b.png 2x", 1366, "a.png 1"},
		{"b.png 2x, a.png 1x", 1366, "a.png 1"},
		{"a.png 1.5x, b.png 3x", 1366, "a.png 1.5"},
		{"a.png 0.5x, b.png 0.8x", 1366, "b.png 0.8"},             // none dense enough: the densest
		{"s.png 300w, m.png 600w, l.png 1000w", 400, "m.png 1.5"}, // smallest density of at least 1
		{"s.png 400w, m.png 600w", 400, "s.png 1"},
		{"s.png 300w, m.png 600w", 1366, "m.png 0.43923865300146414"},
		{"a.png 1x, a2.png, b.png 2x", 1366, "a.png 1"}, // the first of equal densities
	} {
		u, d, ok := pickCandidate(parseSrcset(tt.set), tt.size)
		if got := fmt.Sprint(u, " ", d); !ok || got != tt.want {
			t.Errorf("pickCandidate(%q, %v) = %s, want %s", tt.set, tt.size, got, tt.want)
		}
	}
	if _, _, ok := pickCandidate(nil, 100); ok {
		t.Error("pickCandidate(nil) found a candidate")
	}
}
