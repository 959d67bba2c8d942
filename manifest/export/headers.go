package export

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"herald/manifest"
)

// Limits of Cloudflare Pages' _headers file, from its documentation
// (developers.cloudflare.com/pages/configuration/headers): rules past the
// 100th are skipped, and a longer line is ignored.
const (
	cloudflareMaxRules = 100
	cloudflareMaxLine  = 2000
)

// How the two hosts combine rules, which decides how pages are grouped.
//
// Cloudflare Pages documents it and its asset server (workers-sdk,
// pages-shared/asset-server) does it so: every rule whose pattern matches
// the request's (percent-encoded) path applies, in the order of the file;
// a rule first removes the headers it detaches ("! Link") from what earlier
// rules added, then adds its own, joined with a comma to what is left. A
// splat (*) matches any characters, / included. So one folder rule
// "/dir/*" carries the Link set most pages below it share, a deeper folder
// rule detaches and replaces it, and a page that differs gets a rule of its
// own after all folder rules, detaching the folder's set first.
//
// Netlify documents no limit on rules, and not how the values of one header
// from several matching rules combine (its CLI's dev server keeps the last;
// reports from the host differ). So no URL of a Netlify export matches two
// of herald's rules: a folder rule only where every page below shares one
// Link set, and a rule per URL elsewhere. Right whichever way it combines.

// ErrTooManyRules is returned (wrapped) when Cloudflare Pages' 100 rules
// cannot hold a site's hints, even grouped.
type ErrTooManyRules struct {
	Need, Max int
}

func (e *ErrTooManyRules) Error() string {
	return fmt.Sprintf("export: cloudflare: %d rules needed, Cloudflare Pages applies at most %d (hint the rest from a Pages Function, or export fewer pages)", e.Need, e.Max)
}

func writeNetlify(b *strings.Builder, m *manifest.Manifest, _ []rule) ([]string, error) {
	beginHeaders(b, "netlify", m,
		"Save as _headers at the top of the publish folder. Each page is listed at",
		"every URL that serves it (/dir/ and /dir/index.html, /a.html and /a); a",
		"folder rule (/dir/*) stands for all of them where every page below it has",
		"the same hints, so no URL matches two of these rules.")
	t, warnings := headersTree(m)
	writeHeadersRules(b, t.netlifyRules())
	endHeaders(b)
	return warnings, nil
}

func writeCloudflare(b *strings.Builder, m *manifest.Manifest, _ []rule) ([]string, error) {
	beginHeaders(b, "cloudflare", m,
		"Save as _headers in the Pages output folder. Cloudflare sends these Link",
		"headers as 103 Early Hints too. A folder rule (/dir/*) carries the hints most",
		"pages below it share; a later rule detaches them (! Link) where a folder or",
		"a page differs: Pages applies every matching rule, in this order.")
	t, warnings := headersTree(m)
	rules := t.cloudflareRules(true)
	if len(rules) > cloudflareMaxRules {
		// Without the rules that keep Link off folders holding no page.
		rules = t.cloudflareRules(false)
	}
	if len(rules) > cloudflareMaxRules {
		return nil, &ErrTooManyRules{Need: len(rules), Max: cloudflareMaxRules}
	}
	writeHeadersRules(b, rules)
	endHeaders(b)
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > cloudflareMaxLine {
			return nil, fmt.Errorf("export: cloudflare: a line of %d characters is over Cloudflare Pages' limit of %d, which ignores it: %.60s...", len(line), cloudflareMaxLine, line)
		}
	}
	return warnings, nil
}

// headersRule is one rule of a _headers file: a path pattern, whether it
// detaches the Link values earlier rules added, and the Link values it adds.
type headersRule struct {
	pattern string
	detach  bool
	links   []string
}

