package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"herald/compress"
	"herald/manifest"
)

// The manifest is the list of what is served: a request names a file only
// through the routes built from the manifest's Files, so a path the build
// did not see (a dotfile, the manifest itself, a link out of the site, a
// traversal) is not found before the file system is ever asked. The file
// system is asked only for names the build read through the same fs.FS,
// and an os.Root's FS refuses again anything that would leave the folder.

// Hot small files are kept in memory so that the common responses cost no
// open, stat or read: a file of at most cacheMaxFile bytes is cached on its
// second request while the cache holds less than cacheMaxTotal bytes.
// Everything else is read from the file system on every request. 256 KiB
// holds the pages of documentation sites (the Python docs' median page is
// 50 KB, and 60 of its 66 files in the mix workload are smaller); caching
// them rather than only files to 64 KiB measured about 10 % more requests
// per second on that workload for about 4 MiB more peak RSS.
const (
	cacheMaxFile  = 256 << 10
	cacheMaxTotal = 16 << 20
	cacheAfter    = 2 // requests before a file is cached
)

// immutableCacheControl is sent for files whose name carries a content hash.
const immutableCacheControl = "public, max-age=31536000, immutable"

// fileEntry is what the handler knows of one file of the manifest, all of it
// worked out once per manifest.
type fileEntry struct {
	name string // fs.FS name, "dir/a.css"
	size int64
	hash string // hex sha256 of the bytes, from the manifest

	etag         []string // strong ETag from hash
	contentType  []string
	cacheControl []string
	html         bool

	// variants are precompressed siblings (a.css.br, ...), best first.
	variants []variant
	// codedEtag is the ETag of each encoded form herald makes itself, set
	// when the file's type gains from compression (compress.Compressible).
	codedEtag [4][]string
	// bestEtag is the ETag of the brotli form at best quality
	// (compress.BestETag), set with codedEtag.
	bestEtag []string
	// page is set for an HTML page of the manifest. Manifests share
	// unchanged pages, so a plan is made again only for a page that changed.
	page *lazyPlan

	hits   atomic.Int32
	stamp  atomic.Pointer[stamp]
	cached atomic.Pointer[cachedFile]
}

// variant is a precompressed form of a file.
type variant struct {
	coding string // "br", "zstd", "gzip"
	file   *fileEntry
	header []string // Content-Encoding value
	etag   []string // the sibling's own hash: distinct from the plain file's
}

// cachedFile is a file's bytes held in memory, checked against its hash.
type cachedFile struct {
	data         []byte
	modTime      time.Time
	lastModified []string // modTime as a Last-Modified value; nil for no time
}

func newCachedFile(data []byte, modTime time.Time) *cachedFile {
	c := &cachedFile{data: data, modTime: modTime}
	if !modTime.IsZero() && !modTime.Equal(time.Unix(0, 0)) { // as http.ServeContent decides
		c.lastModified = header(modTime.UTC().Format(http.TimeFormat))
	}
	return c
}

// encodings are the precompressed siblings herald looks for, in order of
// preference when a client accepts several.
var encodings = []struct{ ext, coding string }{{".br", "br"}, {".zst", "zstd"}, {".gz", "gzip"}}

// header returns a one-value header slice that an append never shares.
func header(v string) []string { return []string{v}[:1:1] }

func etagOf(hash string) []string {
	if len(hash) > 32 {
		hash = hash[:32] // 128 bits of sha256 name the bytes well enough
	}
	return header(`"` + hash + `"`)
}

