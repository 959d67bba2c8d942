package export

import (
	"bytes"
	"fmt"
	"strings"

	"herald/manifest"
)

// A _headers export is one block between these comment lines, so that it can
// live in the file the site already has: MergeHeaders replaces the block
// and keeps every other byte.
const (
	beginMarker = "# herald:begin"
	endMarker   = "# herald:end"
)

// beginHeaders opens the block of a _headers export.
func beginHeaders(b *strings.Builder, format string, m *manifest.Manifest, notes ...string) {
	fmt.Fprintf(b, "%s manifest %s\n", beginMarker, m.Hash)
	header(b, "#", format, m, notes...)
	comment(b, "#",
		"herald export -o _headers replaces what lies between herald:begin and",
		"herald:end and keeps your own rules around it.")
}

// endHeaders closes the block of a _headers export.
func endHeaders(b *strings.Builder) {
	b.WriteString("\n" + endMarker + "\n")
}

// MergeHeaders puts block, a netlify or cloudflare export, into existing, a
// _headers file the site may already have: in place of the herald block it
// holds, or after its last line. Every byte of existing outside the old
// block is kept. The warnings name the site's own rules that set or detach
// Link too, or repeat one of herald's paths, which the host combines with
// herald's rules in ways that may lose hints; for cloudflare, a file over
// the host's 100 rules is an *ErrTooManyRules.
func MergeHeaders(existing, block []byte, format string) ([]byte, []string, error) {
	start, end, err := findBlock(existing)
	if err != nil {
		return nil, nil, err
	}
	var out []byte
	switch {
	case start < 0:
		out = append(out, existing...)
		if len(existing) > 0 {
			if existing[len(existing)-1] != '\n' {
				out = append(out, '\n')
			}
			out = append(out, '\n')
		}
		out = append(out, block...)
	default:
		out = append(out, existing[:start]...)
		out = append(out, block...)
		out = append(out, existing[end:]...)
	}
	own := existing
	if start >= 0 {
		own = append(append([]byte{}, existing[:start]...), existing[end:]...)
	}
	warnings := headersConflicts(own, block, format)
	if format == "cloudflare" {
		if n := countRules(own) + countRules(block); n > cloudflareMaxRules {
			return nil, nil, &ErrTooManyRules{Need: n, Max: cloudflareMaxRules}
		}
	}
	return out, warnings, nil
}

// findBlock returns the byte range of the herald block in a _headers file,
// its end line included; -1, -1 when there is none. A begin without an end,
// or more than one block, is an error: the file was edited by hand, and a
// guess could eat the site's own rules.
func findBlock(data []byte) (start, end int, err error) {
	start, end = -1, -1
	begins, ends := 0, 0
	for off := 0; off < len(data); {
		next := bytes.IndexByte(data[off:], '\n') + off + 1
		if next <= off {
			next = len(data)
		}
		line := strings.TrimRight(string(data[off:next]), " \t\r\n")
		switch {
		case strings.HasPrefix(line, beginMarker):
			begins++
			if start < 0 {
				start = off
			}
		case line == endMarker:
			ends++
			if start >= 0 && end < 0 {
				end = next
			}
		}
		off = next
	}
	if begins == 0 && ends == 0 {
		return -1, -1, nil
	}
	if begins != 1 || ends != 1 || end < 0 {
		return -1, -1, fmt.Errorf("export: the _headers file has %d %q and %d %q lines, not one pair in this order: mend it by hand, then export again", begins, beginMarker, ends, endMarker)
	}
	return start, end, nil
}

// headersLine is one significant line of a _headers file, as both hosts
// read it: trimmed, a rule's path when it starts with / or a scheme (the
// Cloudflare parser's test), else a header or a detach of the rule above.
type headersLine struct {
	n       int // 1-based line number
	path    bool
	text    string
	name    string // of a header line, lower case
	detach  bool
	hasRule bool // a header line below some path
}

// scanHeaders reads the significant lines of a _headers file.
func scanHeaders(data []byte) []headersLine {
	var out []headersLine
	inRule := false
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l := headersLine{n: i + 1, text: line}
		switch {
		case strings.HasPrefix(line, "/") || strings.Contains(strings.Fields(line)[0], "://"):
			l.path, inRule = true, true
		case strings.HasPrefix(line, "!"):
			l.detach, l.name = true, strings.ToLower(strings.TrimSpace(line[1:]))
		default:
			name, _, _ := strings.Cut(line, ":")
			l.name = strings.ToLower(strings.TrimSpace(name))
		}
		l.hasRule = inRule
		out = append(out, l)
	}
	return out
}

// countRules counts the rules (path lines) of a _headers file.
func countRules(data []byte) int {
	n := 0
	for _, l := range scanHeaders(data) {
		if l.path {
			n++
		}
	}
	return n
}

// headersConflicts names the site's own rules that meet herald's: one that
// sets or detaches Link, or one with a path herald writes as well.
func headersConflicts(own, block []byte, format string) []string {
	ours := map[string]bool{}
	for _, l := range scanHeaders(block) {
		if l.path {
			ours[l.text] = true
		}
	}
	how := "Netlify documents no way two rules' Link values combine: a page may lose its hints"
	if format == "cloudflare" {
		how = "Cloudflare joins the Link values of all matching rules, and herald's rules that detach Link (! Link) remove those set before them"
	}
	var warnings []string
	path := ""
	for _, l := range scanHeaders(own) {
		switch {
		case l.path:
			path = l.text
			if ours[path] {
				warnings = append(warnings, fmt.Sprintf("_headers line %d: your rule for %s has a path herald writes too; the host may keep only one of them", l.n, path))
			}
		case l.name == "link" && l.hasRule:
			verb := "sets"
			if l.detach {
				verb = "detaches"
			}
			warnings = append(warnings, fmt.Sprintf("_headers line %d: your rule for %s %s Link, as herald's rules do: %s", l.n, path, verb, how))
		}
	}
	return warnings
}
