package serve

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"herald/hostrules"
)

// What a request path leads to beyond the files themselves: clean URLs,
// the host's redirect and rewrite rules, the single-page app's fallback
// and folder listings, in that order, as Netlify and Cloudflare Pages
// decide (a file, or a clean URL's file, shadows a rule that is not
// forced).

// canonical reports whether p is a path herald serves anything at: no dot
// segments, doubled slashes, backslash or NUL.
func canonical(p string) bool {
	if p == "" || p[0] != '/' || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
}

// cleanURL is the page a clean URL names (/about for /about.html).
func (s *state) cleanURL(p string) *fileEntry {
	if strings.HasSuffix(p, "/") {
		return nil
	}
	return s.routes[p+".html"]
}

// prettyPath is the clean URL of the page at p (/about for /about.html,
// /docs/ for /docs/index.html), when it leads back to the same page.
func (s *state) prettyPath(p string) (string, bool) {
	var pretty string
	switch {
	case path.Base(p) == "index.html":
		pretty = strings.TrimSuffix(p, "index.html")
	case strings.HasSuffix(p, ".html") && len(p) > len("/.html"):
		pretty = strings.TrimSuffix(p, ".html")
		if e, folder := s.lookup(pretty); e != nil || folder {
			return "", false // /about names something else: keep /about.html
		}
	default:
		return "", false
	}
	return pretty, true
}

// redirectTo answers with a redirect to target, a URL-encoded path or URL,
// keeping the request's query when keepQuery.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, code int, keepQuery bool) {
	if q := r.URL.RawQuery; keepQuery && q != "" {
		target += "?" + q
	}
	// http.Redirect writes a body for GET only, and cleans paths that are
	// not absolute; every target here is.
	http.Redirect(w, r, target, code)
}

// spaFallback reports whether a request is a navigation to a path the
// single-page app handles: no extension in its last segment, and HTML
// accepted.
func spaFallback(r *http.Request, p string) bool {
	if strings.Contains(path.Base(p), ".") {
		return false
	}
	for _, a := range r.Header["Accept"] {
		if strings.Contains(a, "text/html") {
			return true
		}
	}
	return false
}

// rewrite serves the file of a 200, 404 or 410 rule at m.Path in place of
// the request's: a page with its own hints and Link. It returns the entry
// for a 200 to be served as usual, or nil when it has answered.
func (h *Handler) rewrite(w http.ResponseWriter, r *http.Request, s *state, m hostrules.Match) *fileEntry {
	var e *fileEntry
	if canonical(m.Path) {
		var folder bool
		if e, folder = s.lookup(m.Path); folder {
			e = s.routes[m.Path+"/"]
		}
		if e == nil && h.opts.CleanURLs {
			e = s.cleanURL(m.Path)
		}
	}
	switch {
	case m.Status == http.StatusOK && e != nil:
		return e
	case m.Status == http.StatusOK || e == nil:
		code := m.Status
		if code == http.StatusOK {
			code = http.StatusNotFound // a rewrite to nothing
			if s.notFound != nil {
				h.serveStatus(w, r, s, s.notFound, code)
				return nil
			}
		}
		w.Header()["Cache-Control"] = noCache
		http.Error(w, strconv.Itoa(code)+" "+strings.ToLower(http.StatusText(code)), code)
	default:
		if !h.serveStatus(w, r, s, e, m.Status) {
			h.notFound(w, r, s)
		}
	}
	return nil
}

// listEntry is one line of a folder listing.
type listEntry struct {
	name string // "a.css", "sub/"
	size int64  // -1 for a folder
}

// listings are the folders of the served files, each with what it holds,
// sorted: built from the manifest's files only, so nothing herald does not
// serve is ever listed, and the file system is never asked.
func listings(files map[string]*fileEntry) map[string][]listEntry {
	seen := map[string]map[string]int64{}
	for p, e := range files {
		for dir, name, size := path.Dir(p), path.Base(p), e.size; ; dir, name, size = path.Dir(dir), path.Base(dir)+"/", -1 {
			d := dir
			if d != "/" {
				d += "/"
			}
			if seen[d] == nil {
				seen[d] = map[string]int64{}
			}
			if _, ok := seen[d][name]; ok {
				break
			}
			seen[d][name] = size
			if dir == "/" {
				break
			}
		}
	}
	out := make(map[string][]listEntry, len(seen))
	for d, names := range seen {
		list := make([]listEntry, 0, len(names))
		for name, size := range names {
			list = append(list, listEntry{name, size})
		}
		slices.SortFunc(list, func(a, b listEntry) int { return strings.Compare(a.name, b.name) })
		out[d] = list
	}
	return out
}

// serveListing answers with the listing of the folder p.
func serveListing(w http.ResponseWriter, r *http.Request, p string, list []listEntry) {
	var b bytes.Buffer
	title := html.EscapeString("Index of " + p)
	fmt.Fprintf(&b, "<!doctype html>\n<meta charset=utf-8>\n<meta name=viewport content=\"width=device-width\">\n<title>%s</title>\n<h1>%s</h1>\n<table>\n<tr><th align=left>Name<th align=right>Size\n", title, title)
	if p != "/" {
		b.WriteString("<tr><td><a href=\"../\">../</a><td>\n")
	}
	for _, e := range list {
		href := url.PathEscape(strings.TrimSuffix(e.name, "/"))
		size := "-"
		if e.size >= 0 {
			href, size = "./"+href, strconv.FormatInt(e.size, 10)
		} else {
			href = "./" + href + "/"
		}
		fmt.Fprintf(&b, "<tr><td><a href=\"%s\">%s</a><td align=right>%s\n", html.EscapeString(href), html.EscapeString(e.name), size)
	}
	b.WriteString("</table>\n")
	hdr := w.Header()
	hdr["Content-Type"] = header("text/html; charset=utf-8")
	hdr["Cache-Control"] = noCache
	serveContent(w, r, time.Time{}, bytes.NewReader(b.Bytes()))
}

// CheckPagePath checks a page named by its URL path, as Options.SPA is.
func CheckPagePath(p string) error {
	if !strings.HasPrefix(p, "/") || !canonical(p) || strings.HasSuffix(p, "/") {
		return fmt.Errorf("%q: give the page's path in the site, starting with /, such as \"/index.html\"", p)
	}
	return nil
}
