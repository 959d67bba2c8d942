package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"path"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Options tune a build.
type Options struct {
	// Origin is the site's own origin ("https://docs.example.com"): absolute
	// URLs to it are same-origin. Empty: every absolute URL is external.
	Origin string
	// MaxPageBytes bounds the HTML and CSS files that are parsed; a larger
	// one is still hashed and served, but not read for references.
	// Zero means DefaultMaxPageBytes.
	MaxPageBytes int64
	// Workers is how many files are read at once; zero means GOMAXPROCS.
	Workers int
	// Never holds files that are never site content, wherever the site
	// holds them (see Never): the files a configuration names. nil: none.
	Never *Never
}

// DefaultMaxPageBytes is the largest HTML or CSS file parsed by default.
const DefaultMaxPageBytes = 16 << 20

// Problem is a file the build could not use as it is. The rest of the site
// is built all the same.
type Problem struct {
	Path string // URL path
	Err  error
	// Warning marks a problem that needs no action (the file is served,
	// only not parsed).
	Warning bool
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %v", p.Path, p.Err) }

// Builder crawls a site once and keeps what it read, so that Update can
// apply changed files without reading the rest again. A Builder is not safe
// for concurrent use: one goroutine owns it.
type Builder struct {
	fsys     fs.FS
	opts     Options
	files    map[string]*entry
	problems map[string]Problem
	// pages caches assembled pages; changed holds the file paths read or
	// removed since the last assembly, and reshaped those of them whose
	// change can alter the pages that use them. A file only in changed has
	// new bytes and nothing else new (a stylesheet with the same rules, an
	// image of the same size): its pages just take its new hash and size.
	pages    map[string]assembled
	changed  map[string]bool
	reshaped map[string]bool
	// memoMu guards resolved and styles, which pages assembled at once
	// share (see assembleAll).
	memoMu   sync.Mutex
	resolved map[string]resolved // memo of URL resolution, see resolve
	// prepared holds parses made before the read that will need them, by
	// URL path: Prepare's, and those of a folder walked again. A read
	// takes one only for the same bytes; Update and Rebuild clear them.
	prepared map[string]*entry
	prepBuf  []byte
	// styles holds compiled stylesheets by content hash, see compile;
	// memoMu guards it.
	styles map[string]*compiledSheet
	// encoded holds the JSON of the pages of the last manifest, see seal.
	encoded map[*Page][]byte
}

// entry is what the builder knows of one file.
type entry struct {
	File
	width, height int    // pixel size, for images the decoder knows
	doc           *doc   // HTML pages
	sheet         *sheet // stylesheets
}

// Build crawls fsys and returns its manifest and the problems met on the way.
// The error is non-nil only when the site cannot be read at all.
func Build(fsys fs.FS, opts Options) (*Manifest, []Problem, error) {
	b, err := NewBuilder(fsys, opts)
	if err != nil {
		return nil, nil, err
	}
	return b.Manifest(), b.Problems(), nil
}

// NewBuilder crawls fsys: every file is read and hashed once, HTML pages and
// stylesheets are parsed, on all cores.
func NewBuilder(fsys fs.FS, opts Options) (*Builder, error) {
	if opts.MaxPageBytes == 0 {
		opts.MaxPageBytes = DefaultMaxPageBytes
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	b := &Builder{fsys: fsys, opts: opts, files: map[string]*entry{}, problems: map[string]Problem{},
		pages: map[string]assembled{}, changed: map[string]bool{}, reshaped: map[string]bool{},
		resolved: map[string]resolved{}, prepared: map[string]*entry{}}
	if _, err := fs.Stat(fsys, "."); err != nil {
		return nil, fmt.Errorf("manifest: cannot read the site: %w", err)
	}
	b.read(func(emit func(string), problem func(Problem)) { b.walk(".", emit, problem) })
	return b, nil
}

// Problems returns the problems of the last crawl or update, by path.
func (b *Builder) Problems() []Problem {
	out := make([]Problem, 0, len(b.problems))
	for _, p := range b.problems {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// walk calls emit with each file below dir (an fs.FS path), leaving out
// hidden ones. Symbolic links are followed only to files: fsys decides
// whether their target is inside the site (an os.Root refuses those that
// leave it).
func (b *Builder) walk(dir string, emit func(string), problem func(Problem)) {
	fs.WalkDir(b.fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if !utf8.ValidString(name) {
			problem(*notUTF8(urlPath(name)))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err != nil {
			problem(Problem{Path: urlPath(name), Err: explain(err)})
			return nil
		}
		if name != "." && Hidden(urlPath(name)) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() && b.opts.Never != nil { // files are matched as they are read
			if info, err := fs.Stat(b.fsys, name); err == nil {
				if err := b.opts.Never.Match(info, ""); err != nil {
					problem(Problem{Path: urlPath(name), Err: err})
					return fs.SkipDir
				}
			}
		}
		switch t := d.Type(); {
		case t.IsRegular():
			emit(name)
		case t&fs.ModeSymlink != 0:
			info, err := fs.Stat(b.fsys, name)
			switch {
			case err != nil:
				emit(name) // broken or leaving the site: reading it says which
			case info.IsDir():
				problem(Problem{Path: urlPath(name), Warning: true,
					Err: errors.New("a link to a folder is not followed: copy the folder in (cp -rL) to include it")})
			case info.Mode().IsRegular():
				emit(name)
			}
		}
		// Pipes, sockets and devices are not site content, and opening a
		// pipe would wait for a writer.
		return nil
	})
}

// notUTF8 is the problem of a file or folder whose name is not UTF-8:
// os.Root does not open it, and the manifest's JSON cannot hold its name.
func notUTF8(p string) *Problem {
	return &Problem{Path: p, Err: fmt.Errorf("its name (%q) is not UTF-8, which URLs and the manifest need: rename it (convmv -f latin1 -t utf8 --notest converts names)", p)}
}

func urlPath(name string) string {
	if name == "." {
		return "/"
	}
	return "/" + name
}

type readResult struct {
	path string // URL path
	e    *entry
	prob *Problem
}

// read reads, hashes and parses in parallel the files that feed names (as
// it finds them, so reading starts before a walk ends) and stores the
// results. Each file is read once.
func (b *Builder) read(feed func(emit func(string), problem func(Problem))) (read map[string]bool) {
	read = map[string]bool{}
	work := make(chan string, 64)
	results := make(chan readResult, 64)
	var found []Problem // written by the feeding goroutine until results closes
	// What was read before, for the workers: a page or stylesheet whose
	// bytes are the same is not parsed again. The loop below changes
	// b.files while they read.
	var before map[string]*entry
	if len(b.files) > 0 {
		before = maps.Clone(b.files)
	}
	var wg sync.WaitGroup
	for range b.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := &[]byte{} // reused by this worker for every page it parses
			for name := range work {
				p := urlPath(name)
				e, prob := b.readFile(p, buf, before[p], b.prepared[p])
				results <- readResult{p, e, prob}
			}
		}()
	}
	go func() {
		feed(func(n string) { work <- n }, func(p Problem) { found = append(found, p) })
		close(work)
		wg.Wait()
		close(results)
	}()
	for r := range results {
		p := r.path
		read[p] = true
		old := b.files[p]
		same := sameShape(old, r.e)
		if same && r.prob == nil && old.Hash == r.e.Hash && old.Size == r.e.Size {
			delete(b.problems, p)
			continue // written again with the same bytes: nothing changed
		}
		if !same {
			b.reshaped[p] = true
		}
		delete(b.problems, p)
		delete(b.files, p)
		b.changed[p] = true
		if r.prob != nil {
			b.problems[p] = *r.prob
		}
		if r.e != nil {
			b.files[p] = r.e
		}
	}
	for _, p := range found {
		b.problems[p.Path] = p
	}
	return read
}

// sameShape reports whether a file read again differs from before only in
// its bytes: a page whose extraction was kept (same bytes) or none, the
// same type, the same rules if a stylesheet, the same pixel size if an
// image.
func sameShape(old, e *entry) bool {
	return old != nil && e != nil && old.doc == e.doc && old.Type == e.Type &&
		old.width == e.width && old.height == e.height && (old.sheet == e.sheet || reflect.DeepEqual(old.sheet, e.sheet))
}

// readFile reads one file, at the URL path p. A page or stylesheet is read whole and parsed;
// any other file is streamed through the hash.
//
// known are what was read of the file before (last time, or by Prepare),
// if anything: when the bytes are the same, their extraction is kept.
func (b *Builder) readFile(p string, pbuf *[]byte, known ...*entry) (*entry, *Problem) {
	name := p[1:] // p is urlPath(name), of a file
	fail := func(err error) (*entry, *Problem) {
		return nil, &Problem{Path: p, Err: explain(err)}
	}
	if !utf8.ValidString(name) {
		return nil, notUTF8(p)
	}
	f, err := b.fsys.Open(name)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil // sockets, devices: not site content
	}
	// The file opened (links followed), so a name that changed what it
	// leads to since the walk is judged by what is read.
	if err := b.opts.Never.Match(info, ""); err != nil {
		return nil, &Problem{Path: p, Err: err}
	}
	e := &entry{File: File{Size: info.Size(), Type: ContentType(name)}}
	parse := IsPage(name) || isStylesheet(name)
	var warn *Problem
	if parse && info.Size() > b.opts.MaxPageBytes {
		parse = false
		warn = &Problem{Path: p, Warning: true, Err: fmt.Errorf("%d bytes, over the %d-byte limit for parsing: served, but its references are not read", info.Size(), b.opts.MaxPageBytes)}
	}
	h := sha256.New()
	if parse {
		data, err := readAll(f, info.Size(), pbuf)
		if err != nil {
			return fail(err)
		}
		h.Write(data)
		e.Size = int64(len(data))
		e.Hash = hex.EncodeToString(h.Sum(nil))
		if err := b.opts.Never.Match(nil, e.Hash); err != nil { // a copy
			return nil, &Problem{Path: p, Err: err}
		}
		if k := parsed(e, known); k != nil {
			e.doc, e.sheet = k.doc, k.sheet // extractions are never changed
		} else if err := extract(e, name, data); err != nil {
			return e, &Problem{Path: p, Warning: true, Err: err}
		}
		return e, warn
	} else {
		// The first block is kept to read an image's size from its header.
		buf := grow(pbuf, 64<<10)
		head, err := io.ReadFull(f, buf)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return fail(err)
		}
		h.Write(buf[:head])
		if strings.HasPrefix(e.Type, "image/") {
			e.width, e.height = imageSize(e.Type, buf[:head])
		}
		n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf) // our buffer, not a new one
		if err != nil {
			return fail(err)
		}
		e.Size = int64(head) + n
	}
	e.Hash = hex.EncodeToString(h.Sum(nil))
	if err := b.opts.Never.Match(nil, e.Hash); err != nil { // a copy
		return nil, &Problem{Path: p, Err: err}
	}
	return e, warn
}

