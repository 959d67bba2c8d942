package config

import (
	"bytes"
	"fmt"
)

// Bounds on a configuration file, checked before the TOML library reads
// it. The library's time and memory grow with the square of the nesting
// (10,000 nested inline tables, a 40 KB file: 34 s and 5 GB; a dotted key
// of 3,000 parts: 2.6 s and 736 MB) and it recurses once per level (a list
// nested 2,000,000 deep overflowed the stack: a crash, not an error).
// herald's own settings nest 3 deep (site.tls.cert) and fit in a few KB.
// The count of keys and list items bounds the rest: the library's memory
// (40,000 keys, 500 KB: 58 MB a decode) and the checks of lists such as
// listen addresses.
const (
	MaxBytes       = 1 << 20 // largest configuration file read
	maxConfigDepth = 32      // deepest nesting of tables, lists and dotted keys
	maxConfigItems = 10000   // most keys, tables and list items
)

// precheck refuses a file too large or nested too deep for the parser,
// with the line where it goes over. The depth of a value is what it has in
// the decoded document: the parts of its table's name ([[a.b]] is a list
// of tables, one more), of its dotted key, and one per inline table and
// list around it. It reads strings and comments as TOML does, so brackets
// and dots in them do not count, and takes one pass over the bytes; what
// it cannot read (a syntax error) it leaves to the parser to report.
func precheck(file string, data []byte) *Error {
	if len(data) > MaxBytes {
		return &Error{File: file, Line: bytes.Count(data[:MaxBytes], []byte("\n")) + 1,
			Msg: fmt.Sprintf("the file is %d bytes, and a configuration file is at most 1 MiB: is it the right file?", len(data))}
	}
	s := scanner{data: data, line: 1}
	switch {
	case !s.scan():
		return &Error{File: file, Line: s.line,
			Msg: fmt.Sprintf("tables, lists and dotted keys nest more than %d deep here (herald's settings nest 3 deep, as site.tls.cert): is it the right file?", maxConfigDepth)}
	case s.items > maxConfigItems:
		return &Error{File: file, Line: s.line,
			Msg: fmt.Sprintf("more than %d keys, tables and list items by here: is it the right file?", maxConfigItems)}
	}
	return nil
}

// scanner walks a TOML file for precheck.
type scanner struct {
	data  []byte
	i     int
	line  int
	items int // keys, tables and list items so far
}

// frame is an inline table ('{') or a list ('[') being read, with the
// depth of what it holds: keys of an inline table add their parts to it;
// the items of a list are at it.
type frame struct {
	kind  byte
	depth int
}

// scan reports whether no value nests deeper than maxConfigDepth; when
// one does, or there are more than maxConfigItems, s.line is its line.
func (s *scanner) scan() bool {
	var stack []frame
	table := 0        // depth of the current [table]
	value := 0        // depth of the value after the last key
	expectKey := true // at the start of a statement, or of a key in an inline table
	for s.i < len(s.data) && s.items <= maxConfigItems {
		c := s.data[s.i]
		switch {
		case c == '\n':
			s.line++
			s.i++
			if len(stack) == 0 {
				expectKey = true
			}
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '#':
			for s.i < len(s.data) && s.data[s.i] != '\n' {
				s.i++
			}
		case expectKey && len(stack) == 0 && c == '[': // [table] or [[list of tables]]
			s.i++
			table = 0
			if s.i < len(s.data) && s.data[s.i] == '[' {
				s.i++
				table = 1
			}
			table += s.key()
			s.items++
			if table > maxConfigDepth {
				return false
			}
			expectKey = false // the rest of the line is "]" or "]]", then a comment
			value = table
		case expectKey && (isBare(c) || c == '"' || c == '\''):
			base := table
			if n := len(stack); n > 0 {
				base = stack[n-1].depth
			}
			value = base + s.key()
			s.items++
			if value > maxConfigDepth {
				return false
			}
			expectKey = false
		case c == '"' || c == '\'':
			s.str()
		case c == '{' || c == '[':
			d := value
			if n := len(stack); n > 0 && stack[n-1].kind == '[' {
				d = stack[n-1].depth
			}
			if c == '[' {
				d++
			}
			if d > maxConfigDepth {
				return false
			}
			stack = append(stack, frame{c, d})
			expectKey = c == '{'
			if c == '[' {
				s.items++ // its first item (or none)
			}
			s.i++
		case c == '}' || c == ']':
			if n := len(stack); n > 0 {
				stack = stack[:n-1]
			}
			expectKey = false
			s.i++
		case c == ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].kind == '{'
			if len(stack) > 0 && !expectKey {
				s.items++ // the next item of a list
			}
			s.i++
		default:
			expectKey = false
			s.i++
		}
	}
	return true
}

// key reads a key (a.b."c.d") and returns how many parts it has.
func (s *scanner) key() int {
	parts := 0
	for s.i < len(s.data) {
		switch c := s.data[s.i]; {
		case c == ' ' || c == '\t':
			s.i++
		case c == '"' || c == '\'':
			s.str()
			parts++
		case isBare(c):
			for s.i < len(s.data) && isBare(s.data[s.i]) {
				s.i++
			}
			parts++
		case c == '.':
			s.i++
		default: // "=", "]", or a mistake the parser reports
			return parts
		}
	}
	return parts
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// str skips a string starting at s.i: basic ("...", with \ escapes) or
// literal ('...'), on one line or in three quotes across lines.
func (s *scanner) str() {
	q := s.data[s.i]
	multi := bytes.HasPrefix(s.data[s.i:], []byte{q, q, q})
	if multi {
		s.i += 3
	} else {
		s.i++
	}
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '\\' && q == '"':
			s.i++ // the escaped byte is skipped below (a \ before a newline too)
			if s.i < len(s.data) && s.data[s.i] == '\n' {
				s.line++
			}
		case c == '\n':
			if !multi {
				return // unterminated: the parser says so
			}
			s.line++
		case c == q && (!multi || bytes.HasPrefix(s.data[s.i:], []byte{q, q, q})):
			if multi {
				s.i += 3
				for s.i < len(s.data) && s.data[s.i] == q { // up to two more quotes belong to the string
					s.i++
				}
			} else {
				s.i++
			}
			return
		}
		s.i++
	}
}
