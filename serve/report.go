package serve

import (
	"io"
	"io/fs"
	"slices"
	"strings"

	"herald/compress"
	"herald/manifest"
)

// The report of what each page gets: per page, its critical assets and
// preloads, why the manifest lists each, their sizes as stored and as
// compressed, and the channels herald sends them through. Handler serves it
// at ReportPath while developing (report_http.go), with what a browser did
// with them (report_beacon.go); herald show prints the same table from the
// manifest alone.

// Channel names, in the order of a report's Channels.
const (
	ChannelPush    = "push"    // HTTP/2 server push, to clients that accept it
	ChannelHint    = "103"     // a Link value of the 103 Early Hints (HTTP/2 and later)
	ChannelPreload = "link"    // a Link: rel=preload value of the page's response
	ChannelAfter   = "after"   // a preload of the page, hinted after the critical assets, never pushed
	ChannelNone    = "none"    // past the bound of Link values: not sent at all
	sizeUnknown    = int64(-1) // no encoded form: the file is sent as it is
)

// PageReport is what one page gets from herald.
type PageReport struct {
	Page   string        `json:"page"`
	Assets []AssetReport `json:"assets"`
	// Bytes, Br and Gzip add up the assets (Br and Gzip count the file
	// itself where it has no encoded form).
	Bytes int64 `json:"bytes"`
	Br    int64 `json:"br"`
	Gzip  int64 `json:"gzip"`
	// What the manifest leaves to the browser, or could not list.
	Deferred []string           `json:"deferred,omitempty"`
	External []string           `json:"external,omitempty"`
	Missing  []manifest.Missing `json:"missing,omitempty"`

	// Served is the last request of the page, and Browser what browsers
	// reported of the last loads (only at ReportPath, never in herald show).
	Served  *Delivery      `json:"served,omitempty"`
	Browser *BrowserReport `json:"browser,omitempty"`
}

// AssetReport is one asset of a page's report.
type AssetReport struct {
	Path string       `json:"path"`
	As   string       `json:"as"`
	Why  manifest.Why `json:"why"`
	Size int64        `json:"size"`
	// Br and Gzip are the sizes of the forms sent for those codings, or -1
	// when the file goes out as it is (not a text type, or compression off
	// or not worth it).
	Br   int64 `json:"br"`
	Gzip int64 `json:"gzip"`
	// Channels are those the asset is sent through, with the options in use.
	Channels []string `json:"channels"`

	// Browser side (ReportPath only), from the latest load reported:
	// Verdict is VerdictEarlyHints, VerdictFetched, VerdictUnused or
	// VerdictNotFetched; EarlyHints counts the loads kept (BrowserReport.Kept)
	// that took the asset through the 103.
	Fetched    *Fetch `json:"fetched,omitempty"`
	Verdict    string `json:"verdict,omitempty"`
	EarlyHints int    `json:"early_hints,omitempty"`
}

// Verdicts of a browser's load on an asset.
const (
	VerdictEarlyHints = "early-hints" // fetched through the 103, and used
	VerdictFetched    = "fetched"     // fetched otherwise (Link header, the parser, CSS), and used
	VerdictUnused     = "unused"      // fetched, and the document does not use it
	VerdictNotFetched = "not-fetched" // hinted or not, the browser did not fetch it
)

// BrowserReport sums up what browsers reported of a page's loads.
type BrowserReport struct {
	Loads    int    `json:"loads"`    // loads reported since the server started
	Kept     int    `json:"kept"`     // the last ones, kept
	Protocol string `json:"protocol"` // of the latest load's navigation
	// EarlyHints, Unused and NotFetched count the assets of the latest load
	// by their verdict.
	EarlyHints int `json:"early_hints"`
	Unused     int `json:"unused"`
	NotFetched int `json:"not_fetched"`
	// Missed are the render-blocking fetches of the latest load that
	// herald did not hint.
	Missed []Fetch `json:"missed"`
}

