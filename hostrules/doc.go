// Package hostrules reads the _redirects and _headers files that Netlify and
// Cloudflare Pages take from the top of a site, so that herald serves the
// site as its host will.
//
// _redirects: one rule a line, "FROM [QUERY...] TO [STATUS[!]] [CONDITION...]",
// # starting a comment. FROM is a path, or an absolute URL naming the host it
// applies to; it may hold one splat (*) and :placeholders, each matching one
// path segment or a part of one. TO is a path or a URL in which :splat and the
// placeholders are replaced. STATUS is 301 (the default, as on Netlify;
// Cloudflare's default is 302), 302, 303, 307, 308, or 200, 404 or 410, which
// serve TO's file with that status in place of the request's (a rewrite). The
// first rule that matches wins, and a rule does not apply where the site has
// a file at the path unless its status ends with ! (forced). QUERY fields
// key=:name and key=value ask for a query parameter, capturing its value or
// matching it exactly. A rewrite to another origin (a proxy) and the
// conditions Netlify and Cloudflare read after the status (Country=,
// Language=, Role=, Cookie=) are reported as unsupported and the rule left
// out. A FROM path matches with or without a trailing slash (Netlify
// normalizes it before its rules apply).
//
// _headers: blocks of an unindented path pattern (the same splat and
// placeholders; no trailing slash normalization) and indented "Name: value"
// lines, or "! Name" to detach a header (Cloudflare). A request gets the
// headers of every block whose pattern matches its path, in the order of the
// file; a header set by several is sent with their values joined by ", ",
// as Cloudflare documents; :splat and placeholders are replaced in values.
//
// Every line that cannot be used is reported as a Problem with its file and
// line, and the rest of the file applies.
package hostrules

import "fmt"

// The names of the files, at the top of a site.
const (
	RedirectsFile = "_redirects"
	HeadersFile   = "_headers"
)

// Limits on what one file may hold. A larger file is read up to MaxBytes
// and a rule past MaxRules is left out, each with a Problem. Rules without
// a splat or placeholder are found through a map; the others are tried one
// by one on every request, so they have a lower bound of their own
// (Cloudflare's are 2,000 static and 100 dynamic redirects and 100 header
// rules; Netlify states none).
const (
	MaxBytes   = 1 << 20
	MaxRules   = 10000
	MaxDynamic = 1000
	MaxLine    = 4096 // bytes of one line
)

// MaxProblems is how many problems of one file are reported one by one; the
// rest are counted in a last one.
const MaxProblems = 100

// Problem is a line of a file that was left out, and why.
type Problem struct {
	File   string
	Line   int // 0: the whole file
	Reason string
}

func (p Problem) Error() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// lines splits data into lines numbered from 1, reporting those longer
// than MaxLine (which are skipped) and a file cut at MaxBytes.
func lines(data []byte, rep *report) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		cut := len(data) > MaxBytes
		if cut {
			data = data[:MaxBytes]
		}
		n := 0
		for len(data) > 0 {
			n++
			line := data
			rest := []byte(nil)
			for i, c := range data {
				if c == '\n' {
					line, rest = data[:i], data[i+1:]
					break
				}
			}
			if rest == nil && cut {
				break // the line the cut falls in
			}
			data = rest
			if len(line) > MaxLine {
				rep.add(n, "line longer than %d bytes", MaxLine)
				continue
			}
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if !yield(n, string(line)) {
				return
			}
		}
		if cut {
			rep.add(0, "larger than %d bytes: the lines after line %d are left out", MaxBytes, n-1)
		}
	}
}

// report collects the problems of one file, at most MaxProblems of them.
type report struct {
	file     string
	problems []Problem
	more     int
}

func (r *report) add(line int, format string, args ...any) {
	if len(r.problems) == MaxProblems {
		r.more++
		return
	}
	r.problems = append(r.problems, Problem{r.file, line, fmt.Sprintf(format, args...)})
}

func (r *report) list() []Problem {
	if r.more > 0 {
		return append(r.problems, Problem{r.file, 0, fmt.Sprintf("%d more lines left out", r.more)})
	}
	return r.problems
}
