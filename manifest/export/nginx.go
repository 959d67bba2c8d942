package export

import (
	"fmt"
	"strings"

	"herald/manifest"
)

// writeNginx writes one exact-match location per URL of each page, adding
// its Link headers; http2_push_preload makes nginx 1.13.9 to 1.25.0 push
// them too (later versions ignore it with a warning: push is gone).
func writeNginx(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "nginx", m,
		"Include inside the server { } block that serves the site (listen ... ssl http2;):",
		"    include /etc/nginx/herald-links.conf;",
		"Each location below takes over its exact URL from your other locations, and",
		"add_header in it replaces the server's own add_header lines for that URL.",
		"nginx 1.13.9 to 1.25.0 push the preloads (at most http2_max_concurrent_pushes,",
		"10 by default, per connection); later versions ignore http2_push_preload.")
	var warnings []string
	for _, r := range rules {
		for _, l := range r.links {
			if strings.Contains(l, "$") {
				warnings = append(warnings, fmt.Sprintf("page %q: nginx cannot write $ in a header value; written %%24, which a browser may not match with the page's own reference", r.page))
				break
			}
		}
		for _, u := range r.urls {
			fmt.Fprintf(b, "\nlocation = %s {\n", nginxQuote(u))
			b.WriteString("    http2_push_preload on;\n")
			for _, l := range r.links {
				// $ would start a variable; the URL is equivalent escaped.
				fmt.Fprintf(b, "    add_header Link %s;\n", nginxQuote(strings.ReplaceAll(l, "$", "%24")))
			}
			b.WriteString("}\n")
		}
	}
	return warnings, nil
}

// nginxQuote returns s as a double-quoted nginx string: \ and " are the only
// characters nginx unescapes there.
func nginxQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
