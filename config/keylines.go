package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// keyLines maps the keys and tables of a TOML file to their lines, with
// the [[site]] tables numbered: "site[1].push.mode". It exists because
// BurntSushi/toml reports positions of syntax errors only: the positions of
// keys it decoded are private (its issue #462), and a mistake in a value
// must still name its line. It reads the usual layout (one key per line,
// tables and arrays of tables by header); a key it cannot place gets the
// line of its table.
//
// It is built once, in one pass over the lines, so that finding the line of
// each of many keys costs no more than reading the file.
type keyLines struct {
	at   map[string]int
	same map[string][]string // "site.push.mode": "site[0].push.mode", "site[1].push.mode", in file order
}

var keyLine = regexp.MustCompile(`^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=`)

func indexKeys(text string) keyLines {
	k := keyLines{at: map[string]int{}, same: map[string][]string{}}
	counts := map[string]int{} // arrays of tables: how many so far
	table := ""
	for n, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "[["):
			name := dotted(strings.TrimSuffix(strings.TrimSpace(strings.Trim(cutComment(t), "[] \t")), "]"))
			parent := k.resolve(name, counts)
			table = fmt.Sprintf("%s[%d]", parent, counts[name])
			counts[name]++
			k.add(table, n+1)
		case strings.HasPrefix(t, "["):
			table = k.resolve(dotted(strings.Trim(cutComment(t), "[] \t")), counts)
			k.add(table, n+1)
		default:
			if m := keyLine.FindStringSubmatch(line); m != nil {
				key := dotted(m[1])
				if table != "" {
					key = table + "." + key
				}
				k.add(key, n+1)
			}
		}
	}
	return k
}

// resolve numbers the arrays of tables inside a dotted table name: with
// one [[site]] so far, "site.tls" is "site[0].tls".
func (k *keyLines) resolve(name string, counts map[string]int) string {
	parts := strings.Split(name, ".")
	out := make([]string, 0, len(parts))
	for i := range parts {
		prefix := strings.Join(parts[:i+1], ".")
		part := parts[i]
		if c := counts[prefix]; c > 0 && i < len(parts)-1 {
			part = fmt.Sprintf("%s[%d]", part, c-1)
		}
		out = append(out, part)
	}
	return strings.Join(out, ".")
}

func (k *keyLines) add(key string, line int) {
	if _, ok := k.at[key]; !ok {
		k.at[key] = line
		plain := unindex(key)
		k.same[plain] = append(k.same[plain], key)
	}
}

// line returns the line of key, or of the nearest table holding it.
func (k *keyLines) line(key string) int {
	for key != "" {
		if n, ok := k.at[key]; ok {
			return n
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			i = strings.LastIndexByte(key, '[') // "site[0]" of an inline list: "site"
		}
		if i <= 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func cutComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 && !strings.ContainsAny(s[:i], `"'`) {
		return s[:i]
	}
	return s
}

// dotted normalizes a TOML key: unquoted parts, no spaces around dots.
func dotted(key string) string {
	var parts []string
	for _, p := range splitKey(key) {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') {
			if u, err := strconv.Unquote(`"` + p[1:len(p)-1] + `"`); err == nil && p[0] == '"' {
				p = u
			} else {
				p = p[1 : len(p)-1]
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ".")
}

func splitKey(key string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, key[start:i])
			start = i + 1
		}
	}
	return append(parts, key[start:])
}

var indexes = regexp.MustCompile(`\[\d+\]`)

// unindex turns "site[1].push.mode" into "site.push.mode".
func unindex(key string) string { return indexes.ReplaceAllString(key, "") }