// newFileEntry makes the entry of the manifest file at urlPath.
func newFileEntry(urlPath string, f manifest.File, opts *Options) *fileEntry {
	e := &fileEntry{name: strings.TrimPrefix(urlPath, "/"), size: f.Size, hash: f.Hash}
	if f.Hash != "" {
		e.etag = etagOf(f.Hash)
	}
	ct := f.Type
	if ct == "" {
		ct = manifest.ContentType(urlPath)
	}
	e.contentType = header(ct)
	if opts.Compress && f.Hash != "" && compress.Compressible(ct) {
		for _, c := range compress.Preferred {
			e.codedEtag[c] = header(compress.ETag(f.Hash, c))
		}
		e.bestEtag = header(compress.BestETag(f.Hash))
	}
	e.html = manifest.IsPage(urlPath)
	switch {
	case e.html:
		e.cacheControl = header(opts.HTMLCacheControl)
	case opts.Immutable(urlPath):
		e.cacheControl = header(immutableCacheControl)
	default:
		e.cacheControl = header(opts.AssetCacheControl)
	}
	if e.cacheControl[0] == "" {
		e.cacheControl = nil
	}
	return e
}

// linkVariants attaches to each file its precompressed siblings, best
// first. It looks only at the names that end like one (a.css.br names
// a.css), so a site without any costs a pass over its names per encoding.
func linkVariants(files map[string]*fileEntry) {
	for _, enc := range encodings {
		for p, sib := range files {
			base, ok := strings.CutSuffix(p, enc.ext)
			if !ok || sib.hash == "" {
				continue
			}
			if e := files[base]; e != nil {
				e.variants = append(e.variants, variant{coding: enc.coding, file: sib,
					header: header(enc.coding), etag: etagOf(sib.hash)})
			}
		}
	}
}

// hashLike reports whether a file name carries a content hash, as bundlers
// write them: app.3f9a2b1c.js, main-8f3e2a9d0c.css.
func hashLike(urlPath string) bool {
	base := path.Base(urlPath)
	for _, seg := range strings.FieldsFunc(base, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if len(seg) < 8 || len(seg) > 64 {
			continue
		}
		digits, letters := 0, 0
		for i := 0; i < len(seg); i++ {
			switch c := seg[i]; {
			case c >= '0' && c <= '9':
				digits++
			case c >= 'a' && c <= 'f':
				letters++
			default:
				digits, letters = -1, -1
			}
			if digits < 0 {
				break
			}
		}
		if digits > 0 && (letters > 0 || len(seg) >= 16) {
			return true
		}
	}
	return false
}

// negotiate picks the form of e the client accepts best: a precompressed
// sibling (v), a form herald makes (coding, v nil), or the file itself
// (compress.Identity). vary reports whether the answer depends on
// Accept-Encoding.
func (e *fileEntry) negotiate(r *http.Request) (coding compress.Coding, v *variant, vary bool) {
	var offered compress.Set
	for i := range e.variants {
		if c, ok := compress.ParseCoding(e.variants[i].coding); ok {
			offered = offered.With(c)
		}
	}
	if offered == 0 && e.codedEtag[compress.Zstd] != nil {
		// The site's own siblings, when it has some, are its choice of
		// codings and levels: herald makes forms only for a file without.
		offered = compress.All
	}
	if offered == 0 {
		return compress.Identity, nil, false
	}
	coding = compress.Negotiate(r.Header["Accept-Encoding"], offered)
	for i := range e.variants {
		if e.variants[i].coding == coding.String() {
			return coding, &e.variants[i], true
		}
	}
	return coding, nil, true
}

// content is a file's bytes ready for http.ServeContent.
type content struct {
	r       io.ReadSeeker
	modTime time.Time
	// lastModified is modTime formatted, when worked out beforehand.
	lastModified []string
	// verified is false when the bytes may not be those the manifest's hash
	// names (the file changed since the build): no ETag is then sent.
	verified bool
	close    func() error
}