// addBrowser adds what browsers reported (rec's beacons) to r.
func (r *PageReport) addBrowser(rec pageRecord) {
	if rec.served != nil {
		d := *rec.served
		r.Served = &d
	}
	if len(rec.beacons) == 0 {
		return
	}
	latest := rec.beacons[len(rec.beacons)-1]
	br := &BrowserReport{Loads: rec.loads, Kept: len(rec.beacons), Protocol: latest.Protocol, Missed: []Fetch{}}
	fetched := map[string]*Fetch{}
	for i := range latest.Resources {
		f := &latest.Resources[i]
		if fetched[f.Name] == nil {
			fetched[f.Name] = f
		}
	}
	used := map[string]bool{}
	for _, p := range latest.Used {
		used[p] = true
	}
	hinted := map[string]bool{}
	for i := range r.Assets {
		a := &r.Assets[i]
		if slices.Contains(a.Channels, ChannelHint) || slices.Contains(a.Channels, ChannelPreload) {
			hinted[a.Path] = true
		}
		for _, b := range rec.beacons {
			for _, f := range b.Resources {
				if f.Name == a.Path && f.Initiator == "early-hints" {
					a.EarlyHints++
					break
				}
			}
		}
		f := fetched[a.Path]
		switch {
		case f == nil:
			a.Verdict = VerdictNotFetched
			br.NotFetched++
		case judged(a.As) && !used[a.Path]:
			a.Fetched, a.Verdict = f, VerdictUnused
			br.Unused++
		case f.Initiator == "early-hints":
			a.Fetched, a.Verdict = f, VerdictEarlyHints
			br.EarlyHints++
		default:
			a.Fetched, a.Verdict = f, VerdictFetched
		}
	}
	for _, f := range latest.Resources {
		if f.Blocking == "blocking" && !hinted[f.Name] {
			br.Missed = append(br.Missed, f)
		}
	}
	r.Browser = br
}

// judged reports whether the page script can tell that the document uses
// an asset of this destination (see report_script.go); a preload "as=fetch"
// is used by a script's fetch, which leaves no trace.
func judged(as string) bool {
	switch as {
	case "style", "script", "font", "image":
		return true
	}
	return false
}

// SizeFunc returns the size of a file's form in coding c, or -1 when the
// file is sent as it is.
type SizeFunc func(a manifest.Asset, c compress.Coding) int64

// NewPageReport reports page (a key of m.Pages) as a handler with opts
// delivers it. ok is false when m has no such page.
func NewPageReport(m *manifest.Manifest, page string, opts Options, size SizeFunc) (r *PageReport, ok bool) {
	pg := m.Pages[page]
	if pg == nil {
		return nil, false
	}
	opts = normalized(opts)
	plan := newPagePlan(pg, &opts)
	pushed := pushSelection(plan, &opts)
	r = &PageReport{Page: page, External: pg.External, Missing: pg.Missing, Assets: []AssetReport{}}
	for _, a := range pg.Deferred {
		r.Deferred = append(r.Deferred, a.Path)
	}
	i := 0 // index in plan.assets, which holds the same-origin assets only
	for _, a := range slices.Concat(pg.Assets, pg.Preload) {
		if !sameOrigin(a.Path) {
			continue
		}
		ar := AssetReport{Path: a.Path, As: a.As, Why: a.Why, Size: a.Size,
			Br: size(a, compress.Brotli), Gzip: size(a, compress.Gzip)}
		pa := &plan.assets[i]
		if pushed[i] {
			ar.Channels = append(ar.Channels, ChannelPush)
		}
		if i < len(plan.links) {
			if opts.Hints {
				ar.Channels = append(ar.Channels, ChannelHint)
			}
			if opts.Preload {
				ar.Channels = append(ar.Channels, ChannelPreload)
			}
			if !pa.push {
				ar.Channels = append(ar.Channels, ChannelAfter)
			}
		}
		if len(ar.Channels) == 0 {
			ar.Channels = []string{ChannelNone}
		}
		r.Assets = append(r.Assets, ar)
		r.Bytes += a.Size
		r.Br += orSize(ar.Br, a.Size)
		r.Gzip += orSize(ar.Gzip, a.Size)
		i++
	}
	return r, true
}

func orSize(encoded, size int64) int64 {
	if encoded < 0 {
		return size
	}
	return encoded
}