// extract parses a page or stylesheet into e. A failure of the parser (a
// bug: it reads any bytes) is the file's problem, not the build's end: the
// file is served, its references not read.
func extract(e *entry, name string, data []byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			e.doc, e.sheet = nil, nil
			err = fmt.Errorf("herald could not parse it (%v): served, but its references are not read; please report this with the file", v)
		}
	}()
	if IsPage(name) {
		e.doc = extractHTML(data)
	} else {
		e.sheet = scanCSS(string(data))
	}
	return nil
}

// parsed returns the first of known with e's bytes and a parse, or nil.
func parsed(e *entry, known []*entry) *entry {
	for _, k := range known {
		if k != nil && k.Hash == e.Hash && k.Size == e.Size && (k.doc != nil || k.sheet != nil) {
			return k
		}
	}
	return nil
}

// Prepare reads and parses the named pages and stylesheets (URL paths) ahead
// of the Update or Rebuild that will apply them, without changing what
// Manifest gives: when that read finds the same bytes, it keeps this parse
// instead of parsing again. A watcher calls it while it waits for a run of
// changes to end, so that applying them costs little more than reading the
// files. Other files, and files not there or unreadable, are left to the
// read that applies them.
func (b *Builder) Prepare(paths ...string) {
	for _, p := range paths {
		p = path.Clean("/" + p)
		name := strings.TrimPrefix(p, "/")
		if !IsPage(name) && !isStylesheet(name) || Hidden(p) {
			continue
		}
		if info, err := fs.Stat(b.fsys, name); err != nil || !info.Mode().IsRegular() {
			continue // a pipe would make the open wait; the read that applies it says more
		}
		e, _ := b.readFile(p, &b.prepBuf, b.files[p], b.prepared[p])
		switch {
		case e == nil || e.doc == nil && e.sheet == nil: // unreadable, or too big to parse
			delete(b.prepared, p)
		case b.files[p] != nil && b.files[p].Hash == e.Hash:
			delete(b.prepared, p) // as it was: the read keeps its parse anyway
		default:
			b.prepared[p] = e
		}
	}
}