// open returns the content of e: from memory when cached, else from the file
// system, caching it when it is small and asked for often enough.
func (s *state) open(e *fileEntry) (content, error) {
	if c := e.cached.Load(); c != nil {
		return content{r: newMemFile(c.data), modTime: c.modTime, lastModified: c.lastModified, verified: true}, nil
	}
	f, err := s.fsys.Open(e.name)
	if err != nil {
		return content{}, err
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return content{}, err
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		// A file that cannot seek is read whole (bundles serve seekable
		// files; this is the fallback of other file systems).
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return content{}, err
		}
		return content{r: newMemFile(data), modTime: info.ModTime(), verified: sha256Hex(data) == e.hash}, nil
	}
	verified, err := e.verify(rs, info)
	if err != nil {
		f.Close()
		return content{}, err
	}
	if verified && e.size <= cacheMaxFile && e.hits.Add(1) >= cacheAfter &&
		s.cacheBytes.Load()+e.size <= cacheMaxTotal {
		c, same := s.fill(e, rs, info.ModTime())
		if c != nil {
			f.Close()
			return content{r: newMemFile(c.data), modTime: c.modTime, lastModified: c.lastModified, verified: true}, nil
		}
		if !same {
			// Rewritten without a change of size or time: the stamp was
			// wrong, and so would the ETag be.
			verified = false
			e.stamp.Store(&stamp{modTime: info.ModTime(), size: info.Size(), ok: false})
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return content{}, err
		}
	}
	return content{r: rs, modTime: info.ModTime(), verified: verified, close: f.Close}, nil
}

// fill reads a small file into the cache if its bytes match its hash, and
// returns it cached. It returns nil when it could not read the file, and
// nil and false when the bytes are not those of the hash.
func (s *state) fill(e *fileEntry, f io.Reader, modTime time.Time) (c *cachedFile, same bool) {
	data := make([]byte, e.size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, true
	}
	if sha256Hex(data) != e.hash {
		return nil, false // changed since the build: wait for the new manifest
	}
	c = newCachedFile(data, modTime)
	if e.cached.CompareAndSwap(nil, c) {
		s.cacheBytes.Add(e.size)
		return c, true
	}
	return e.cached.Load(), true
}

