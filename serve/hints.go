package serve

import (
	"net/http"
	"strings"
	"sync"

	"herald/manifest"
)

// pagePlan is what a page's requests deliver, worked out once per manifest.
type pagePlan struct {
	// assets are the page's same-origin critical assets, then its
	// preloads that block nothing (hinted after them, never pushed), in
	// manifest order.
	assets []planAsset
	// links holds the Link values of the assets, in manifest order, as
	// many as the bound allows; it is the Link header of a client that has
	// none of them.
	links []string
	opts  *Options // the bound
	// order lists the assets to push: stylesheets first, each group in
	// manifest order. The budget is applied per request, to what the
	// client lacks.
	order []int
}

type planAsset struct {
	path   string // request target, escaped, with its query
	link   string
	size   int64
	style  bool
	push   bool     // a critical asset, not a preload
	key    uint16   // cache digest number of (path, hash)
	accept []string // the Accept header a browser sends for this kind of asset
}

// newPagePlan prepares the delivery of a page's assets. Assets that are not
// same-origin paths are left out.
func newPagePlan(p *manifest.Page, opts *Options) *pagePlan {
	n := len(p.Assets) + len(p.Preload)
	plan := &pagePlan{assets: make([]planAsset, 0, n), order: make([]int, 0, len(p.Assets))}
	for i := range n {
		a, push := (*manifest.Asset)(nil), i < len(p.Assets)
		if push {
			a = &p.Assets[i]
		} else {
			a = &p.Preload[i-len(p.Assets)]
		}
		link, ok := linkValue(*a)
		if !ok {
			continue
		}
		if !push {
			link = a.PreloadLink()
		}
		plan.assets = append(plan.assets, planAsset{path: a.Path, link: link, size: a.Size, push: push,
			style: a.As == "style", key: digestKey(a.Path, a.Hash), accept: acceptFor(a.As)})
	}
	plan.opts = opts
	size := 0
	for i := range plan.assets {
		l := plan.assets[i].link
		if !opts.linkFits(len(plan.links), size, len(l)) {
			break
		}
		plan.links = append(plan.links, l)
		size += len(l)
	}
	for _, style := range []bool{true, false} {
		for i := range plan.assets {
			if plan.assets[i].push && plan.assets[i].style == style {
				plan.order = append(plan.order, i)
			}
		}
	}
	return plan
}

// lazyPlan is a page's plan, made on the page's first request, so that
// putting a new manifest in service costs nothing per page, however large
// the site: after a change to a stylesheet every page uses, a swap made all
// their plans again (530 pages of the Python docs: 2–6 ms).
type lazyPlan struct {
	once sync.Once
	page *manifest.Page
	opts *Options
	plan *pagePlan
}

func (l *lazyPlan) get() *pagePlan {
	l.once.Do(func() { l.plan = newPagePlan(l.page, l.opts) })
	return l.plan
}

// sameOrigin reports whether a request target is a path on this server.
func sameOrigin(target string) bool {
	return strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//")
}

// linkValue is the Link header value that preloads a, the same value
// herald export writes for other servers; ok is false for another origin.
func linkValue(a manifest.Asset) (string, bool) {
	if !sameOrigin(a.Path) {
		return "", false
	}
	return a.Link(), true
}

// acceptFor is the Accept header Chromium sends for a request destination,
// so that a pushed request looks like the one the browser would make.
func acceptFor(as string) []string {
	switch as {
	case "style":
		return header("text/css,*/*;q=0.1")
	case "image":
		return header("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")
	}
	return header("*/*")
}

// isNavigation reports whether a request loads a document into a browsing
// context, the only requests for which early hints are sent. Fetch metadata
// decides when the client sends it; otherwise an Accept of text/html does.
func isNavigation(r *http.Request) bool {
	if m := r.Header["Sec-Fetch-Mode"]; len(m) > 0 {
		return m[0] == "navigate"
	}
	if d := r.Header["Sec-Fetch-Dest"]; len(d) > 0 {
		return d[0] == "document" || d[0] == "iframe"
	}
	for _, a := range r.Header["Accept"] {
		if strings.Contains(a, "text/html") {
			return true
		}
	}
	return false
}

// The Link values of a page, in its Link header and its 103, are bounded:
// a page with 5,000 critical stylesheets (or a 10,000-deep @import chain)
// had a 300 KB Link header, which clients built on nghttp2 (curl, h2load)
// refuse, so the page could not be fetched at all. Past a few dozen
// preloads nothing is won: the push budget stops at 32 assets, and the
// browser has parsed the page before it could use more. 8 KiB is the
// header room of common front ends (nginx's proxy_buffer_size and
// large_client_header_buffers are 4 or 8 KiB), so the page passes them
// too. The first values, in manifest order, are kept.
const (
	DefaultLinkMaxCount = 64
	DefaultLinkMaxBytes = 8 << 10
)

// linkFits reports whether one more Link value of n bytes fits after count
// values of size bytes.
func (o *Options) linkFits(count, size, n int) bool {
	return count < o.LinkMaxCount && size+n <= o.LinkMaxBytes
}
