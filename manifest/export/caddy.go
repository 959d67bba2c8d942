package export

import (
	"fmt"
	"regexp"
	"strings"

	"herald/manifest"
)

// writeCaddy writes a Caddyfile snippet: one path_regexp matcher per page
// (anchored and escaped, so it matches the page's URLs exactly and
// case-sensitively, which the path matcher does not), the page's Link
// headers, and push, which pushes what those headers announce.
func writeCaddy(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "caddy", m,
		"Import inside the site block that serves the site:",
		"    import herald-links.caddy",
		"push sends each page's preloads over HTTP/2 push to clients that accept it.")
	b.WriteString("\npush\n")
	for i, r := range rules {
		alts := make([]string, len(r.urls))
		for j, u := range r.urls {
			alts[j] = regexp.QuoteMeta(u)
		}
		name := fmt.Sprintf("@herald%d", i+1)
		fmt.Fprintf(b, "\n# %s\n", commentSafe(r.page))
		fmt.Fprintf(b, "%s path_regexp %s\n", name, caddyQuote("^(?:"+strings.Join(alts, "|")+")$"))
		for _, l := range r.links {
			fmt.Fprintf(b, "header %s +Link %s\n", name, caddyQuote(l))
		}
	}
	return nil, nil
}

// caddyQuote returns s as a double-quoted Caddyfile token. The lexer
// unescapes only \" there and keeps every other backslash, so a regexp's
// escapes pass through as written. {$ would be read as an environment
// variable anywhere in the file: neither QuoteMeta nor Asset.Link leaves one.
// A value holding \" cannot be written between double quotes at all: it
// goes between backticks, where nothing is unescaped.
func caddyQuote(s string) string {
	if strings.Contains(s, `\"`) && !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// commentSafe keeps a path on one comment line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
