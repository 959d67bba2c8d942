package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"herald/manifest"
)

// headersFileRule is one rule of a _headers file as Cloudflare's parser
// (workers-sdk, workers-shared/utils/configuration/parseHeaders.ts) reads
// it: the path, the headers it detaches, and the values it sets, repeated
// names joined with ", ".
type headersFileRule struct {
	line  int
	path  string
	re    *regexp.Regexp // path, compiled by matcher
	unset []string
	set   map[string]string
}

// parseHeadersFile reads a _headers file line by line as that parser does:
// each line trimmed, blank and # lines skipped, a line starting with / is a
// path, "! Name" detaches and "Name: value" sets. It is stricter: what that
// parser would skip with a message is an error here, and so are a line over
// Cloudflare's 2,000 characters and a path listed twice.
func parseHeadersFile(data []byte) ([]headersFileRule, error) {
	var rules []headersFileRule
	seen := map[string]bool{}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case len(raw) > cloudflareMaxLine:
			return nil, fmt.Errorf("line %d: %d characters", n, len(raw))
		case strings.HasPrefix(line, "/"):
			if strings.ContainsAny(line, " \t") {
				return nil, fmt.Errorf("line %d: path %q holds a space", n, line)
			}
			if seen[line] {
				return nil, fmt.Errorf("line %d: path %q listed twice", n, line)
			}
			seen[line] = true
			rules = append(rules, headersFileRule{line: n, path: line, re: matcher(line), set: map[string]string{}})
		case len(rules) == 0:
			return nil, fmt.Errorf("line %d: %q comes before any path", n, line)
		case !strings.Contains(line, ":") && strings.HasPrefix(line, "!"):
			r := &rules[len(rules)-1]
			r.unset = append(r.unset, strings.ToLower(strings.TrimSpace(line[1:])))
		default:
			name, value, ok := strings.Cut(line, ":")
			name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
			if !ok || name == "" || value == "" || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("line %d: %q is no header", n, line)
			}
			r := &rules[len(rules)-1]
			if old, ok := r.set[name]; ok {
				value = old + ", " + value
			}
			r.set[name] = value
		}
	}
	return rules, nil
}

var placeholder = regexp.MustCompile(`:[A-Za-z]\w*`)

// matcher compiles a _headers path as Cloudflare's rules engine
// (pages-shared/asset-server/rulesEngine.ts) does: * matches any
// characters, :name any but /, the rest itself, anchored at both ends.
func matcher(p string) *regexp.Regexp {
	parts := strings.Split(p, "*")
	for i, part := range parts {
		parts[i] = regexp.QuoteMeta(part)
	}
	re := placeholder.ReplaceAllString(strings.Join(parts, ".*"), "[^/]+")
	return regexp.MustCompile("^" + re + "$")
}

// cloudflareLink returns the Link value Cloudflare Pages sends for a
// request path (as the browser encodes it), by its asset server's
// attachHeaders: the first 100 rules, in the order of the file; each
// matching rule deletes what it detaches, then sets its values, appending
// (", ") to what earlier rules set.
func cloudflareLink(rules []headersFileRule, req string) (string, bool) {
	if len(rules) > cloudflareMaxRules {
		rules = rules[:cloudflareMaxRules]
	}
	value, has := "", false
	for _, r := range rules {
		if !r.re.MatchString(req) {
			continue
		}
		if slices.Contains(r.unset, "link") {
			value, has = "", false
		}
		if v, ok := r.set["link"]; ok {
			if has {
				value += ", " + v
			} else {
				value, has = v, true
			}
		}
	}
	return value, has
}

// netlifyLink returns the Link value of the one rule of a Netlify _headers
// file that matches a request path and sets Link. Netlify documents no way
// two rules' values of one header combine, so two such rules are an error;
// and it knows no detach.
func netlifyLink(rules []headersFileRule, req string) (string, bool, error) {
	value, has, from := "", false, 0
	for _, r := range rules {
		if len(r.unset) > 0 {
			return "", false, fmt.Errorf("line %d: Netlify has no ! detach", r.line)
		}
		v, ok := r.set["link"]
		if !ok || !r.re.MatchString(req) {
			continue
		}
		if has {
			return "", false, fmt.Errorf("%s: matched by the rules of lines %d and %d", req, from, r.line)
		}
		value, has, from = v, true, r.line
	}
	return value, has, nil
}

