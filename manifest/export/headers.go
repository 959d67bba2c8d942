package export

import (
	"fmt"
	"net/url"
	"strings"

	"herald/manifest"
)

// Limits of Cloudflare Pages' _headers file, from its documentation.
const (
	cloudflareMaxRules = 100
	cloudflareMaxLine  = 2000
)

func writeNetlify(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "netlify", m,
		"Save as _headers at the top of the publish folder. Each page is listed at",
		"every URL that serves it (/dir/ and /dir/index.html, /a.html and /a).")
	return writeHeadersFile(b, rules), nil
}

func writeCloudflare(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "cloudflare", m,
		"Save as _headers in the Pages output folder. Cloudflare sends these Link",
		"headers as 103 Early Hints too. Each page is listed at every URL that serves",
		"it (/dir/ and /dir/index.html, /a.html and /a).")
	warnings := writeHeadersFile(b, rules)
	n := 0
	for _, r := range rules {
		n += len(r.urls)
	}
	if n > cloudflareMaxRules {
		warnings = append(warnings, fmt.Sprintf("%d rules written; Cloudflare Pages takes at most %d: the rest are not applied (hint with a Pages Function, or export fewer pages)", n, cloudflareMaxRules))
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > cloudflareMaxLine {
			warnings = append(warnings, fmt.Sprintf("a line of %d characters is over Cloudflare Pages' limit of %d: %.60s...", len(line), cloudflareMaxLine, line))
		}
	}
	return warnings, nil
}

// writeHeadersFile writes the _headers format Netlify and Cloudflare Pages
// share: a URL path on a line of its own, then its headers indented below
// it, one Link line per asset (the host joins them with commas).
func writeHeadersFile(b *strings.Builder, rules []rule) []string {
	var warnings []string
	for _, r := range rules {
		if strings.ContainsAny(r.page, "*:") {
			warnings = append(warnings, fmt.Sprintf("page %q: * and : are pattern characters in _headers; written percent-encoded, which the host may not match", r.page))
		}
		for _, u := range r.urls {
			b.WriteString("\n")
			b.WriteString(headersPath(u))
			b.WriteString("\n")
			for _, l := range r.links {
				b.WriteString("  Link: ")
				b.WriteString(l)
				b.WriteString("\n")
			}
		}
	}
	return warnings
}

// headersPath writes a decoded URL path as a _headers path line: percent-
// encoded, so it holds no space, and with the splat (*) and placeholder (:)
// characters encoded as well, so it matches only itself.
func headersPath(p string) string {
	s := (&url.URL{Path: p}).EscapedPath()
	return strings.NewReplacer("*", "%2A", ":", "%3A").Replace(s)
}
