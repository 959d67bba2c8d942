package hostrules

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestHostileFiles: a file past the limits keeps what fits under them,
// says what it left out, and costs bounded memory.
func TestHostileFiles(t *testing.T) {
	many := func(n int, format string) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, format, i)
		}
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name      string
		data      []byte
		headers   bool
		maxRules  int
		wantIssue string
	}{
		{"redirects past MaxBytes", many(400000, "/a%d /b\n"), false, MaxRules, "more than 10000 rules"},
		{"huge file cut", []byte(strings.Repeat("/a /b\n", 3*MaxBytes/6)), false, MaxRules, "more than 10000 rules"},
		{"one huge line", []byte(strings.Repeat("x", 8*MaxBytes)), false, 0, "larger than 1048576 bytes"},
		{"long line", []byte(strings.Repeat("/x", MaxLine) + " /b\n/ok /b\n"), false, 1, "line longer than 4096 bytes"},
		{"dynamic redirects", many(5000, "/d%d/* /b\n"), false, MaxDynamic, "more than 1000 rules with a host"},
		{"header rules", many(30000, "/h%d\n  X-A: b\n"), true, MaxRules, "more than 10000 rules"},
		{"dynamic header rules", many(5000, "/h%d/:x\n  X-A: :x\n"), true, MaxDynamic, "more than 1000 rules with a host"},
		{"placeholders", []byte("/" + strings.Repeat(":a", 1000) + " /b\n"), false, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var n int
			var problems []Problem
			if tc.headers {
				hs, p := ParseHeaders(tc.data)
				n, problems = hs.Len(), p
				hs.Match("", "/h1/x")
			} else {
				rs, p := ParseRedirects(tc.data)
				n, problems = rs.Len(), p
				rs.Match("", "/a1", "", false)
				runtime.KeepAlive(rs)
			}
			runtime.ReadMemStats(&after)
			if n > tc.maxRules {
				t.Errorf("%d rules kept, more than %d", n, tc.maxRules)
			}
			all := fmt.Sprint(problems)
			if !strings.Contains(all, tc.wantIssue) {
				t.Errorf("problems %.300s: want %q", all, tc.wantIssue)
			}
			if len(problems) > MaxProblems+1 {
				t.Errorf("%d problems: the list must stay bounded", len(problems))
			}
			// Generous: the rules kept and their compiled patterns.
			if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
				t.Errorf("heap grew by %d MiB", grew>>20)
			}
		})
	}
}

// BenchmarkMatchWorst is a request against the most rules a file may make
// herald try: MaxDynamic patterns that share their prefix with the path.
func BenchmarkMatchWorst(b *testing.B) {
	var f strings.Builder
	for i := range MaxDynamic {
		fmt.Fprintf(&f, "/docs/:a/x%d/* /b 301\n", i)
	}
	for i := range MaxRules - MaxDynamic {
		fmt.Fprintf(&f, "/s%d /b\n", i)
	}
	rs, problems := ParseRedirects([]byte(f.String()))
	if len(problems) > 0 {
		b.Fatal(problems[0])
	}
	for b.Loop() {
		if _, ok := rs.Match("", "/docs/a/y/z", "", false); ok {
			b.Fatal("matched")
		}
	}
}
