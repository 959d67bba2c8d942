package export

import (
	"fmt"
	"strings"

	"herald/manifest"
)

// writeApache writes one <If> section per page, which works in a server or
// virtual host configuration and in .htaccess alike: mod_headers adds the
// Link headers, which mod_http2 pushes (H2Push), and H2EarlyHint repeats
// them in a 103 Early Hints response where H2EarlyHints is on.
func writeApache(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "apache", m,
		"Include it in the <VirtualHost> that serves the site, or save it as .htaccess",
		"at the top of the site. Needs mod_headers and mod_http2 (a2enmod headers http2)",
		"and Protocols h2 http/1.1. For 103 Early Hints add to the virtual host (not",
		"allowed in .htaccess):",
		"    H2EarlyHints on")
	b.WriteString("\nH2Push on\n")
	var warnings []string
	for _, r := range rules {
		if strings.Contains(r.page, `\`) {
			warnings = append(warnings, fmt.Sprintf("page %q left out of the apache export: an expression cannot match a backslash reliably", r.page))
			continue
		}
		alts := make([]string, len(r.urls))
		for i, u := range r.urls {
			alts[i] = apacheExprString(u)
		}
		cond := "%{REQUEST_URI} == " + alts[0]
		if len(alts) > 1 {
			cond = "%{REQUEST_URI} -in {" + strings.Join(alts, ", ") + "}"
		}
		fmt.Fprintf(b, "\n<If %s>\n", apacheQuote(cond))
		for _, l := range r.links {
			// % starts a format specifier in a Header value.
			fmt.Fprintf(b, "    Header add Link %s\n", apacheQuote(strings.ReplaceAll(l, "%", "%%")))
		}
		for _, l := range r.links {
			fmt.Fprintf(b, "    H2EarlyHint Link %s\n", apacheQuote(l))
		}
		b.WriteString("</If>\n")
	}
	return warnings, nil
}

// apacheExprString returns s as a single-quoted ap_expr string that means
// s itself: every ASCII character but letters and digits is escaped, so
// that neither %{ (a variable) nor $1 (a back-reference) nor a quote is read
// as syntax. REQUEST_URI is the decoded path, so s is too.
func apacheExprString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('\'')
	return b.String()
}

// apacheQuote returns s as a double-quoted Apache configuration argument,
// where \\ and \" are the escapes.
func apacheQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
