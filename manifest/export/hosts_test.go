package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"herald/manifest"
)

// parseHeadersFile reads a _headers file by the rules Netlify and
// Cloudflare Pages document: # starts a comment line, a line at the margin
// is a URL path, and the indented "Name: value" lines below it are its
// headers; repeated names add values. It returns each path's Link values.
func parseHeadersFile(data []byte) (map[string][]string, error) {
	rules := map[string][]string{}
	current := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case line[0] != ' ' && line[0] != '\t':
			if !strings.HasPrefix(line, "/") || strings.ContainsAny(line, " \t") {
				return nil, fmt.Errorf("line %d: path %q is not a URL path", n, line)
			}
			if _, dup := rules[line]; dup {
				return nil, fmt.Errorf("line %d: path %q listed twice", n, line)
			}
			current = line
			rules[current] = nil
		default:
			name, value, ok := strings.Cut(trimmed, ":")
			if !ok || current == "" || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("line %d: %q is not a header of a path", n, line)
			}
			if strings.EqualFold(name, "Link") {
				rules[current] = append(rules[current], strings.TrimSpace(value))
			}
		}
	}
	return rules, sc.Err()
}

// matchesPath reports whether a _headers path line matches the request
// path p as a browser sends it, treating * and :name as the hosts do.
func matchesPath(line, p string) bool {
	if !strings.ContainsAny(line, "*:") {
		return line == p
	}
	var re strings.Builder
	re.WriteString("^")
	for _, part := range regexp.MustCompile(`\*|:[A-Za-z]\w*`).Split(line, -1) {
		re.WriteString(regexp.QuoteMeta(part))
		re.WriteString(".*")
	}
	return regexp.MustCompile(strings.TrimSuffix(re.String(), ".*") + "$").MatchString(p)
}

func TestHeadersFileParsesBack(t *testing.T) {
	sites := map[string]func(*testing.T) *manifest.Manifest{
		"python":  func(t *testing.T) *manifest.Manifest { _, m := pythonSite(t); return m },
		"unusual": func(t *testing.T) *manifest.Manifest { return fixtureManifest(t) },
	}
	for name, load := range sites {
		for _, format := range []string{"netlify", "cloudflare"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				m := load(t)
				out, warnings, err := Export(m, format)
				if err != nil {
					t.Fatal(err)
				}
				rules := checkHeadersFile(t, m, out)
				if format == "cloudflare" {
					overLimit := len(rules) > cloudflareMaxRules
					warned := strings.Contains(strings.Join(warnings, "\n"), "at most 100")
					if overLimit != warned {
						t.Errorf("%d rules; warned of the 100-rule limit: %v", len(rules), warned)
					}
					for _, line := range strings.Split(string(out), "\n") {
						if len(line) > cloudflareMaxLine {
							t.Errorf("line of %d characters: %.80s", len(line), line)
						}
					}
				}
			})
		}
	}
}

// checkHeadersFile parses a _headers file back and checks that every URL
// of every page gets exactly the page's Link values. It returns the rules.
func checkHeadersFile(t testing.TB, m *manifest.Manifest, out []byte) map[string][]string {
	t.Helper()
	rules, err := parseHeadersFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := wantLinks(m, true)
	for u, links := range want {
		req := (&url.URL{Path: u}).EscapedPath()
		var got []string
		for line, values := range rules {
			if matchesPath(line, req) {
				got = append(got, values...)
			}
		}
		if strings.Join(got, "\n") != strings.Join(links, "\n") {
			t.Errorf("%s: Link\n got %q\nwant %q", req, got, links)
		}
	}
	if len(rules) != len(want) {
		t.Errorf("%d rules, want one per page URL: %d", len(rules), len(want))
	}
	return rules
}

// firebaseFile is firebase.json's hosting.headers as Firebase documents it.
type firebaseFile struct {
	Hosting struct {
		Headers []struct {
			Source  *string `json:"source"`
			Regex   *string `json:"regex"`
			Headers []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"headers"`
		} `json:"headers"`
	} `json:"hosting"`
}

func TestFirebaseParsesBack(t *testing.T) {
	sites := map[string]func(*testing.T) *manifest.Manifest{
		"python":  func(t *testing.T) *manifest.Manifest { _, m := pythonSite(t); return m },
		"unusual": func(t *testing.T) *manifest.Manifest { return fixtureManifest(t) },
	}
	for name, load := range sites {
		t.Run(name, func(t *testing.T) {
			m := load(t)
			out, _, err := Export(m, "firebase")
			if err != nil {
				t.Fatal(err)
			}
			checkFirebase(t, m, out)
		})
	}
}

// checkFirebase reads firebase.json back and checks that every URL of every
// page matches one entry, which carries exactly the page's Link values.
func checkFirebase(t testing.TB, m *manifest.Manifest, out []byte) {
	t.Helper()
	// The Firebase CLI reads firebase.json with // comments allowed.
	var body bytes.Buffer
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if !strings.HasPrefix(line, "//") {
			body.WriteString(line)
		}
	}
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	var f firebaseFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("not firebase.json: %v", err)
	}
	want := wantLinks(m, true)
	got := map[string]string{}
	for i, h := range f.Hosting.Headers {
		if (h.Source == nil) == (h.Regex == nil) || len(h.Headers) != 1 || h.Headers[0].Key != "Link" {
			t.Fatalf("entry %d: want one of source and regex, and one Link header: %+v", i, h)
		}
		for u := range want {
			hit := false
			if h.Source != nil {
				if strings.ContainsAny(*h.Source, firebaseGlob) {
					t.Fatalf("entry %d: glob characters in source %q", i, *h.Source)
				}
				hit = *h.Source == u
			} else {
				re, err := regexp.Compile(*h.Regex)
				if err != nil {
					t.Fatalf("entry %d: regex %q: %v", i, *h.Regex, err)
				}
				hit = re.MatchString(u)
			}
			if hit {
				if _, dup := got[u]; dup {
					t.Errorf("%s matched twice", u)
				}
				got[u] = h.Headers[0].Value
			}
		}
	}
	for u, links := range want {
		if got[u] != strings.Join(links, ", ") {
			t.Errorf("%s: Link\n got %q\nwant %q", u, got[u], strings.Join(links, ", "))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d URLs have hints, want %d", len(got), len(want))
	}
}