// writeHeadersRules writes rules in the _headers format the two hosts
// share: a path at the margin, then its header lines indented below it, one
// Link line per value (the host joins them with commas).
func writeHeadersRules(b *strings.Builder, rules []headersRule) {
	for _, r := range rules {
		b.WriteString("\n")
		b.WriteString(r.pattern)
		b.WriteString("\n")
		if r.detach {
			b.WriteString("  ! Link\n")
		}
		for _, l := range r.links {
			b.WriteString("  Link: ")
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
}

// hpage is one page of a _headers export.
type hpage struct {
	page  string
	urls  []string // decoded URL paths: "/dir/" and "/dir/index.html"
	links []string
	key   string // links joined: equal keys, equal sets
}

// hfolder is a folder of the site: its pages, its subfolders, and the
// number of pages below it (itself included) per Link set.
type hfolder struct {
	path     string // "/", "/dir/"
	pages    []*hpage
	children map[string]*hfolder
	sets     map[string]int
	npages   int
	nfiles   int // files below that are no page
}

// headersTree returns the site's folders with every page in its own, hints
// or none (a folder rule must not reach a page without hints), and folders
// that only hold files. Pages whose path holds a control character are
// left out, as in every format.
func headersTree(m *manifest.Manifest) (*hfolder, []string) {
	root := &hfolder{path: "/"}
	var warnings []string
	keys := make([]string, 0, len(m.Pages))
	for k := range m.Pages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if hasControl(k) {
			continue // and warned of by pageRules
		}
		if strings.ContainsAny(k, "*:") {
			warnings = append(warnings, fmt.Sprintf("page %q: * and : are pattern characters in _headers; written percent-encoded, which the host may not match", k))
		}
		links := pageLinks(m.Pages[k])
		p := &hpage{page: k, urls: pageURLs(k, true), links: links, key: strings.Join(links, "\n")}
		f := root.folder(path.Dir(k))
		f.pages = append(f.pages, p)
	}
	for k := range m.Files {
		if !hasControl(k) && !manifest.IsPage(k) {
			root.folder(path.Dir(k)).nfiles++
		}
	}
	root.count()
	return root, warnings
}

// folder returns the folder at dir ("/a/b"), made on the way if need be.
func (f *hfolder) folder(dir string) *hfolder {
	if dir == "/" || dir == "." || dir == "" {
		return f
	}
	parent := f.folder(path.Dir(dir))
	name := path.Base(dir)
	if parent.children == nil {
		parent.children = map[string]*hfolder{}
	}
	c := parent.children[name]
	if c == nil {
		c = &hfolder{path: dir + "/"}
		parent.children[name] = c
	}
	return c
}

// count fills sets and npages, below first.
func (f *hfolder) count() {
	f.sets = map[string]int{}
	for _, p := range f.pages {
		f.sets[p.key]++
	}
	for _, c := range f.children {
		c.count()
		for k, n := range c.sets {
			f.sets[k] += n
		}
	}
	f.npages = 0
	for _, n := range f.sets {
		f.npages += n
	}
	for _, c := range f.children {
		f.nfiles += c.nfiles
	}
}

// sortedChildren returns the subfolders in byte order of their names.
func (f *hfolder) sortedChildren() []*hfolder {
	names := make([]string, 0, len(f.children))
	for n := range f.children {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*hfolder, len(names))
	for i, n := range names {
		out[i] = f.children[n]
	}
	return out
}

// pageRule is the exact rule of one URL of a page.
func pageRule(u string, detach bool, links []string) headersRule {
	return headersRule{pattern: headersPath(u), detach: detach, links: links}
}

// folderRule is the splat rule of everything below a folder.
func folderRule(f *hfolder, detach bool, links []string) headersRule {
	return headersRule{pattern: headersPath(f.path) + "*", detach: detach, links: links}
}

// netlifyRules groups without overlap: a folder whose pages all share one
// Link set gets one rule, any other page a rule per URL. A folder rule
// reaches the files below too, so it is taken only where it saves more
// rules than it reaches files that are no page.
func (f *hfolder) netlifyRules() []headersRule {
	var rules []headersRule
	var walk func(f *hfolder)
	walk = func(f *hfolder) {
		if f.npages == 0 {
			return
		}
		if len(f.sets) == 1 {
			nurls := 0
			f.eachPage(func(p *hpage) { nurls += len(p.urls) })
			var one *hpage
			f.eachPage(func(p *hpage) { one = p })
			if one.key == "" {
				return
			}
			if nurls-1 > f.nfiles {
				rules = append(rules, folderRule(f, false, one.links))
				return
			}
		}
		for _, p := range f.pages {
			if p.key != "" {
				for _, u := range p.urls {
					rules = append(rules, pageRule(u, false, p.links))
				}
			}
		}
		for _, c := range f.sortedChildren() {
			walk(c)
		}
	}
	walk(f)
	return rules
}

// eachPage calls fn for every page below f, f's own first.
func (f *hfolder) eachPage(fn func(*hpage)) {
	for _, p := range f.pages {
		fn(p)
	}
	for _, c := range f.sortedChildren() {
		c.eachPage(fn)
	}
}

// cfChoice is the Link set a folder rule gives a folder (by key), and what
// that costs in rules, the folder's subfolders included.
type cfChoice struct {
	key  string
	cost int
}

// cloudflareRules returns the fewest rules this shape allows: each folder
// takes the set it inherits or one of its most common sets (a folder rule),
// and each page whose set differs gets a rule per URL. With quiet, a folder
// below a folder rule that holds no page gets a rule detaching Link, so its
// files go without.
func (f *hfolder) cloudflareRules(quiet bool) []headersRule {
	memo := map[*hfolder]map[string]cfChoice{}
	var best func(f *hfolder, inherited string) cfChoice
	best = func(f *hfolder, inherited string) cfChoice {
		if c, ok := memo[f][inherited]; ok {
			return c
		}
		choice := cfChoice{cost: -1}
		for _, key := range f.candidates(inherited) {
			cost := 0
			if key != inherited {
				cost++
			}
			for _, p := range f.pages {
				if p.key != key {
					cost += len(p.urls)
				}
			}
			for _, c := range f.children {
				switch {
				case c.npages > 0:
					cost += best(c, key).cost
				case quiet && key != "":
					cost++
				}
			}
			if choice.cost < 0 || cost < choice.cost {
				choice = cfChoice{key: key, cost: cost}
			}
		}
		if memo[f] == nil {
			memo[f] = map[string]cfChoice{}
		}
		memo[f][inherited] = choice
		return choice
	}
	// Folder rules first, a folder before its subfolders; page rules last,
	// so that their detach removes what any folder rule added.
	var folders, pages []headersRule
	var walk func(f *hfolder, inherited string)
	walk = func(f *hfolder, inherited string) {
		key := best(f, inherited).key
		if key != inherited {
			folders = append(folders, folderRule(f, inherited != "", f.linksOf(key)))
		}
		for _, p := range f.pages {
			if p.key != key {
				for _, u := range p.urls {
					pages = append(pages, pageRule(u, key != "", p.links))
				}
			}
		}
		for _, c := range f.sortedChildren() {
			switch {
			case c.npages > 0:
				walk(c, key)
			case quiet && key != "":
				folders = append(folders, folderRule(c, true, nil))
			}
		}
	}
	walk(f, "")
	sort.SliceStable(pages, func(i, j int) bool { return pages[i].pattern < pages[j].pattern })
	return append(folders, pages...)
}

// maxCandidates bounds the sets a folder rule may carry to the most common
// below it: enough for real sites, and the search stays linear in folders.
const maxCandidates = 4

// candidates returns the sets worth a folder rule at f: the inherited one
// first (no rule), then the most common below f, most common first.
func (f *hfolder) candidates(inherited string) []string {
	keys := make([]string, 0, len(f.sets))
	for k := range f.sets {
		if k != inherited {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if f.sets[keys[i]] != f.sets[keys[j]] {
			return f.sets[keys[i]] > f.sets[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > maxCandidates {
		keys = keys[:maxCandidates]
	}
	return append([]string{inherited}, keys...)
}

// linksOf returns the Link values of the set key names, from a page below f.
func (f *hfolder) linksOf(key string) []string {
	var links []string
	found := false
	f.eachPage(func(p *hpage) {
		if !found && p.key == key {
			links, found = p.links, true
		}
	})
	return links
}

// headersPath writes a decoded URL path as a _headers path the way a
// browser sends it (the WHATWG URL path percent-encode set: controls,
// space, " # < > ? ` { }, and every byte outside ASCII; % too, so that the
// path means itself), since the hosts compare the encoded path as it comes.
// The splat (*) and placeholder (:) characters are encoded as well, so the
// path matches only itself.
func headersPath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"#<>?`{}%*:", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