// grow returns *pbuf with a length of at least n, growing it if needed.
func grow(pbuf *[]byte, n int) []byte {
	if cap(*pbuf) < n {
		*pbuf = make([]byte, n)
	}
	return (*pbuf)[:n]
}

// readAll reads a file of the given size into *pbuf, reused from call to
// call: parsing keeps copies of what it needs, never the bytes themselves.
// A file that grew while being read is read whole all the same.
func readAll(f io.Reader, size int64, pbuf *[]byte) ([]byte, error) {
	buf := grow(pbuf, max(int(size)+1, 64<<10))
	n, err := io.ReadFull(f, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(f)
	*pbuf = append(buf[:n], rest...)
	return *pbuf, err
}

// explain turns the errors a crawl meets into what the user should do.
func explain(err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: make it readable (chmod) or remove it", err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: it vanished while being read, or it is a broken link", err)
	case strings.Contains(err.Error(), "escapes from parent") || strings.Contains(err.Error(), "path escapes"):
		return fmt.Errorf("%w: a link out of the site is never served: copy the target in instead", err)
	}
	return err
}

// Rebuild reads the whole site again, for when the changes cannot be
// listed (events were lost, or so many files changed that listing them
// costs more). It gives what NewBuilder would, but a page or stylesheet
// whose bytes did not change is not parsed again, and a page none of whose
// files changed is not assembled again: a generator that writes every file
// of a site, most of them as they were, costs little more than reading
// them. On error (the site cannot be read at all) nothing changes.
func (b *Builder) Rebuild() error {
	if _, err := fs.Stat(b.fsys, "."); err != nil {
		return fmt.Errorf("manifest: cannot read the site: %w", err)
	}
	clear(b.problems)
	defer clear(b.prepared)
	read := b.read(func(emit func(string), problem func(Problem)) { b.walk(".", emit, problem) })
	for p := range b.files {
		if !read[p] {
			delete(b.files, p) // not met by the walk: gone
			b.changed[p] = true
			b.reshaped[p] = true
		}
	}
	return nil
}

