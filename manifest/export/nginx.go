package export

import (
	"fmt"
	"regexp"
	"strings"

	"herald/manifest"
)

// writeNginx writes one map from the request's decoded path to its page's
// Link value, to include at http level; the server that serves the site
// adds one add_header line naming the map's variable. nginx sends no header
// whose value is empty, so a URL that is no page gets none, and the site's
// own locations and add_header lines stay as they are.
//
// map compares strings without regard to case (two keys differing only in
// case are a "conflicting parameter" error, measured on nginx 1.22.1), so
// keys that would collide are written as case-sensitive regular
// expressions, which map tries after the strings.
func writeNginx(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "#", "nginx", m,
		"Include at http level (Debian's nginx includes /etc/nginx/conf.d/*.conf",
		"there), and add to the server { } block that serves the site:",
		"    add_header Link $herald_link;",
		"A location with add_header lines of its own must repeat that line: nginx",
		"inherits add_header only into locations that have none.",
		"To push the preloads (nginx 1.13.9 to 1.25.0, at most",
		"http2_max_concurrent_pushes, 10 by default, per connection) add there too:",
		"    http2_push_preload on;",
		"Later versions ignore http2_push_preload: push is gone.")
	var warnings []string
	type entry struct{ key, value string }
	var entries []entry
	byLower := map[string]int{}
	for _, r := range rules {
		for _, l := range r.links {
			if strings.Contains(l, "$") {
				warnings = append(warnings, fmt.Sprintf("page %q: nginx cannot write $ in a header value; written %%24, which a browser may not match with the page's own reference", r.page))
				break
			}
		}
		// $ would start a variable; the URL is equivalent escaped.
		value := strings.ReplaceAll(strings.Join(r.links, ", "), "$", "%24")
		for _, u := range r.urls {
			entries = append(entries, entry{u, value})
			byLower[strings.ToLower(u)]++
		}
	}
	longest := 0
	for _, e := range entries {
		longest = max(longest, len(e.key))
	}
	// Only where the defaults (64, 2048) fail: nginx refuses a second
	// map_hash_bucket_size or map_hash_max_size at http level.
	if bucket, size := nginxBucket(longest), 2*len(entries); bucket > 64 || len(entries) > 2048 {
		b.WriteString("\n# The map needs more than nginx's default hash sizes. If your http block sets\n")
		b.WriteString("# these already (nginx refuses a second), keep the larger and delete these.\n")
		if bucket > 64 {
			fmt.Fprintf(b, "map_hash_bucket_size %d;\n", bucket)
		}
		if len(entries) > 2048 {
			fmt.Fprintf(b, "map_hash_max_size %d;\n", size)
		}
	}
	b.WriteString("\nmap $uri $herald_link {\n    default \"\";\n")
	for _, e := range entries {
		key := e.key
		if byLower[strings.ToLower(key)] > 1 {
			key = "~^" + regexp.QuoteMeta(key) + "$"
		}
		fmt.Fprintf(b, "    %s %s;\n", nginxQuote(key), nginxQuote(e.value))
	}
	b.WriteString("}\n")
	return warnings, nil
}

// nginxBucket returns a map_hash_bucket_size that holds a key of n bytes:
// nginx stores a pointer, a length and the key, aligned to a pointer, and
// ends a bucket with a pointer (ngx_hash.c, NGX_HASH_ELT_SIZE); a power of
// two of at least the default, 64.
func nginxBucket(n int) int {
	need := (8+2+n+7)/8*8 + 8
	size := 64
	for size < need {
		size *= 2
	}
	return size
}

// nginxQuote returns s as a double-quoted nginx string: \ and " are the only
// characters nginx unescapes there.
func nginxQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
