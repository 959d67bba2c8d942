// Package manifest finds, for every HTML page of a static site, the assets a
// browser needs before its first paint, and records them with their type, size
// and content hash in a deterministic push manifest.
//
// Build crawls an fs.FS once (each file read and hashed once, in parallel);
// Builder keeps what it read so a changed file updates the manifest
// incrementally; Read and Write move a manifest to and from disk atomically.
package manifest

import (
	"net/url"
	"strings"
)

// Version is the manifest format written by this package. Version 2 keeps
// preloads that block nothing apart from Assets, in Page.Preload.
const Version = 2

// FileName is the manifest's default name at the top of a site. It is never
// treated as site content.
const FileName = "push-manifest.json"

// Manifest is the push manifest of one site.
type Manifest struct {
	Version int `json:"version"`
	// Hash is the sha256 of the manifest's own canonical JSON with Hash
	// empty. Every manifest this package makes (Build, Builder.Manifest,
	// Read, Never.Filter) has it; Marshal sets it anew for one changed since.
	Hash string `json:"hash"`
	// Origin, when set, is the site's own origin: absolute URLs to it count
	// as same-origin.
	Origin string `json:"origin,omitempty"`
	// Pages maps a page's URL path ("/index.html") to what it needs.
	Pages map[string]*Page `json:"pages"`
	// Files maps every served file's URL path to its size, type and hash,
	// so a server can send a strong ETag without hashing again.
	Files map[string]File `json:"files"`
}

// Page is what one HTML page needs.
type Page struct {
	// Assets are the critical assets, in the order a browser discovers them.
	Assets []Asset `json:"assets"`
	// Preload are the page's own preloads and module preloads that block
	// nothing (scripts, unused fonts, images other than the hero), in
	// document order: hinted after Assets, never pushed. A preload of a
	// critical asset is listed once, in Assets.
	Preload []Asset `json:"preload,omitempty"`
	// Deferred are stylesheets and synchronous scripts in <body>: they block
	// parsing but not the first paint, so they are never pushed or hinted.
	Deferred []Asset `json:"deferred,omitempty"`
	// External lists critical URLs on other origins, left out of Assets.
	External []string `json:"external,omitempty"`
	// Missing lists critical references to files the site does not have.
	Missing []Missing `json:"missing,omitempty"`
}

// Asset is one file a page needs early.
type Asset struct {
	Path string `json:"path"`
	// As is the request destination: "style", "script", "font", "image", or
	// whatever an explicit preload says ("fetch", "track", ...).
	As   string `json:"as"`
	Type string `json:"type"`
	Size int64  `json:"size"`
	Hash string `json:"hash"`
	// Why names the rule that found it.
	Why Why `json:"why"`
	// CrossOrigin is "anonymous" or "use-credentials" where the browser
	// fetches the asset in CORS mode (fonts always are, module scripts too).
	CrossOrigin string `json:"crossorigin,omitempty"`
	// Media is the media query of a conditional stylesheet, if any.
	Media string `json:"media,omitempty"`
}

// Missing is a critical reference that names no file of the site.
type Missing struct {
	Path string `json:"path"`
	Why  Why    `json:"why"`
	// From is the file holding the reference (the page or a stylesheet),
	// Line its line there.
	From string `json:"from"`
	Line int    `json:"line"`
}

// File is one file of the site.
type File struct {
	Size int64  `json:"size"`
	Type string `json:"type"`
	// Hash is the hex sha256 of the file's bytes.
	Hash string `json:"hash"`
}

// CriticalFiles returns the URL paths of the files of Files that are a
// critical asset of some page. An asset's path may carry the query of its
// reference ("/style.css?v=3") and escapes ("/a%20b.css"): the file's path
// has neither.
func (m *Manifest) CriticalFiles() map[string]bool {
	files := map[string]bool{}
	for _, page := range m.Pages {
		if page == nil {
			continue
		}
		for _, a := range page.Assets {
			p, _, _ := strings.Cut(a.Path, "?")
			if u, err := url.PathUnescape(p); err == nil {
				p = u
			}
			if _, ok := m.Files[p]; ok {
				files[p] = true
			}
		}
	}
	return files
}
