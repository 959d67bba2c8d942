package hostrules

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const redirectsFile = `# comments and blank lines are skipped

/home              /                       301
/old/*             /new/:splat             302
/news/:year/:month /blog/:year-:month.html 200
/store id=:id      /shop/:id               307
/store             /shop                   308
/app/*             /app/index.html         200
/forced            /elsewhere              301!
/gone              /404.html               410
/default           /d
/ext/*             https://example.com/:splat
https://blog.example.com/* https://example.com/blog/:splat 301
/trail/            /t
/author/c%C3%A9line /authors/celine
/open/*            /:splat
`

func TestRedirectsMatch(t *testing.T) {
	rs, problems := ParseRedirects([]byte(redirectsFile))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	for _, tc := range []struct {
		name, host, path, query string
		exists                  bool
		want                    Match // Status 0: no rule
	}{
		{name: "static", path: "/home", want: Match{Status: 301, Location: "/", Line: 3}},
		{name: "trailing slash matches too", path: "/home/", want: Match{Status: 301, Location: "/", Line: 3}},
		{name: "splat", path: "/old/a/b c.html", want: Match{Status: 302, Location: "/new/a/b%20c.html", Line: 4}},
		{name: "query passed on", path: "/old/x", query: "b=2&a=1", want: Match{Status: 302, Location: "/new/x?b=2&a=1", Line: 4}},
		{name: "placeholders in a rewrite", path: "/news/2024/05", want: Match{Status: 200, Path: "/blog/2024-05.html", Line: 5}},
		{name: "placeholder is one segment", path: "/news/2024/05/x"},
		{name: "query captured", path: "/store", query: "id=42&x=1", want: Match{Status: 307, Location: "/shop/42", Line: 6}},
		{name: "query missing: next rule", path: "/store", query: "x=1", want: Match{Status: 308, Location: "/shop?x=1", Line: 7}},
		{name: "shadowed by a file", path: "/home", exists: true},
		{name: "forced over a file", path: "/forced", exists: true, want: Match{Status: 301, Location: "/elsewhere", Line: 9}},
		{name: "410 rewrite", path: "/gone", want: Match{Status: 410, Path: "/404.html", Line: 10}},
		{name: "default status 301", path: "/default", want: Match{Status: 301, Location: "/d", Line: 11}},
		{name: "to another origin", path: "/ext/a", want: Match{Status: 301, Location: "https://example.com/a", Line: 12}},
		{name: "host rule, other host", host: "localhost", path: "/x"},
		{name: "host rule", host: "Blog.Example.com", path: "/x", want: Match{Status: 301, Location: "https://example.com/blog/x", Line: 13}},
		{name: "pattern with a trailing slash", path: "/trail", want: Match{Status: 301, Location: "/t", Line: 14}},
		{name: "percent-encoded pattern", path: "/author/céline", want: Match{Status: 301, Location: "/authors/celine", Line: 15}},
		{name: "never to another host", path: "/open//evil.example", want: Match{Status: 301, Location: "/evil.example", Line: 16}},
		{name: "no rule", path: "/nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := rs.Match(tc.host, tc.path, tc.query, tc.exists)
			if ok != (tc.want.Status != 0) || got != tc.want {
				t.Errorf("Match(%q, %q, %q, %v) = %+v, %v; want %+v", tc.host, tc.path, tc.query, tc.exists, got, ok, tc.want)
			}
		})
	}
}

// TestParseProblems: every line that cannot be used is named with its
// file, line and reason (testdata/*.golden), and the rest applies.
func TestParseProblems(t *testing.T) {
	for _, name := range []string{"_redirects.bad", "_headers.bad"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			var problems []Problem
			var n int
			if strings.HasPrefix(name, "_redirects") {
				rs, p := ParseRedirects(data)
				problems, n = p, rs.Len()
			} else {
				hs, p := ParseHeaders(data)
				problems, n = p, hs.Len()
			}
			var out strings.Builder
			for _, p := range problems {
				out.WriteString(p.Error() + "\n")
			}
			out.WriteString("rules kept: " + strconv.Itoa(n) + "\n")
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}
