package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"herald/compress"
	"herald/manifest"
)

// ReportPath is where Options.Report serves the report of what each page
// gets:
//
//	GET  /_herald/                     the pages, those browsers reported first
//	GET  /_herald/page?path=/a/b.html  one page (its URL path as the browser shows it also works)
//	     ...&format=json, ?format=json the same as JSON
//	POST /_herald/beacon               a page's Resource Timing (same origin, application/json)
//
// A site's own files under /_herald/ are not served while the report is on.
// The path is that of the issue that asked for it and of the README; a dot
// folder (as live reload's /.herald/) would never shadow a file, but reads
// as something to hide, and this is a page for people.
const ReportPath = "/_herald/"

const (
	reportPagePath   = ReportPath + "page"
	reportBeaconPath = ReportPath + "beacon"
)

// serveReport serves a request under ReportPath.
func (h *Handler) serveReport(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Nothing but its own inline style: the report loads nothing.
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	if r.URL.Path == reportBeaconPath {
		h.acceptBeacon(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s := h.state.Load()
	asJSON := r.URL.Query().Get("format") == "json"
	switch r.URL.Path {
	case ReportPath:
		idx := h.reportIndex(s)
		if asJSON {
			writeJSON(w, r, idx)
			return
		}
		writeHTML(w, r, "index", idx)
	case reportPagePath:
		page := pageFile(r.URL.Query().Get("path"), s.m)
		rep, ok := h.pageReport(s, page)
		if !ok {
			http.Error(w, "404 the manifest has no such page", http.StatusNotFound)
			return
		}
		if rec, ok := h.report.get(page); ok {
			rep.addBrowser(rec)
		}
		if asJSON {
			writeJSON(w, r, rep)
			return
		}
		writeHTML(w, r, "page", newPageView(rep))
	default:
		http.NotFound(w, r)
	}
}

// acceptBeacon stores a beacon: POSTed by a page of this server (its Origin
// is this server's, and a cross-site form cannot send application/json),
// for a page the manifest knows.
func (h *Handler) acceptBeacon(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !sameOriginRequest(r) {
		http.Error(w, "403 beacons are taken from this server's pages only", http.StatusForbidden)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(w, "415 send application/json", http.StatusUnsupportedMediaType)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, beaconMaxBytes))
	if err != nil {
		http.Error(w, "413 beacon too large", http.StatusRequestEntityTooLarge)
		return
	}
	b, err := parseBeacon(data)
	if err != nil {
		http.Error(w, "400 not a beacon", http.StatusBadRequest)
		return
	}
	m := h.state.Load().m
	page := pageFile(b.Page, m)
	if m.Pages[page] == nil {
		http.Error(w, "404 the manifest has no such page", http.StatusNotFound)
		return
	}
	h.report.addBeacon(page, b)
	w.WriteHeader(http.StatusNoContent)
}

// sameOriginRequest reports whether r comes from a page of this server:
// Sec-Fetch-Site says so where the browser sends it, and the Origin must
// be this server's.
func sameOriginRequest(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return r.Host != "" && r.Header.Get("Origin") == scheme+r.Host
}

// IndexRow is one page of the report's index.
type IndexRow struct {
	Page   string `json:"page"`
	Assets int    `json:"assets"`
	Bytes  int64  `json:"bytes"`
	// Protocol is that of the last request herald served (at ReportPath).
	Protocol string `json:"protocol,omitempty"`
	// Browser sums up what browsers reported (at ReportPath), if any.
	Browser *LoadSummary `json:"browser,omitempty"`
}

// LoadSummary is a page's line of what browsers reported: the loads
// reported, and of the latest the assets taken through the 103, unused,
// and the render-blocking fetches not hinted (see BrowserReport).
type LoadSummary struct {
	Loads      int `json:"loads"`
	EarlyHints int `json:"early_hints"`
	Unused     int `json:"unused"`
	Missed     int `json:"missed"`
}

// Index is the report's first page.
type Index struct {
	Pages    []IndexRow `json:"pages"`
	MaxBytes int64      `json:"-"`
	Options  string     `json:"-"`
}

// reportIndex lists every page of the manifest: those with a record first
// (most recent first), then the others by path.
func (h *Handler) reportIndex(s *state) Index {
	idx := Index{Pages: make([]IndexRow, 0, len(s.m.Pages)), Options: h.channelsLine()}
	seen := map[string]bool{}
	for _, p := range h.report.recent() {
		if s.m.Pages[p] == nil {
			continue // gone since
		}
		seen[p] = true
		ir := indexRow(s.m, p)
		if rec, ok := h.report.get(p); ok {
			pr, _ := NewPageReport(s.m, p, h.opts, func(manifest.Asset, compress.Coding) int64 { return sizeUnknown })
			pr.addBrowser(rec)
			if pr.Served != nil {
				ir.Protocol = pr.Served.Protocol
			}
			if b := pr.Browser; b != nil {
				ir.Browser = &LoadSummary{b.Loads, b.EarlyHints, b.Unused, len(b.Missed)}
			}
		}
		idx.Pages = append(idx.Pages, ir)
	}
	for _, ir := range PageRows(s.m) {
		if !seen[ir.Page] {
			idx.Pages = append(idx.Pages, ir)
		}
	}
	for _, ir := range idx.Pages {
		idx.MaxBytes = max(idx.MaxBytes, ir.Bytes)
	}
	return idx
}

// PageRows lists the pages of m by path, each with the number and bytes of
// the assets it gets.
func PageRows(m *manifest.Manifest) []IndexRow {
	rows := make([]IndexRow, 0, len(m.Pages))
	for p, pg := range m.Pages {
		if pg != nil {
			rows = append(rows, indexRow(m, p))
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Page < rows[j].Page })
	return rows
}

func indexRow(m *manifest.Manifest, p string) IndexRow {
	pg := m.Pages[p]
	ir := IndexRow{Page: p}
	for _, a := range slices.Concat(pg.Assets, pg.Preload) {
		if sameOrigin(a.Path) {
			ir.Assets++
			ir.Bytes += a.Size
		}
	}
	return ir
}

// channelsLine says which channels are on.
func (h *Handler) channelsLine() string {
	var on []string
	if h.opts.Push == PushAuto {
		on = append(on, "HTTP/2 push (to clients that accept it: no current browser does)")
	}
	if h.opts.Hints {
		on = append(on, "103 Early Hints (HTTP/2 and HTTP/3 navigations)")
	}
	if h.opts.Preload {
		on = append(on, "Link: rel=preload on the page")
	}
	if len(on) == 0 {
		return "every channel is off"
	}
	return strings.Join(on, ", ")
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "500 cannot write the report", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	serveContent(w, r, time.Time{}, bytes.NewReader(append(data, '\n')))
}

func writeHTML(w http.ResponseWriter, r *http.Request, name string, v any) {
	var b bytes.Buffer
	if err := reportTemplates.ExecuteTemplate(&b, name, v); err != nil {
		http.Error(w, "500 cannot write the report", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	serveContent(w, r, time.Time{}, bytes.NewReader(b.Bytes()))
}
