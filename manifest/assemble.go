package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/html"
)

// placeholder origin for resolving a site's URLs when no origin is set; it
// can never be the host of a real absolute URL.
const siteless = "http://herald.invalid"

// Manifest assembles the manifest from what the builder has read. It reads
// no file, and a page is assembled again only when a file it looked up has
// changed since the last call, so it is cheap enough to call after every
// update. The manifests it returns share unchanged pages: treat them as
// read-only.
func (b *Builder) Manifest() *Manifest {
	m := &Manifest{
		Version: Version,
		Origin:  b.opts.Origin,
		Pages:   map[string]*Page{},
		Files:   make(map[string]File, len(b.files)),
	}
	var todo []string // pages to assemble again
	for p, e := range b.files {
		m.Files[p] = e.File
		if e.doc == nil {
			continue
		}
		c, ok := b.pages[p]
		switch {
		case !ok || b.touches(c.deps, b.reshaped):
			todo = append(todo, p)
			continue
		case b.touches(c.deps, b.changed):
			c = b.patch(c)
			b.pages[p] = c
		}
		m.Pages[p] = c.page
	}
	for i, c := range b.assembleAll(todo) {
		if b.encoded == nil {
			b.encoded = map[*Page][]byte{}
		}
		b.encoded[c.page], c.json = c.json, nil // for seal
		b.pages[todo[i]] = c
		m.Pages[todo[i]] = c.page
	}
	for p := range b.pages {
		if e := b.files[p]; e == nil || e.doc == nil {
			delete(b.pages, p)
		}
	}
	clear(b.changed)
	clear(b.reshaped)
	return b.seal(m)
}

// assembleAll assembles the pages at paths, on as many workers as read
// files (on one, assembly was a tenth of a build of the python docs, all
// of it after the read), and pages share nothing they write but the memos of resolved URLs and compiled
// stylesheets, which memoMu guards. Each page's JSON, which seal hashes,
// is written by the worker that assembled it.
func (b *Builder) assembleAll(paths []string) []assembled {
	out := make([]assembled, len(paths))
	site := b.siteURL()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(b.opts.Workers, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) {
					return
				}
				out[i] = b.page(site, paths[i], b.files[paths[i]].doc)
				out[i].json = encodePage(out[i].page)
			}
		}()
	}
	wg.Wait()
	return out
}

// assembled is a page as Manifest last put it together, with the files it
// looked up (whether they existed or not) and the file of each of its
// assets and deferred assets.
type assembled struct {
	page     *Page
	deps     []string
	assets   []string
	deferred []string
	preload  []string
	json     []byte // the page's JSON, from assembleAll to seal
}

// touches reports whether any of deps is in set.
func (b *Builder) touches(deps []string, set map[string]bool) bool {
	if len(set) == 0 {
		return false
	}
	for _, d := range deps {
		if set[d] {
			return true
		}
	}
	return false
}

// patch gives a page whose files changed only in their bytes their new
// hashes and sizes: a copy, since earlier manifests share the page.
func (b *Builder) patch(c assembled) assembled {
	page := *c.page
	page.Assets = b.patchAssets(page.Assets, c.assets)
	page.Deferred = b.patchAssets(page.Deferred, c.deferred)
	page.Preload = b.patchAssets(page.Preload, c.preload)
	c.page = &page
	return c
}

func (b *Builder) patchAssets(assets []Asset, files []string) []Asset {
	if assets == nil {
		return nil
	}
	out := slices.Clone(assets)
	for i, f := range files {
		if b.changed[f] {
			e := b.files[f]
			out[i].Size, out[i].Hash = e.Size, e.Hash
		}
	}
	return out
}

// lookup returns the file at a URL path, noting that the page depends on it.
func (pb *pageBuilder) lookup(p string) *entry {
	pb.deps = append(pb.deps, p)
	return pb.b.files[p]
}

