package serve

import (
	"io"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"

	"herald/hostrules"
)

// The site's _redirects and _headers (see package hostrules) are read
// again whenever a manifest is put in service, so that they change with
// it: the watcher reports a change to either file as a change of the site.
// The files themselves are never served (manifest.Hidden).

// rules are the host rules of one state.
type rules struct {
	redirects *hostrules.Redirects // nil: no file, or no rule
	headers   *hostrules.Headers
}

// loadRules reads the rule files of fsys, logging the problems of a file
// whose bytes differ from those read last time (h.mu held).
func (h *Handler) loadRules() rules {
	var rs rules
	if data := readRuleFile(h.fsys, hostrules.RedirectsFile); data != nil {
		r, problems := hostrules.ParseRedirects(data)
		h.noteRuleProblems(0, data, problems)
		if r.Len() > 0 {
			rs.redirects = r
		}
	} else {
		h.ruleData[0] = ""
	}
	if data := readRuleFile(h.fsys, hostrules.HeadersFile); data != nil {
		r, problems := hostrules.ParseHeaders(data)
		h.noteRuleProblems(1, data, problems)
		if r.Len() > 0 {
			rs.headers = r
		}
	} else {
		h.ruleData[1] = ""
	}
	return rs
}

func (h *Handler) noteRuleProblems(i int, data []byte, problems []hostrules.Problem) {
	if string(data) == h.ruleData[i] {
		return
	}
	h.ruleData[i] = string(data)
	for _, p := range problems {
		h.logger.Warn("rule left out: " + p.Error())
	}
}

// readRuleFile reads a rule file at the top of the site, at most one byte
// more than the parsers read (so that they can say it was cut); nil when
// there is none.
func readRuleFile(fsys fs.FS, name string) []byte {
	if fsys == nil {
		return nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, hostrules.MaxBytes+1))
	if err != nil {
		return nil
	}
	return data
}

// requestHost is the request's host in lower case, without its port.
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// headerWriter adds the fields of the _headers rules matching a request to
// its response, as the hosts do: when the status is written. A field
// replaces the one herald would send, but Link and Vary are added to:
// the rules' Link values go first, then herald's preloads (also in a 103
// Early Hints response, whose Link the rules' values start too). A detached
// field is removed from the final response, herald's own included.
type headerWriter struct {
	http.ResponseWriter
	set    []hostrules.Field
	detach []string
	done   bool
}

func (w *headerWriter) apply(code int) {
	hdr := w.ResponseWriter.Header()
	if code < 200 {
		for _, f := range w.set {
			if f.Name == "Link" {
				hdr["Link"] = append([]string{f.Value}, hdr["Link"]...)
			}
		}
		return
	}
	w.done = true
	for _, f := range w.set {
		switch f.Name {
		case "Link":
			hdr["Link"] = append([]string{f.Value}, hdr["Link"]...)
		case "Vary":
			hdr["Vary"] = append(slices.Clip(hdr["Vary"]), f.Value)
		default:
			hdr[f.Name] = []string{f.Value}
		}
	}
	for _, name := range w.detach {
		delete(hdr, name)
	}
}

func (w *headerWriter) WriteHeader(code int) {
	if !w.done {
		w.apply(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.apply(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *headerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *headerWriter) Push(target string, opts *http.PushOptions) error {
	if p, ok := w.ResponseWriter.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

func (w *headerWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }
