package export

import (
	"fmt"
	"strings"

	"herald/manifest"
)

// writeH2O writes an mruby handler for h2o: it looks the request's decoded
// path up in a table and answers 399 with the page's Link header, which
// hands the request on to the next handler (file.dir). h2o adds the header
// to the response and pushes what it announces.
func writeH2O(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "h2o", m,
		"An mruby handler: save it (say /etc/h2o/herald-links.rb) and name it before",
		"the handler that serves the site:",
		"    paths:",
		"      /:",
		"        mruby.handler-file: /etc/h2o/herald-links.rb",
		"        file.dir: /var/www/site",
		"h2o pushes the preloads it announces (http2-push-preload, on by default).")
	b.WriteString("\nlinks = {}\n")
	for _, r := range rules {
		b.WriteString("links")
		for _, u := range r.urls {
			fmt.Fprintf(b, "[%s] = ", rubyString(u))
			if u != r.urls[len(r.urls)-1] {
				b.WriteString("links")
			}
		}
		b.WriteString(rubyString(strings.Join(r.links, ", ")))
		b.WriteString("\n")
	}
	b.WriteString(`
lambda do |env|
  path = env['SCRIPT_NAME'] + env['PATH_INFO']
  path = path.gsub(/%[0-9A-Fa-f]{2}/) { |e| e[1, 2].to_i(16).chr } if path.include?('%')
  link = links[path]
  link ? [399, { 'link' => link }, []] : [399, {}, []]
end
`)
	return nil, nil
}

// rubyString returns s as a single-quoted Ruby string, where \\ and \' are
// the only escapes and nothing is interpolated.
func rubyString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