func (b *Builder) siteURL() *url.URL {
	if b.opts.Origin != "" {
		if u, err := url.Parse(b.opts.Origin); err == nil && u.Host != "" {
			return &url.URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Host), Path: "/"}
		}
	}
	u, _ := url.Parse(siteless + "/")
	return u
}

// pageBuilder gathers one page's assets.
type pageBuilder struct {
	b    *Builder
	site *url.URL
	from string // the page's URL path
	page *Page
	seen map[string]bool // request paths already listed
	// applied holds the stylesheets whose imports and fonts are read
	applied map[string]bool
	sheets  []sheetAt // critical stylesheets, for fonts and backgrounds
	// cascade holds the same in cascade order: a sheet after those it
	// imports
	cascade []sheetAt
	deps    []string // every file path looked up
	// assets, deferred and preload hold the file of each asset of the page
	assets, deferred, preload []string
	key                       []byte // the memo key of resolve, reused
}

type sheetAt struct {
	sheet *sheet
	url   *url.URL
	path  string
	media string // of the <link> or @import that applies it
}

// target is a resolved reference.
type target struct {
	request string // what the browser asks for: escaped path and query
	file    string // the URL path of the file that answers it
	url     *url.URL
}

// resolved is a memoized answer of resolve.
type resolved struct {
	t        target
	external string
	ok       bool
}

// resolve resolves raw against base as a browser would. It reports external
// URLs as such and ignores data:, javascript: and other schemes. Answers are
// kept: most references of a site are the same few URLs written in pages of
// the same few folders, and a relative one depends only on the folder.
func (pb *pageBuilder) resolve(base *url.URL, raw string) (target, string, bool) {
	// The key is written into pb.key, and made a string only to be kept.
	key := append(pb.key[:0], base.Scheme...)
	key = append(append(append(key, "://"...), base.Host...), base.EscapedPath()...) // what ResolveReference uses
	if raw != "" && raw[0] != '?' && raw[0] != '#' && base.RawQuery == "" {
		key = key[:bytes.LastIndexByte(key, '/')+1] // the answer depends on the folder only
	} else {
		key = append(append(key, '?'), base.RawQuery...)
	}
	key = append(append(key, 0), raw...)
	pb.key = key
	b := pb.b
	b.memoMu.Lock()
	r, ok := b.resolved[string(key)]
	b.memoMu.Unlock()
	if ok {
		return r.t, r.external, r.ok
	}
	t, external, ok := pb.resolveURL(base, raw)
	b.memoMu.Lock()
	if len(b.resolved) >= maxResolved {
		clear(b.resolved)
	}
	b.resolved[string(key)] = resolved{t, external, ok}
	b.memoMu.Unlock()
	return t, external, ok
}

// maxResolved bounds the memo of resolved URLs.
const maxResolved = 1 << 16

func (pb *pageBuilder) resolveURL(base *url.URL, raw string) (t target, external string, ok bool) {
	u, err := url.Parse(whatwgURL(raw))
	if err != nil {
		return target{}, "", false
	}
	u = base.ResolveReference(u)
	u.Fragment, u.RawFragment = "", ""
	if u.Scheme != "http" && u.Scheme != "https" {
		return target{}, "", false
	}
	if u.Scheme != pb.site.Scheme || !strings.EqualFold(u.Host, pb.site.Host) {
		return target{}, u.String(), false
	}
	t = target{request: u.EscapedPath(), file: path.Clean(u.Path), url: u}
	if strings.HasSuffix(u.Path, "/") && t.file != "/" {
		t.file += "/"
	}
	if u.RawQuery != "" {
		t.request += "?" + u.RawQuery
	}
	if strings.HasSuffix(t.file, "/") {
		t.file += "index.html"
	}
	return t, "", true
}

// whatwgURL prepares a URL as written in a page or stylesheet for Go's
// parser the way a browser's (WHATWG) parser reads it: spaces and controls
// around it dropped, tabs and newlines inside it removed, and a backslash
// before the query taken for a slash (as for every http(s) URL).
func whatwgURL(raw string) string {
	raw = strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(raw, "\t\n\r") {
		raw = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	}
	if end := strings.IndexAny(raw, "?#"); strings.ContainsRune(raw, '\\') {
		if end < 0 {
			end = len(raw)
		}
		raw = strings.ReplaceAll(raw[:end], "\\", "/") + raw[end:]
	}
	return raw
}

func (b *Builder) page(site *url.URL, p string, d *doc) assembled {
	pb := &pageBuilder{b: b, site: site, from: p, page: &Page{Assets: []Asset{}}, seen: map[string]bool{}, applied: map[string]bool{}, deps: []string{p}}
	own := site.ResolveReference(&url.URL{Path: p})
	base := own
	if d.base != "" {
		if u, err := url.Parse(whatwgURL(d.base)); err == nil {
			base = own.ResolveReference(u)
		}
	}
	at := func(r ref) *url.URL {
		if r.beforeBase {
			return own
		}
		return base
	}
	// What blocks the first paint first, then the head's preloads that are
	// not among it: a preload of a stylesheet the page links, of a font a
	// used face lists or of the hero image is listed once, as that.
	for _, r := range d.refs {
		if !isPreload(r) {
			pb.add(at(r), r, p, map[string]bool{})
		}
	}
	pb.fonts()
	pb.hero(base, d)
	for _, r := range d.refs {
		if isPreload(r) {
			pb.add(at(r), r, p, map[string]bool{})
		}
	}
	return assembled{page: pb.page, deps: pb.deps, assets: pb.assets, deferred: pb.deferred, preload: pb.preload}
}

// add lists one reference and, for a stylesheet, what it imports.
// visiting holds the stylesheets on the current @import chain.
func (pb *pageBuilder) add(base *url.URL, r ref, from string, visiting map[string]bool) *entry {
	if r.inline != nil {
		// A <style>: its imports resolve against the page, and unless it is
		// in the body, its rules count for fonts and backgrounds.
		if !r.deferred {
			pb.sheets = append(pb.sheets, sheetAt{r.inline, base, from, r.media})
		}
		for _, imp := range r.inline.imports {
			imp.deferred = r.deferred
			pb.add(base, imp, from, visiting)
		}
		if !r.deferred {
			pb.cascade = append(pb.cascade, sheetAt{r.inline, base, from, r.media})
		}
		return nil
	}
	t, ext, ok := pb.resolve(base, r.url)
	if !ok {
		if ext != "" && !r.deferred && !contains(pb.page.External, ext) {
			pb.page.External = append(pb.page.External, ext)
		}
		return nil
	}
	e := pb.lookup(t.file)
	if e == nil {
		if r.why != WhyHero { // a hero candidate is no reference of its own
			pb.page.Missing = append(pb.page.Missing, Missing{Path: t.request, Why: r.why, From: from, Line: r.line})
		}
		return nil
	}
	if !pb.seen[t.request] {
		pb.seen[t.request] = true
		a := Asset{Path: t.request, As: r.as, Type: e.Type, Size: e.Size, Hash: e.Hash, Why: r.why,
			CrossOrigin: r.crossOrigin, Media: r.media}
		if r.typ != "" {
			a.Type = r.typ
		}
		switch {
		case r.deferred:
			pb.page.Deferred = append(pb.page.Deferred, a)
			pb.deferred = append(pb.deferred, t.file)
		case isPreload(r):
			pb.page.Preload = append(pb.page.Preload, a)
			pb.preload = append(pb.preload, t.file)
		default:
			pb.page.Assets = append(pb.page.Assets, a)
			pb.assets = append(pb.assets, t.file)
		}
	}
	// A stylesheet's imports and fonts count once it is applied, also when
	// it was listed before as a preload of the same URL.
	if (r.why == WhyLink || r.why == WhyImport || r.why == WhyBodyStyle) && e.sheet != nil && !visiting[t.file] && !pb.applied[t.request] {
		pb.applied[t.request] = true
		visiting[t.file] = true
		if !r.deferred {
			pb.sheets = append(pb.sheets, sheetAt{e.sheet, t.url, t.file, r.media})
		}
		for _, imp := range e.sheet.imports {
			imp.deferred = r.deferred
			pb.add(t.url, imp, t.file, visiting)
		}
		if !r.deferred {
			pb.cascade = append(pb.cascade, sheetAt{e.sheet, t.url, t.file, r.media})
		}
		delete(visiting, t.file)
	}
	return e
}

