package serve

import (
	"net/http"
	"strings"

	"herald/manifest"
)

// pagePlan is what a page's requests deliver, worked out once per manifest.
type pagePlan struct {
	assets []planAsset // the page's same-origin critical assets, in manifest order
	// links holds the Link value of every asset, in manifest order; it is
	// the Link header of a client that has none of them.
	links []string
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
	key    uint16   // cache digest number of (path, hash)
	accept []string // the Accept header a browser sends for this kind of asset
}

// newPagePlan prepares the delivery of a page's assets. Assets that are not
// same-origin paths or that cannot be written in a header are left out.
func newPagePlan(p *manifest.Page) *pagePlan {
	plan := &pagePlan{}
	for _, a := range p.Assets {
		link, ok := linkValue(a)
		if !ok {
			continue
		}
		plan.assets = append(plan.assets, planAsset{path: a.Path, link: link, size: a.Size,
			style: a.As == "style", key: digestKey(a.Path, a.Hash), accept: acceptFor(a.As)})
		plan.links = append(plan.links, link)
	}
	plan.links = plan.links[:len(plan.links):len(plan.links)]
	for _, style := range []bool{true, false} {
		for i := range plan.assets {
			if plan.assets[i].style == style {
				plan.order = append(plan.order, i)
			}
		}
	}
	return plan
}

// sameOrigin reports whether a request target is a path on this server.
func sameOrigin(target string) bool {
	return strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//")
}

// linkValue is the Link header value that preloads a, with the attributes a
// browser needs to match it to the page's own request: crossorigin for CORS
// fetches (fonts, modules), type for fonts and images (a browser skips a
// format it cannot use), media for conditional stylesheets.
func linkValue(a manifest.Asset) (string, bool) {
	if !sameOrigin(a.Path) || !headerSafe(a.Path, "<>") || !token(a.As) {
		return "", false
	}
	var b strings.Builder
	b.WriteString("<" + a.Path + ">")
	if a.Why == "modulepreload" {
		b.WriteString("; rel=modulepreload")
	} else {
		b.WriteString("; rel=preload; as=" + a.As)
	}
	switch a.CrossOrigin {
	case "anonymous":
		b.WriteString("; crossorigin")
	case "use-credentials":
		b.WriteString("; crossorigin=use-credentials")
	}
	if t, _, _ := strings.Cut(a.Type, ";"); (a.As == "font" || a.As == "image") && t != "" && headerSafe(t, `"\`) {
		b.WriteString(`; type="` + strings.TrimSpace(t) + `"`)
	}
	if a.Media != "" && headerSafe(a.Media, `"\`) {
		b.WriteString(`; media="` + a.Media + `"`)
	}
	return b.String(), true
}

// headerSafe reports whether s is printable ASCII without the bytes of bad.
func headerSafe(s, bad string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || strings.IndexByte(bad, s[i]) >= 0 {
			return false
		}
	}
	return true
}

func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
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

// links returns the Link values of the assets the client lacks. It
// allocates only when the client has some of them.
func (p *pagePlan) linksFor(have digest) []string {
	if len(have) == 0 {
		return p.links
	}
	var out []string
	for i := range p.assets {
		if !have.has(p.assets[i].key) {
			out = append(out, p.assets[i].link)
		}
	}
	return out[:len(out):len(out)]
}