// Changed reports whether a file was added, removed or changed in content
// since the last call to Manifest.
func (b *Builder) Changed() bool { return len(b.changed) > 0 }

// Update applies changes to the named URL paths (files or folders, added,
// changed or removed) and returns nothing: call Manifest for the result.
func (b *Builder) Update(paths ...string) {
	var names, dirs, viaParent []string
	for _, p := range paths {
		p = path.Clean("/" + p)
		name := strings.TrimPrefix(p, "/")
		if name == "" {
			name = "."
		}
		if !utf8.ValidString(name) {
			// os.Root stats no such name: its folder's walk says whether
			// it is there (and a problem).
			b.remove(p)
			viaParent = append(viaParent, name)
			continue
		}
		info, err := fs.Lstat(b.fsys, name)
		switch {
		case err != nil || Hidden(p) && name != ".":
			b.remove(p)
		case info.Mode()&fs.ModeSymlink != 0 && name != ".":
			b.remove(p)
			viaParent = append(viaParent, name)
		case info.IsDir():
			// Walked again whole (a folder renamed into place, or one whose
			// events were lost): what it held is forgotten, but the parses
			// of its pages and stylesheets are kept for the same bytes.
			for k, e := range b.parsesBelow(p) {
				if b.prepared[k] == nil {
					b.prepared[k] = e
				}
			}
			b.remove(p)
			dirs = append(dirs, name)
		case !info.Mode().IsRegular():
			b.remove(p) // a pipe, socket or device: not content
		default:
			b.removeBelow(p) // it may have been a folder
			names = append(names, name)
		}
	}
	defer clear(b.prepared) // kept parses not read again are of files gone; Prepare's are used or outdated
	b.read(func(emit func(string), problem func(Problem)) {
		for _, n := range names {
			emit(n)
		}
		for _, d := range dirs {
			b.walk(d, emit, problem)
		}
		// A link is taken as the walk of its folder takes it (a link to a
		// folder is not followed; a broken one is a problem), and so is a
		// name os.Root cannot use, so the walk goes over its folder,
		// keeping only that name.
		for _, l := range viaParent {
			only := func(n string) bool { return n == l }
			b.walk(path.Dir(l), func(n string) {
				if only(n) {
					emit(n)
				}
			}, func(pr Problem) {
				if only(strings.TrimPrefix(pr.Path, "/")) {
					problem(pr)
				}
			})
		}
	})
}

