package manifest

import (
	"mime"
	"path"
	"strings"
)

// contentTypes fixes the types of the files a site is made of, so a manifest
// does not depend on the machine's mime.types; other extensions fall back to
// the mime package.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/vnd.microsoft.icon",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".eot": "application/vnd.ms-fontobject", ".wasm": "application/wasm", ".pdf": "application/pdf",
	".zip": "application/zip", ".gz": "application/gzip", ".br": "application/x-brotli",
	".zst": "application/zstd", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
	".ogg": "audio/ogg", ".wav": "audio/wav", ".webmanifest": "application/manifest+json",
	".csv": "text/csv; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".rst": "text/plain; charset=utf-8",
	".inv": "application/octet-stream",
}

// ContentType returns the Content-Type herald uses for a file name.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// IsPage reports whether a file is an HTML page of the site.
func IsPage(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

func isStylesheet(name string) bool { return strings.EqualFold(path.Ext(name), ".css") }

// Hidden reports whether a URL path ("/a/b.css") names something that is
// never site content: a dotfile or anything in a dot folder; an editor's
// backup, swap or lock file (name~, name.swp, name.swx, vim's 4913 test
// file, emacs's .#name), which may hold what was never meant to be
// published and comes and goes as the editor saves; herald's configuration
// (ConfigFileName) in any folder; and, at the top of the site, the manifest
// and the _headers and _redirects files that Netlify and Cloudflare Pages
// read as configuration (a _headers file exported from the manifest would
// otherwise change the manifest it came from). The precompressed forms of
// these are hidden too. Build, the server and bundles all leave out what
// Hidden names, and what a Never set holds.
func Hidden(urlPath string) bool {
	if u := Uncompressed(urlPath); u == "/"+FileName || HostRules(u) { // and their precompressed forms
		return true
	}
	for part := range strings.SplitSeq(urlPath, "/") {
		switch {
		case strings.HasPrefix(part, "."), // also emacs's .#name
			strings.HasSuffix(part, "~"),
			strings.HasSuffix(part, ".swp"), strings.HasSuffix(part, ".swx"),
			part == "4913",
			Uncompressed(part) == ConfigFileName:
			return true
		}
	}
	return false
}

// HostRules reports whether a URL path names one of the files at the top of
// a site that Netlify and Cloudflare Pages read as configuration: never
// served, but a change to them changes how the site is served.
func HostRules(urlPath string) bool { return urlPath == "/_headers" || urlPath == "/_redirects" }

// ConfigFileName is the usual name of herald's configuration file, which
// names TLS keys and where they are: never site content, in any folder.
const ConfigFileName = "herald.toml"

// Uncompressed takes the extension of a precompressed form (.gz, .br, .zst)
// off a path: the file that form is of.
func Uncompressed(p string) string {
	for _, ext := range []string{".gz", ".br", ".zst"} {
		if strings.HasSuffix(p, ext) {
			return strings.TrimSuffix(p, ext)
		}
	}
	return p
}

// Why names the rule that found an asset or a missing reference: the
// manifest's "why" field, whose values the README's table describes for
// users. The rules decide how an asset is listed (critical, deferred or a
// preload), whether a stylesheet's imports and fonts count, and how its Link
// value is written.
type Why string

const (
	WhyLink          Why = "link"          // a stylesheet <link> of the head
	WhyImport        Why = "import"        // an @import of critical CSS
	WhyHeadScript    Why = "head-script"   // a script of the head that blocks the parser
	WhyBodyStyle     Why = "body-style"    // a stylesheet <link> of the body: deferred
	WhyBodyScript    Why = "body-script"   // a parser-blocking script of the body: deferred
	WhyFontFace      Why = "font-face"     // a web font of critical CSS that the page uses
	WhyPreload       Why = "preload"       // a <link rel=preload> of the head
	WhyModulePreload Why = "modulepreload" // a <link rel=modulepreload> of the head
	WhyHero          Why = "hero"          // the likely largest contentful paint
)

// whyStyle marks the reference of a <style> element, which is no asset of
// its own: its imports and rules are.
const whyStyle Why = "style"