// PageOf returns the key in m.Pages of the page a URL path shows: "/",
// "docs/", "/docs/index.html" and "docs/index.html" all name
// "/docs/index.html"; a path served without its ".html" is found too.
func PageOf(m *manifest.Manifest, urlPath string) string {
	if !strings.HasPrefix(urlPath, "/") {
		urlPath = "/" + urlPath
	}
	return pageFile(urlPath, m)
}

// normalized fills in the defaults New applies.
func normalized(opts Options) Options {
	if opts.Push == "" {
		opts.Push = PushAuto
	}
	if opts.LinkMaxCount <= 0 {
		opts.LinkMaxCount = DefaultLinkMaxCount
	}
	if opts.LinkMaxBytes <= 0 {
		opts.LinkMaxBytes = DefaultLinkMaxBytes
	}
	return opts
}

// pushSelection marks the plan's assets that a request of a client that
// has none of them and accepts push gets pushed: the choice Handler.push
// makes, within the page's budget.
func pushSelection(plan *pagePlan, opts *Options) []bool {
	pushed := make([]bool, len(plan.assets))
	if opts.Push != PushAuto {
		return pushed
	}
	var bytes int64
	count := 0
	for _, i := range plan.order {
		a := &plan.assets[i]
		if count >= opts.PushMaxCount {
			break
		}
		if bytes+a.size > opts.PushMaxBytes {
			continue
		}
		pushed[i] = true
		count++
		bytes += a.size
	}
	return pushed
}

// EncodedSizes returns a SizeFunc that compresses the files of fsys as
// herald would send them (herald show): nothing for a type that does not
// gain from compression, and the file itself when the form is not worth it.
// A site's own precompressed siblings (a.css.br) are its choice of codings,
// as for the handler: herald then makes no form of its own. compressOn is
// Options.Compress.
func EncodedSizes(fsys fs.FS, m *manifest.Manifest, compressOn bool) SizeFunc {
	return func(a manifest.Asset, c compress.Coding) int64 {
		p := assetFile(a.Path)
		if f, ok := m.Files[p+c.Ext()]; ok {
			return f.Size
		}
		for _, other := range compress.Preferred {
			if _, ok := m.Files[p+other.Ext()]; ok {
				return sizeUnknown
			}
		}
		f, ok := m.Files[p]
		if !ok || !compressOn || !compress.Compressible(orType(f.Type, p)) {
			return sizeUnknown
		}
		data, err := readAll(fsys, strings.TrimPrefix(p, "/"))
		if err != nil {
			return sizeUnknown
		}
		enc := compress.Encode(c, data)
		if !compress.Worth(len(enc), len(data)) {
			return sizeUnknown
		}
		return int64(len(enc))
	}
}

func orType(t, p string) string {
	if t == "" {
		return manifest.ContentType(p)
	}
	return t
}

func readAll(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// encodedSize is the size of the form of e that a client accepting coding
// c gets: a precompressed sibling, the form herald makes (compressed now
// when not yet made; for brotli, the one at best quality once the warmer
// has made it), or -1 for the file itself.
func (h *Handler) encodedSize(s *state, e *fileEntry, c compress.Coding) int64 {
	for i := range e.variants {
		if e.variants[i].coding == c.String() {
			return e.variants[i].file.size
		}
	}
	if len(e.variants) > 0 || e.codedEtag[c] == nil {
		return sizeUnknown
	}
	if c == compress.Brotli { // the form at best quality, once made, goes instead
		if data := h.compressed.Best(e.hash); data != nil {
			return int64(len(data))
		}
	}
	if data := h.encoded(s, e, c, true); data != nil {
		return int64(len(data))
	}
	return sizeUnknown
}

// pageReport is the report of page with the handler's options and state.
func (h *Handler) pageReport(s *state, page string) (*PageReport, bool) {
	return NewPageReport(s.m, page, h.opts, func(a manifest.Asset, c compress.Coding) int64 {
		e := s.files[assetFile(a.Path)]
		if e == nil {
			return sizeUnknown
		}
		return h.encodedSize(s, e, c)
	})
}