// parsesBelow returns the entries below the folder p that hold a parse.
func (b *Builder) parsesBelow(p string) map[string]*entry {
	prefix := strings.TrimSuffix(p, "/") + "/"
	kept := map[string]*entry{}
	for k, e := range b.files {
		if strings.HasPrefix(k, prefix) && (e.doc != nil || e.sheet != nil) {
			kept[k] = e
		}
	}
	return kept
}

// remove forgets the file at p and everything below it.
func (b *Builder) remove(p string) {
	prefix := strings.TrimSuffix(p, "/") + "/"
	b.forget(func(k string) bool { return k == p || strings.HasPrefix(k, prefix) })
}

// removeBelow forgets everything below p, a folder that may be a file now.
func (b *Builder) removeBelow(p string) {
	prefix := strings.TrimSuffix(p, "/") + "/"
	b.forget(func(k string) bool { return strings.HasPrefix(k, prefix) })
}

func (b *Builder) forget(match func(string) bool) {
	for k := range b.files {
		if match(k) {
			delete(b.files, k)
			b.changed[k] = true
			b.reshaped[k] = true
		}
	}
	for k := range b.problems {
		if match(k) {
			delete(b.problems, k)
		}
	}
}

// svgSize reads the natural size of an SVG image from the width and
// height of its root element, in pixels (a number, or one with "px"); 0
// when they are absent or in other units (the image then takes its size
// from the page, or the browser's default).
func svgSize(head []byte) (w, h int) {
	d := xml.NewDecoder(bytes.NewReader(head))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return 0, 0
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local != "svg" {
			return 0, 0
		}
		px := func(v string) int {
			v = strings.TrimSuffix(strings.TrimSpace(v), "px")
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1<<20 {
				return 0
			}
			return int(math.Round(f))
		}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "width":
				w = px(a.Value)
			case "height":
				h = px(a.Value)
			}
		}
		if w == 0 || h == 0 {
			return 0, 0
		}
		return w, h
	}
}