// fonts lists the @font-face sources of the faces the page uses: those the
// style engine finds its elements using (style.go), or, when the page
// cannot be read again, those of the families and weights the critical CSS
// names anywhere.
func (pb *pageBuilder) fonts() {
	type candidate struct {
		at   sheetAt
		face fontFace
	}
	var cands []candidate
	declared := map[string]bool{} // families with faces
	for _, s := range pb.sheets {
		for _, f := range s.sheet.faces {
			declared[f.family] = true
			if !f.notLatin {
				cands = append(cands, candidate{s, f})
			}
		}
	}
	if len(cands) == 0 {
		return // no web font: the page is not parsed again
	}
	named := map[string]bool{} // families the CSS names in any rule
	for _, s := range pb.sheets {
		for f := range s.sheet.families {
			named[f] = true
		}
	}
	uses := pb.fontUses()
	if uses == nil {
		uses = pb.namedUses(named)
	}
	// want holds, for each family and style, the weights asked for; 0
	// for any.
	type style struct {
		family string
		italic bool
	}
	want := map[style]map[int]bool{}
	ask := func(family string, italic int8, weight int) {
		for _, it := range []bool{false, true} {
			if italic >= 0 && it != (italic == 1) {
				continue
			}
			k := style{family, it}
			if want[k] == nil {
				want[k] = map[int]bool{}
			}
			want[k][weight] = true
		}
	}
	for u := range uses {
		switch {
		case u.family == "\x01": // an unknown list: any family named
			for f := range named {
				if declared[f] {
					ask(f, u.italic, u.weight)
				}
			}
		default:
			for _, f := range familyList(u.family) {
				if declared[f] {
					ask(f, u.italic, u.weight) // the first family with faces
					break
				}
			}
		}
	}
	// A style the family has no face of is drawn from its other style.
	has := map[style]bool{}
	for _, c := range cands {
		has[style{c.face.family, c.face.italic}] = true
	}
	for k, ws := range want {
		if !has[k] {
			other := style{k.family, !k.italic}
			if want[other] == nil {
				want[other] = map[int]bool{}
			}
			for w := range ws {
				want[other][w] = true
			}
		}
	}
	type set struct { // faces a browser chooses among by weight
		family  string
		italic  bool
		unicode string
	}
	keep := make([]bool, len(cands))
	sets := map[set][]int{}
	for i, c := range cands {
		ws := want[style{c.face.family, c.face.italic}]
		if ws == nil {
			continue
		}
		keep[i] = ws[0]
		key := set{c.face.family, c.face.italic, c.face.unicode}
		sets[key] = append(sets[key], i)
	}
	for key, faces := range sets {
		for w := range want[style{key.family, key.italic}] {
			best, bestKey := -1, [2]int{}
			for _, i := range faces {
				weight := cands[i].face.weight
				if weight == [2]int{} {
					weight = [2]int{400, 400} // the descriptor's initial value, normal
				}
				if k, ok := weightDistance(weight, w); ok && (best < 0 || slices.Compare(k[:], bestKey[:]) <= 0) {
					best, bestKey = i, k // on a tie, the later face: it wins in CSS
				}
			}
			if best >= 0 {
				keep[best] = true
			}
		}
	}
	for i, c := range cands {
		if keep[i] {
			pb.add(c.at.url, c.face.src, c.at.path, nil)
		}
	}
}