// browserPath is a decoded URL path as a browser sends it: the WHATWG URL
// path percent-encode set, and bytes outside ASCII, percent-encoded.
func browserPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("\"#<>?`{}%", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// headersLink evaluates a _headers file of format for a request path.
func headersLink(t testing.TB, format string, rules []headersFileRule, req string) string {
	t.Helper()
	if format == "cloudflare" {
		v, _ := cloudflareLink(rules, req)
		return v
	}
	v, _, err := netlifyLink(rules, req)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// corpora are the real sites of manifest/testdata/golden/VERSIONS.
var corpora = []string{"python", "postgres", "reveal.js", "swagger-ui-dist", "gitpython", "agency", "clean-blog", "sb-admin-2", "vitest-ui"}

// TestHeadersFileOnHosts evaluates each _headers export of every corpus by
// the host's own matching and checks that every URL of every page gets its
// Link set, no more, within Cloudflare's limits; and that no file in a
// folder without pages gets one from Cloudflare's.
func TestHeadersFileOnHosts(t *testing.T) {
	type site struct {
		name string
		load func(*testing.T) *manifest.Manifest
	}
	sites := []site{{"unusual", func(t *testing.T) *manifest.Manifest { return fixtureManifest(t) }}}
	for _, name := range corpora {
		sites = append(sites, site{name, func(t *testing.T) *manifest.Manifest { return corpusManifest(t, name) }})
	}
	for _, s := range sites {
		for _, format := range []string{"netlify", "cloudflare"} {
			t.Run(s.name+"/"+format, func(t *testing.T) {
				m := s.load(t)
				out, _, err := Export(m, format)
				if err != nil {
					t.Fatal(err)
				}
				rules := checkHeadersFile(t, m, out, format)
				before := 0
				for _, u := range wantLinks(m, true) {
					if len(u) > 0 {
						before++
					}
				}
				withLink := 0
				for f := range m.Files {
					if !manifest.IsPage(f) && headersLink(t, format, rules, browserPath(f)) != "" {
						withLink++
						if format == "cloudflare" && !folderHasPages(m, path.Dir(f)) {
							t.Errorf("%s, in a folder without pages, gets Link", f)
						}
					}
				}
				t.Logf("%s: %d rules (one per page URL: %d); %d of %d files that are no page get a Link", format, len(rules), before, withLink, len(m.Files)-len(m.Pages))
			})
		}
	}
}

// folderHasPages reports whether a page lies in dir or below it.
func folderHasPages(m *manifest.Manifest, dir string) bool {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range m.Pages {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// checkHeadersFile parses a _headers file, evaluates it as the host does
// for every URL of every page, and checks that each gets exactly its
// page's Link values. It returns the rules.
func checkHeadersFile(t testing.TB, m *manifest.Manifest, out []byte, format string) []headersFileRule {
	t.Helper()
	rules, err := parseHeadersFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if format == "cloudflare" && len(rules) > cloudflareMaxRules {
		t.Errorf("%d rules, over Cloudflare's %d", len(rules), cloudflareMaxRules)
	}
	for u, links := range wantLinks(m, true) {
		req := browserPath(u)
		if got, want := headersLink(t, format, rules, req), strings.Join(links, ", "); got != want {
			t.Errorf("%s: Link\n got %q\nwant %q", req, got, want)
		}
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
	hinted := 0
	for u, links := range want {
		if got[u] != strings.Join(links, ", ") {
			t.Errorf("%s: Link\n got %q\nwant %q", u, got[u], strings.Join(links, ", "))
		}
		if len(links) > 0 {
			hinted++
		}
	}
	if len(got) != hinted {
		t.Errorf("%d URLs have hints, want %d", len(got), hinted)
	}
}
