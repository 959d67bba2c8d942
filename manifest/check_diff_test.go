package manifest

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestNewFindings: an edit adds the findings it causes and fixes those it
// removes; a reference moved to another line and a page over its budget
// that grows are the same findings as before.
func TestNewFindings(t *testing.T) {
	budget := Budget{MaxBytes: 100, BytesFlag: "--push-max-bytes"}
	base := fstest.MapFS{
		"index.html": {Data: []byte("<link rel=stylesheet href=/a.css>")},
		"big.html":   {Data: []byte("<script src=/big.js></script>")},
		"a.css":      {Data: []byte("p{}")},
		"big.js":     {Data: []byte(strings.Repeat("x", 200))},
	}
	edit := func(name, body string) fstest.MapFS {
		fs := fstest.MapFS{}
		for k, v := range base {
			fs[k] = v
		}
		fs[name] = &fstest.MapFile{Data: []byte(body)}
		return fs
	}
	tests := []struct {
		name         string
		before, now  fstest.MapFS
		added, fixed []string // Key's page and cause
	}{
		{"nothing changed", base, base, nil, nil},
		{"a stylesheet link broken", base, edit("index.html", "<link rel=stylesheet href=/gone.css>"),
			[]string{"/index.html stylesheet /gone.css does not exist"}, nil},
		{"and repaired", edit("index.html", "<link rel=stylesheet href=/gone.css>"), base,
			nil, []string{"/index.html stylesheet /gone.css does not exist"}},
		{"moved to another line", edit("index.html", "<link rel=stylesheet href=/gone.css>"),
			edit("index.html", "\n\n<link rel=stylesheet href=/gone.css>"), nil, nil},
		{"over budget grows", base, edit("big.js", strings.Repeat("x", 300)), nil, nil},
		{"back within budget", base, edit("big.js", "x"), nil, []string{"/big.html over the byte budget"}},
		{"over budget", edit("big.js", "x"), base, []string{"/big.html over the byte budget"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m0, _ := mustBuild(t, tt.before)
			m1, _ := mustBuild(t, tt.now)
			added, fixed := NewFindings(Check(m0, nil, nil, budget), Check(m1, nil, nil, budget))
			names := func(list []Finding) []string {
				var out []string
				for _, f := range list {
					out = append(out, f.Page+" "+f.Cause())
				}
				return out
			}
			if got := names(added); !slices.Equal(got, tt.added) {
				t.Errorf("added %q, want %q", got, tt.added)
			}
			if got := names(fixed); !slices.Equal(got, tt.fixed) {
				t.Errorf("fixed %q, want %q", got, tt.fixed)
			}
		})
	}
	if f := Check(mustBuild1(t, base), nil, nil, budget); len(f) != 1 || !strings.Contains(f[0].Message, "raise --push-max-bytes") {
		t.Errorf("budget finding %v: want it to name --push-max-bytes", f)
	}
}

func mustBuild1(t *testing.T, fs fstest.MapFS) *Manifest {
	m, _ := mustBuild(t, fs)
	return m
}