// fontUses runs the style engine on the page, read again from the site;
// nil when the file cannot be read or has changed since it was hashed.
func (pb *pageBuilder) fontUses() map[fontUse]bool {
	src, sheets, _ := pb.reread()
	if src == nil {
		return nil
	}
	return pageFontUses(src, sheets)
}

// reread reads the page again and compiles the sheets of its cascade that
// apply to the desktop viewport; src is nil when the file cannot be read
// or has changed since it was hashed. at holds each sheet's place.
func (pb *pageBuilder) reread() (src []byte, sheets []*compiledSheet, at []sheetAt) {
	e := pb.b.files[pb.from]
	if e == nil {
		return nil, nil, nil
	}
	src, err := fs.ReadFile(pb.b.fsys, strings.TrimPrefix(pb.from, "/"))
	if err != nil || int64(len(src)) != e.Size {
		return nil, nil, nil
	}
	if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != e.Hash {
		return nil, nil, nil
	}
	for _, s := range pb.cascade {
		if mediaMatchesDesktop(s.media) {
			sheets = append(sheets, pb.b.compile(s.sheet))
			at = append(at, s)
		}
	}
	return src, sheets, at
}

// layoutPrefix bounds how much of a page the rough layout reads: the
// first viewport is laid out from the start of the document.
const layoutPrefix = 64 << 10

// layoutHero lays the page out roughly (layout.go) and returns its largest
// contentful paint when it is an image: the reference and the URL it is
// resolved against. ok is false when the page cannot be read again.
func (pb *pageBuilder) layoutHero(base *url.URL) (r ref, at *url.URL, from string, found, ok bool) {
	src, sheets, where := pb.reread()
	if src == nil {
		return ref{}, nil, "", false, false
	}
	root, err := html.Parse(bytes.NewReader(src[:min(len(src), layoutPrefix)]))
	if err != nil {
		return ref{}, nil, "", false, false
	}
	resolveAt := func(sheet int) (*url.URL, string) {
		if sheet < 0 {
			return base, pb.from
		}
		return where[sheet].url, where[sheet].path
	}
	info := func(sheet int, raw string) (int, int, int64, bool) {
		u, _ := resolveAt(sheet)
		t, _, ok := pb.resolve(u, raw)
		if !ok {
			return 0, 0, 0, false
		}
		e := pb.lookup(t.file)
		if e == nil || !strings.HasPrefix(e.Type, "image/") {
			return 0, 0, 0, false
		}
		return e.width, e.height, e.Size, true
	}
	en := newStyleEngine(sheets)
	c := en.pageHero(root, info)
	if c.url == "" {
		return ref{}, nil, "", false, true
	}
	u, from := resolveAt(c.sheet)
	return ref{url: c.url, why: WhyHero, as: "image"}, u, from, true, true
}

// namedUses is what the page uses when it cannot be read: any family the
// CSS names, in every style and weight a rule asks for.
func (pb *pageBuilder) namedUses(named map[string]bool) map[fontUse]bool {
	italic, anyWeight := false, false
	weights := map[int]bool{400: true, 700: true}
	for _, s := range pb.sheets {
		italic = italic || s.sheet.italic
		anyWeight = anyWeight || s.sheet.anyWeight
		maps.Copy(weights, s.sheet.weights)
	}
	if anyWeight {
		weights = map[int]bool{0: true}
	}
	style := int8(0)
	if italic {
		style = -1
	}
	uses := map[fontUse]bool{}
	for w := range weights {
		uses[fontUse{family: "\x01", italic: style, weight: w}] = true
	}
	return uses
}

