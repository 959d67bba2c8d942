package export

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"herald/manifest"
)

// mergeBlock is a small export to merge: one page, one stylesheet.
func mergeBlock(t testing.TB, format, css string) []byte {
	t.Helper()
	m := &manifest.Manifest{Hash: "h-" + css, Pages: map[string]*manifest.Page{
		"/a.html": {Assets: []manifest.Asset{{Path: css, As: "style", Why: "link"}}},
	}}
	out, _, err := Export(m, format)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMergeHeaders(t *testing.T) {
	old, block := mergeBlock(t, "cloudflare", "/old.css"), mergeBlock(t, "cloudflare", "/new.css")
	own := "# mine\r\n/secure/*\r\n  X-Frame-Options: DENY\r\n"
	tests := []struct {
		name, existing, want string
		warn, err            string // substrings; "" for none
	}{
		{name: "empty file", existing: "", want: string(block)},
		{name: "own rules, no block: appended after a blank line", existing: own, want: own + "\n" + string(block)},
		{name: "no final newline", existing: "/x\n  A: b", want: "/x\n  A: b\n\n" + string(block)},
		{name: "block replaced in place, CRLF rules kept",
			existing: own + "\n" + string(old) + "\n/after\r\n  B: c\r\n",
			want:     own + "\n" + string(block) + "\n/after\r\n  B: c\r\n"},
		{name: "end marker with trailing spaces and CR",
			existing: strings.Replace(string(old), endMarker+"\n", endMarker+" \r\n", 1) + "/z\n  C: d\n",
			want:     string(block) + "/z\n  C: d\n"},
		{name: "own Link rule is a conflict", existing: "/*\n  Link: </x.css>; rel=preload; as=style\n",
			want: "/*\n  Link: </x.css>; rel=preload; as=style\n\n" + string(block), warn: "line 2: your rule for /* sets Link"},
		{name: "own detach of Link", existing: "/a\n  ! Link\n", want: "/a\n  ! Link\n\n" + string(block), warn: "/a detaches Link"},
		{name: "own rule on herald's path", existing: "/*\n  X-A: 1\n", want: "/*\n  X-A: 1\n\n" + string(block), warn: "has a path herald writes too"},
		{name: "begin without end", existing: own + beginMarker + " manifest x\n/a\n  A: b\n", err: "not one pair"},
		{name: "end before begin", existing: endMarker + "\n" + beginMarker + "\n", err: "not one pair"},
		{name: "two blocks", existing: string(old) + string(old), err: "2 \"# herald:begin\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := MergeHeaders([]byte(tt.existing), block, "cloudflare")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("merged:\n%q\nwant:\n%q", got, tt.want)
			}
			w := strings.Join(warnings, "\n")
			if (tt.warn == "") != (w == "") || !strings.Contains(w, tt.warn) {
				t.Errorf("warnings %q, want %q", warnings, tt.warn)
			}
		})
	}
}

// TestMergeHeadersCloudflareLimit: the site's own rules count towards
// Cloudflare's 100.
func TestMergeHeadersCloudflareLimit(t *testing.T) {
	block := mergeBlock(t, "cloudflare", "/a.css")
	var own strings.Builder
	for i := range cloudflareMaxRules - countRules(block) {
		fmt.Fprintf(&own, "/p%d\n  X-A: 1\n", i)
	}
	if _, _, err := MergeHeaders([]byte(own.String()), block, "cloudflare"); err != nil {
		t.Errorf("100 rules: %v", err)
	}
	own.WriteString("/one-more\n  X-A: 1\n")
	_, _, err := MergeHeaders([]byte(own.String()), block, "cloudflare")
	var tooMany *ErrTooManyRules
	if !errors.As(err, &tooMany) || tooMany.Need != 101 {
		t.Errorf("101 rules: %v", err)
	}
	if _, _, err := MergeHeaders([]byte(own.String()), mergeBlock(t, "netlify", "/a.css"), "netlify"); err != nil {
		t.Errorf("netlify has no such limit: %v", err)
	}
}

// FuzzMergeHeaders: whatever the _headers file a site holds, a merge either
// refuses it (only when it holds a marker line) or keeps every byte outside
// the herald block, holds the block once, and merges again to itself.
func FuzzMergeHeaders(f *testing.F) {
	block := mergeBlock(f, "netlify", "/a.css")
	other := mergeBlock(f, "netlify", "/b.css")
	f.Add("")
	f.Add("/*\n  X-Frame-Options: DENY\n")
	f.Add("a\r\n" + string(block) + "b")
	f.Add(beginMarker + "\n" + endMarker)
	f.Add(endMarker + "\n" + beginMarker + "\n")
	f.Add("# herald:begin manifest\n\n# herald:end   \r\n/x\n  Link: <y>\n  ! Link\n")
	f.Fuzz(func(t *testing.T, existing string) {
		got, _, err := MergeHeaders([]byte(existing), other, "netlify")
		hasMarker := strings.Contains(existing, beginMarker) || strings.Contains(existing, endMarker)
		if err != nil {
			if !hasMarker {
				t.Fatalf("refused a file without markers: %v", err)
			}
			return
		}
		i := bytes.Index(got, other)
		if i < 0 {
			t.Fatalf("block not in:\n%q", got)
		}
		before, after := string(got[:i]), string(got[i+len(other):])
		if start, end, _ := findBlock([]byte(existing)); start >= 0 {
			if before != existing[:start] || after != existing[end:] {
				t.Fatalf("bytes outside the block changed:\n%q\n->\n%q", existing, got)
			}
		} else if after != "" || !strings.HasPrefix(before, existing) || len(before)-len(existing) > 2 {
			t.Fatalf("not appended after the file:\n%q\n->\n%q", existing, got)
		}
		again, _, err := MergeHeaders(got, other, "netlify")
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("merging again: %v\n%q\n->\n%q", err, got, again)
		}
		// Another export in between changes nothing outside the block.
		swapped, _, err := MergeHeaders(got, block, "netlify")
		if err != nil {
			t.Fatal(err)
		}
		back, _, _ := MergeHeaders(swapped, other, "netlify")
		if !bytes.Equal(back, got) {
			t.Fatalf("export, other export, export:\n%q\n->\n%q", got, back)
		}
	})
}