// verify reports whether the file f, described by info, holds the bytes the
// manifest's hash names. It reads and hashes the file once; later it only
// compares the file's size and modification time with those it checked.
func (e *fileEntry) verify(f io.ReadSeeker, info fs.FileInfo) (bool, error) {
	if info.Size() != e.size || e.hash == "" {
		return false, nil
	}
	if st := e.stamp.Load(); st != nil && st.size == info.Size() && st.modTime.Equal(info.ModTime()) {
		return st.ok, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	ok := hex.EncodeToString(h.Sum(nil)) == e.hash
	e.stamp.Store(&stamp{modTime: info.ModTime(), size: info.Size(), ok: ok})
	return ok, nil
}

// stamp is the state of a file when its bytes were last checked.
type stamp struct {
	modTime time.Time
	size    int64
	ok      bool
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// serveFile answers with the file of e (or its best precompressed form),
// leaving ranges and conditional requests to http.ServeContent.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, s *state, e *fileEntry) {
	hdr := w.Header()
	hdr["Content-Type"] = e.contentType
	if e.cacheControl != nil {
		hdr["Cache-Control"] = e.cacheControl
	}
	src, etag := e, e.etag
	coding, v, vary := e.negotiate(r)
	if vary {
		hdr["Vary"] = withExtra(h.extraVary, varyAcceptEncoding)
	}
	switch {
	case v != nil:
		src, etag = v.file, v.etag
		hdr["Content-Encoding"] = v.header
	case coding != compress.Identity:
		// No sibling: offered were every coding (negotiate), and the first
		// of the ranking is coding.
		order := compress.Ranked(r.Header["Accept-Encoding"], compress.All)
		if form := h.pick(s, e, order[:]); form.Data != nil {
			data := form.Data
			hdr["Content-Encoding"] = codingHeader[form.Coding]
			hdr["Etag"] = e.codedEtag[form.Coding]
			if form.Best {
				hdr["Etag"] = e.bestEtag
			}
			// http.ServeContent leaves Content-Length out of a whole
			// response with a Content-Encoding; it sets its own for a
			// range, and drops it from a 304 or an error.
			hdr["Content-Length"] = header(strconv.Itoa(len(data)))
			serveContent(w, r, time.Time{}, newMemFile(data)) // written from where it is, without a copy
			return
		}
	}
	c, err := s.open(src)
	if err != nil {
		h.openFailed(w, r, s, src, err)
		return
	}
	if c.close != nil {
		defer c.close()
	}
	if c.verified && etag != nil {
		hdr["Etag"] = etag
	}
	if v != nil { // as above: http.ServeContent would leave it out
		if size, err := c.r.Seek(0, io.SeekEnd); err == nil {
			if _, err := c.r.Seek(0, io.SeekStart); err == nil {
				hdr["Content-Length"] = header(strconv.FormatInt(size, 10))
			}
		}
	}
	modTime := c.modTime
	if c.lastModified != nil && !dateConditional(r) {
		// The same header, without http.ServeContent formatting the time
		// again (and growing the goroutine's stack to do it): the time
		// matters to it only for the conditions that compare dates.
		hdr["Last-Modified"] = c.lastModified
		modTime = time.Time{}
	}
	serveContent(w, r, modTime, c.r)
}

// dateConditional reports whether a request has a condition on the
// modification time of what it asks for.
func dateConditional(r *http.Request) bool {
	h := r.Header
	return h["If-Modified-Since"] != nil || h["If-Unmodified-Since"] != nil || h["If-Range"] != nil
}

// serveContent is http.ServeContent with a pooled copy buffer. ServeContent
// copies through an io.LimitedReader, which hides the file's own WriteTo, so
// a writer without ReadFrom (HTTP/2's) would get a new buffer of up to 32 KiB
// per response; a stream waiting on flow control holds its buffer, and
// hundreds of streams wait at once under load. HTTP/1's writer has ReadFrom
// (sendfile from a file) and is left alone.
func serveContent(w http.ResponseWriter, r *http.Request, modTime time.Time, content io.ReadSeeker) {
	if _, ok := w.(io.ReaderFrom); !ok {
		w = &copyWriter{w}
	}
	if rg := r.Header["Range"]; len(rg) == 1 && strings.Contains(rg[0], "-0") {
		r = withoutZeroSuffixes(r, rg[0], content)
	}
	http.ServeContent(w, r, "", modTime, content)
}

// withoutZeroSuffixes returns r without the ranges "-0" of its Range: the
// last zero bytes, which RFC 9110 (14.1.1) calls unsatisfiable, and which
// http.ServeContent answers with a 206 and an invalid Content-Range. When
// nothing else is asked for, the Range left is one past the end, which
// ServeContent answers with 416 (after the conditions that come first).
func withoutZeroSuffixes(r *http.Request, rg string, content io.ReadSeeker) *http.Request {
	specs, ok := strings.CutPrefix(rg, "bytes=")
	if !ok {
		return r
	}
	var kept []string
	for spec := range strings.SplitSeq(specs, ",") {
		spec = strings.TrimSpace(spec)
		if digits, suffix := strings.CutPrefix(spec, "-"); suffix && digits != "" && strings.Trim(digits, "0") == "" {
			continue
		}
		kept = append(kept, spec)
	}
	if len(kept) > 0 && len(kept) == strings.Count(specs, ",")+1 {
		return r // no zero suffix after all
	}
	if len(kept) == 0 {
		size, err := content.Seek(0, io.SeekEnd)
		if err != nil {
			return r
		}
		if _, err := content.Seek(0, io.SeekStart); err != nil {
			return r
		}
		kept = append(kept, strconv.FormatInt(size, 10)+"-")
	}
	r2 := *r
	r2.Header = r.Header.Clone()
	r2.Header["Range"] = []string{"bytes=" + strings.Join(kept, ",")}
	return &r2
}

type copyWriter struct{ http.ResponseWriter }

// copyBufSize is the pooled copy buffer's size: two DATA frames a Write.
// 16 KiB saved 6 MiB of peak RSS under the mix workload and cost about 12 %
// of its requests per second.
const copyBufSize = 32 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

func (w *copyWriter) ReadFrom(src io.Reader) (int64, error) {
	// A file in memory is written from where it is, a buffer's worth at a
	// time, without a copy: ServeContent hands it over as a LimitedReader.
	if lr, ok := src.(*io.LimitedReader); ok {
		if m, ok := lr.R.(*memFile); ok {
			return m.writeTo(w.ResponseWriter, lr)
		}
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(w.ResponseWriter, src, *bp)
}

// memFile is the content of a file held in memory.
type memFile struct {
	*bytes.Reader
	data []byte
}

func newMemFile(data []byte) *memFile { return &memFile{bytes.NewReader(data), data} }

// writeTo writes what lr would read of m to w, copyBufSize bytes a Write,
// the writes the pooled buffer would make.
func (m *memFile) writeTo(w io.Writer, lr *io.LimitedReader) (int64, error) {
	off := m.Size() - int64(m.Len())
	rest := m.data[off : off+min(lr.N, int64(m.Len()))]
	var n int64
	for len(rest) > 0 {
		k, err := w.Write(rest[:min(len(rest), copyBufSize)])
		n += int64(k)
		rest = rest[k:]
		if err != nil {
			m.Seek(off+n, io.SeekStart)
			lr.N -= n
			return n, err
		}
	}
	m.Seek(off+n, io.SeekStart)
	lr.N -= n
	return n, nil
}

func (w *copyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var varyAcceptEncoding = header("Accept-Encoding")

// codingHeader is the Content-Encoding value of each coding.
var codingHeader = [...][]string{compress.Gzip: header("gzip"), compress.Brotli: header("br"), compress.Zstd: header("zstd")}

// openFailed answers a manifest file that cannot be opened: removed since
// the build, or refused by the file system (a link out of an os.Root). The
// client learns only that it is not found.
func (h *Handler) openFailed(w http.ResponseWriter, r *http.Request, s *state, e *fileEntry, err error) {
	h.logger.Debug("cannot open a file of the manifest", "file", e.name, "err", err)
	hdr := w.Header()
	for _, k := range []string{"Content-Encoding", "Cache-Control", "Etag"} {
		delete(hdr, k)
	}
	restore(hdr, "Vary", h.extraVary)
	restore(hdr, "Link", h.extraLink)
	// Nothing of the page was sent: its assets must not count as delivered.
	if c := hdr["Set-Cookie"]; c != nil {
		hdr["Set-Cookie"] = slices.DeleteFunc(slices.Clone(c), func(v string) bool { return strings.HasPrefix(v, digestCookie+"=") })
		if len(hdr["Set-Cookie"]) == 0 {
			delete(hdr, "Set-Cookie")
		}
	}
	h.notFound(w, r, s)
}

// notFound answers 404 with the site's own page when it has one.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, s *state) {
	if e := s.notFound; e != nil && h.serveStatus(w, r, s, e, http.StatusNotFound) {
		return
	}
	w.Header()["Cache-Control"] = noCache
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// serveStatus answers with the file of e and the status code (a 404 page,
// a rule's 404 or 410). It returns false, having sent nothing, when the
// file cannot be read.
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request, s *state, e *fileEntry, code int) bool {
	c, err := s.open(e)
	if err != nil {
		return false
	}
	if c.close != nil {
		defer c.close()
	}
	size, err := c.r.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = c.r.Seek(0, io.SeekStart)
	}
	if err != nil {
		return false
	}
	hdr := w.Header()
	hdr["Content-Type"] = e.contentType
	hdr["Cache-Control"] = noCache
	hdr.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		io.Copy(w, c.r)
	}
	return true
}

var noCache = header("no-cache")