// weightDistance ranks a face of weight range r for the weight w as CSS
// font matching does: a face whose range holds w first; then, for w from
// 400 to 500, the nearest heavier up to 500, the nearest lighter, the
// nearest heavier beyond 500; for w below 400, lighter first, then
// heavier; above 500, heavier first, then lighter. Lower ranks win. A face
// without a weight is not ranked (it serves every weight).
func weightDistance(r [2]int, w int) ([2]int, bool) {
	lo, hi := r[0], r[1]
	lighter, heavier := w-hi, lo-w // how far below or above w the range is
	switch {
	case r == [2]int{}:
		return [2]int{}, false
	case lo <= w && w <= hi:
		return [2]int{0, 0}, true
	case w >= 400 && w <= 500 && heavier > 0 && lo <= 500:
		return [2]int{1, heavier}, true
	case w >= 400 && w <= 500 && lighter > 0:
		return [2]int{2, lighter}, true
	case w >= 400 && w <= 500:
		return [2]int{3, heavier}, true
	case w < 400 && lighter > 0:
		return [2]int{1, lighter}, true
	case w < 400:
		return [2]int{2, heavier}, true
	case heavier > 0:
		return [2]int{1, heavier}, true
	default:
		return [2]int{2, lighter}, true
	}
}

// hero lists the image most likely to be the largest contentful paint: the
// first candidate that names a file and, when the page gave no size, whose
// own pixel size is large.
func (pb *pageBuilder) hero(base *url.URL, d *doc) {
	try := func(base *url.URL, r ref, from string) bool {
		t, _, ok := pb.resolve(base, r.url)
		if !ok {
			return false
		}
		e := pb.lookup(t.file)
		if e == nil || !strings.HasPrefix(e.Type, "image/") {
			return false
		}
		if pb.seen[t.request] {
			return true // already listed
		}
		if r.sizeFromFile && !bigArea(e.width, e.height) {
			return false
		}
		r.why = WhyHero // also a preloaded image's
		pb.add(base, r, from, nil)
		return true
	}
	if !pb.mayHaveHero(base, d) {
		return
	}
	if r, at, from, found, ok := pb.layoutHero(base); ok {
		if found {
			r.sizeFromFile = false
			try(at, r, from)
		}
		return
	}
	for _, r := range d.heroes {
		if try(base, r, pb.from) {
			return
		}
	}
	for _, s := range pb.sheets {
		for _, bg := range s.sheet.backgrounds {
			if d.early[bg.selector] && try(s.url, bg.src, s.path) {
				return
			}
		}
	}
}

// layoutMinArea is the intrinsic area, in pixels, below which an image is
// taken never to be the largest contentful paint: a logo of 234x100 was
// the LCP of pages whose first viewport held only short lines of text
// (groonga's docs), so it is far below the 300x300 of a hero found
// without layout; a 100x100 image loses to one line of text 200 px wide.
const layoutMinArea = 100 * 100

// mayHaveHero reports whether the page names an image that could be the
// largest contentful paint, which alone makes laying it out worth its
// cost: one of its early <img> or inline backgrounds (doc.heroes, and the
// candidates of responsive images, doc.choices) or a
// background of its critical CSS, whose file is at least layoutMinArea
// pixels (the intrinsic area bounds the LCP size) and heavy enough not to
// be a placeholder at that size.
func (pb *pageBuilder) mayHaveHero(base *url.URL, d *doc) bool {
	big := func(at *url.URL, raw string) bool {
		t, _, ok := pb.resolve(at, raw)
		if !ok {
			return false
		}
		e := pb.lookup(t.file)
		return e != nil && strings.HasPrefix(e.Type, "image/") && e.width*e.height >= layoutMinArea &&
			float64(e.Size)*8 >= minEntropy*layoutMinArea
	}
	for _, r := range slices.Concat(d.heroes, d.choices) {
		at := base
		if r.beforeBase {
			at = pb.site.ResolveReference(&url.URL{Path: pb.from})
		}
		if big(at, r.url) {
			return true
		}
	}
	for _, s := range pb.cascade {
		for _, u := range s.sheet.images {
			if big(s.url, u) {
				return true
			}
		}
	}
	return false
}

// isPreload reports whether r is a preload or module preload of the head,
// which by itself blocks nothing.
func isPreload(r ref) bool {
	return !r.deferred && (r.why == WhyPreload || r.why == WhyModulePreload)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
