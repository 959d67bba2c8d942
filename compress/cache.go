package compress

import (
	"bytes"
	"cmp"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMemoryBudget is the default bound on the encoded bytes a Cache
// holds in memory. A docs site's critical assets and most-read pages fit:
// the python docs index and its critical assets are 117 KB in zstd.
const DefaultMemoryBudget = 16 << 20

// DefaultWorkMemory is the default bound on the memory of the compressions
// under way: their encoders and the forms being made (Encoder.weight). It
// holds two brotli compressions of files up to 1 MiB, so that a request
// for a form not yet made gets it while the warmer makes another, or one
// of a file of 7 MiB; a larger one runs alone. With it a cold herald serve
// (no form on disk yet) under the mix workload peaked at 60 MiB of RSS,
// against 56 MiB with every form on disk (README, performance).
const DefaultWorkMemory = 12 << 20

// DefaultDiskBudget is the default bound on the bytes a Cache keeps on
// disk. The forms of every text file of the python docs, the largest site
// of the tests (67 MB), in brotli and gzip take 31 MB.
const DefaultDiskBudget = 256 << 20

// DefaultBestBudget is the default bound on the bytes of the brotli forms
// at best quality (brotliBest) the warmer makes: past it, critical assets
// keep their brotli 6 form. The critical assets of every page of the python
// docs come to a fraction of it.
const DefaultBestBudget = 7 << 20

// QuietFor is how long no request must have come before the warmer makes
// a brotli form at best quality: 30 times the work of brotli 6 and the
// largest encoder, kept off the bursts of requests. A request that comes
// while one is made stops it (its memory is let go); it is made again at
// the next quiet.
const QuietFor = time.Second

// ErrChanged is returned when a file's bytes are no longer those its hash
// names: it changed since the hash was taken, and its encoded forms must
// wait for the new hash.
var ErrChanged = errors.New("compress: the bytes are not those of the hash")

// Options configure a Cache.
type Options struct {
	// Dir is the folder that keeps encoded forms across restarts ("" keeps
	// none); DefaultDir is the usual one.
	Dir string
	// MemoryBudget bounds the encoded bytes held in memory; 0 means
	// DefaultMemoryBudget.
	MemoryBudget int64
	// DiskBudget bounds the bytes kept in Dir; 0 means DefaultDiskBudget.
	// Beyond it the forms least recently used go first (see prune).
	DiskBudget int64
	// WorkMemory bounds the memory of the compressions under way; 0 means
	// DefaultWorkMemory. A request that finds it taken for MaxWait gets no
	// form (Get).
	WorkMemory int64
	// Codings are those the warmer makes; 0 means All.
	Codings Set
	// BestBudget bounds the bytes of the brotli forms at best quality the
	// warmer makes of critical assets, once requests are quiet (QuietFor);
	// 0 means DefaultBestBudget, below 0 none is made.
	BestBudget int64
}

// DefaultDir returns the cache folder in the user's cache folder:
// os.UserCacheDir()/herald/compressed-v1.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "herald", "compressed-v1"), nil
}

// File is a file to compress: the hash of its bytes (hex sha256), their
// size, and how to read them. Open is called at most once per form made,
// after the memory of the compression is reserved, and what it returns is
// read once, to its end or to the form's limit, then closed.
type File struct {
	Hash string
	Size int64
	Open func() (io.ReadCloser, error)
}

// Cache holds the encoded forms of files by (content hash, coding), each
// made once: in memory under a byte budget (least recently used out first),
// and on disk when it has a folder, so a restart does not compress again.
// A file's forms follow its hash, so an edited file never gets the forms of
// its old bytes. Its methods are safe for concurrent use.
type Cache struct {
	dir        string
	budget     int64
	diskBudget int64
	codings    Set
	enc        *Encoder
	bestBudget int64
	born       time.Time
	// seen is when a request last asked for a form (Get, Pick), as the
	// time since born: the warmer makes brotliBest forms only after
	// QuietFor without one.
	seen atomic.Int64

	mu      sync.Mutex // guards lru, entries, bytes, flights and the warmer's queue
	lru     list.List  // of *entry, most recently used at the front
	entries map[key]*list.Element
	bytes   int64
	flights map[key]*flight
	// bestOnDisk holds the hashes whose brotliBest form this Cache wrote
	// to or read from dir: one that has left memory is read back from there
	// for the next request (best), rather than brotli 6 going out until the
	// next Warm. At most maxBestOnDisk hashes.
	bestOnDisk map[string]struct{}

	warmer

	diskMu      sync.Mutex // guards diskBytes and diskCounted
	diskBytes   int64      // bytes in dir, counted once then kept up to date
	diskCounted bool

	compressed, diskHits atomic.Int64
	// brotliBest forms made, and the bytes of those made or read from the
	// disk by the warmer (held against bestBudget).
	bestMade, bestBytes atomic.Int64
	// What Get found: the form in memory, on disk, or neither (made for
	// it, or by a compression under way that it waited for), or that the
	// memory of compressions was taken, and then whether another coding
	// already made went instead.
	getMemory, getDisk, getMiss, getBusy, getFallback atomic.Int64
}

type key struct {
	hash string
	c    Coding
}

// entry is an encoded form; data is nil when the coding is not worth it
// (Worth) and the file goes out as it is.
type entry struct {
	key  key
	data []byte
}

// entryOverhead is what an entry costs in memory beside its bytes.
const entryOverhead = 200

// flight is a compression under way, which later Gets of the same key wait
// for rather than compress again.
type flight struct {
	done chan struct{}
	e    *entry
	err  error
}

// New returns a Cache. Its warmer starts with the first Warm; Close
// stops it. A process has one Cache, which its handlers share: forms are
// keyed by content hash, whatever the site.
func New(opts Options) *Cache {
	c := &Cache{dir: opts.Dir, budget: opts.MemoryBudget, diskBudget: opts.DiskBudget,
		codings: opts.Codings, enc: newEncoder(2, cmp.Or(opts.WorkMemory, DefaultWorkMemory)),
		bestBudget: cmp.Or(opts.BestBudget, DefaultBestBudget), born: time.Now(),
		entries: map[key]*list.Element{}, flights: map[key]*flight{}, bestOnDisk: map[string]struct{}{}}
	if c.budget <= 0 {
		c.budget = DefaultMemoryBudget
	}
	if c.diskBudget <= 0 {
		c.diskBudget = DefaultDiskBudget
	}
	if c.codings == 0 {
		c.codings = All
	}
	c.initWarmer()
	return c
}

// Get returns the bytes of f encoded in coding cd: from memory, else from
// disk, else compressed now from f (whose bytes must match its hash and
// size, or Get returns ErrChanged). Concurrent Gets of one (hash, coding)
// compress once; the others wait for it. Get returns nil bytes and no
// error when cd does not make the file worth sending encoded, for
// Identity, and when the compressions under way hold the Cache's
// WorkMemory for longer than MaxWait: a request does not wait long for
// memory, it is sent the file as it is (counted in Stats.GetBusy), and a
// later one gets the form.
func (c *Cache) Get(f File, cd Coding) ([]byte, error) {
	if cd == Identity {
		return nil, nil
	}
	c.saw()
	data, err := c.get(f, cd)
	if err == errBusy {
		c.getBusy.Add(1)
		return nil, nil
	}
	return data, err
}

// Form is the encoded form of a file Pick chose for a request.
type Form struct {
	Data   []byte // nil: send the file as it is
	Coding Coding // the Content-Encoding of Data
	// Best is set for brotli at its best quality, whose ETag is BestETag's.
	Best bool
}

// Pick returns the form of f to send to a client that accepts the codings
// of order, its preferred first (Ranked lists them), as Get does for the
// first, with two differences. For brotli, the form at best quality is
// sent when the warmer has made it and it is in memory. And when the
// memory of compressions is taken, a form already made in another coding
// of order (in memory or on disk) goes instead of the file as it is:
// gzip, which the warmer makes with brotli, rather than three to five
// times the bytes (counted in Stats.GetFallback).
func (c *Cache) Pick(f File, order ...Coding) (Form, error) {
	if len(order) == 0 || order[0] == Identity {
		return Form{}, nil
	}
	c.saw()
	if order[0] == Brotli {
		if data, from := c.best(f.Hash); data != nil {
			if from == fromDisk {
				c.getDisk.Add(1)
			} else {
				c.getMemory.Add(1)
			}
			return Form{Data: data, Coding: Brotli, Best: true}, nil
		}
	}
	data, err := c.get(f, order[0])
	if err != errBusy {
		return Form{Data: data, Coding: order[0]}, err
	}
	for _, cd := range order[1:] {
		if cd == Identity {
			break
		}
		if form, ok := c.ready(f.Hash, cd); ok {
			c.getFallback.Add(1)
			return form, nil
		}
	}
	c.getBusy.Add(1)
	return Form{}, nil
}

// ready returns the form of hash in cd when it is made already, in memory
// or on disk, without making it; ok is false when there is none or it is
// not worth sending.
func (c *Cache) ready(hash string, cd Coding) (_ Form, ok bool) {
	if cd == Brotli {
		if data := c.Best(hash); data != nil {
			return Form{Data: data, Coding: Brotli, Best: true}, true
		}
	}
	data, ok := c.Peek(hash, cd)
	if !ok {
		e := c.readDisk(key{hash, cd})
		if e == nil {
			return Form{}, false
		}
		c.diskHits.Add(1)
		c.keep(e)
		data = e.data
	}
	return Form{Data: data, Coding: cd}, data != nil
}

// saw notes that a request asked for a form now.
func (c *Cache) saw() { c.seen.Store(int64(time.Since(c.born))) }

// quietLeft returns how long until no request will have come for QuietFor.
func (c *Cache) quietLeft() time.Duration {
	return QuietFor - (time.Since(c.born) - time.Duration(c.seen.Load()))
}

// get is Get without its count of a busy answer, which it returns as
// errBusy.
func (c *Cache) get(f File, cd Coding) ([]byte, error) {
	e, from, err := c.load(key{f.Hash, cd}, f, true, false)
	switch {
	case err == errBusy:
		return nil, errBusy
	case from == fromMemory:
		c.getMemory.Add(1)
	case from == fromDisk:
		c.getDisk.Add(1)
	default:
		c.getMiss.Add(1)
	}
	if err != nil {
		return nil, err
	}
	return e.data, nil
}

// Make is Get that waits for the memory of its compression rather than
// answer without a form: for work off a request's path, such as a report
// of the sizes of a page's assets. It counts in no Stats but Compressed
// and DiskHits.
func (c *Cache) Make(f File, cd Coding) ([]byte, error) {
	if cd == Identity {
		return nil, nil
	}
	e, _, err := c.load(key{f.Hash, cd}, f, true, true)
	if err != nil {
		return nil, err
	}
	return e.data, nil
}

// MaxWait is how long Get waits for the memory of a compression before it
// gives up and the file goes out as it is. A page and the assets pushed
// with it ask for their forms at once, and a small file takes milliseconds
// to compress: they wait for one another rather than go out uncompressed.
const MaxWait = 200 * time.Millisecond

// errBusy is a compression not started: the Cache's WorkMemory is taken.
var errBusy = errors.New("compress: the memory of compressions is taken")

// Where load found a form.
const (
	fromMemory = iota
	fromDisk
	fromMade // compressed now, or waited for a compression under way
)

// Peek returns the encoded form held in memory, without waiting or reading
// the disk: ok is false when it is not there.
func (c *Cache) Peek(hash string, cd Coding) (data []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[key{hash, cd}]; el != nil {
		c.lru.MoveToFront(el)
		return el.Value.(*entry).data, true
	}
	return nil, false
}

// Stats are a Cache's counters.
type Stats struct {
	Compressed  int64 // encoded forms made (for Get and by the warmer)
	DiskHits    int64 // encoded forms read from the disk (for Get and by the warmer)
	MemoryBytes int64 // encoded bytes held in memory

	// The answers of Get (a request's), by where the form was: in memory,
	// on disk, or neither (a miss: made for it, or by a compression under
	// way that it waited for), or none, the memory of compressions being
	// taken (busy: the file went out as it is). Identity asks nothing and
	// counts nowhere. GetFallback counts the answers of Pick that found
	// the memory taken and sent a form of another coding already made.
	GetMemory, GetDisk, GetMiss, GetBusy, GetFallback int64

	// BestMade counts the brotli forms at best quality made (not in
	// Compressed); BestPending is those the warmer has yet to look at, or
	// is making (each waits for requests to be quiet, QuietFor).
	BestMade, BestPending int64
}

func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Compressed: c.compressed.Load(), DiskHits: c.diskHits.Load(), MemoryBytes: c.bytes,
		GetMemory: c.getMemory.Load(), GetDisk: c.getDisk.Load(), GetMiss: c.getMiss.Load(),
		GetBusy: c.getBusy.Load(), GetFallback: c.getFallback.Load(), BestMade: c.bestMade.Load(),
		BestPending: int64(c.queuedBest())}
	if c.busyBest {
		s.BestPending++
	}
	return s
}

// load returns the entry of k, keeping it in memory when keep is set, and
// where it was found. With wait it waits for the memory of a compression;
// without, it returns errBusy when it is taken, and so when the compression
// under way it waits for found it taken.
func (c *Cache) load(k key, src File, keep, wait bool) (_ *entry, from int, _ error) {
	c.mu.Lock()
	if el := c.entries[k]; el != nil {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*entry), fromMemory, nil
	}
	if f := c.flights[k]; f != nil {
		c.mu.Unlock()
		<-f.done
		if f.err == errBusy && wait {
			return c.load(k, src, keep, wait)
		}
		if f.err == nil && keep {
			c.keep(f.e)
		}
		return f.e, fromMade, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, k)
		c.mu.Unlock()
		if f.e == nil && f.err == nil {
			f.err = errors.New("compress: the source panicked")
		}
		close(f.done)
	}()
	f.e, from, f.err = c.produce(k, src, wait)
	if f.err == nil && keep {
		c.keep(f.e)
	}
	return f.e, from, f.err
}

// produce reads k's form from disk or makes it from src, once the memory
// of the compression is reserved (waiting for it with wait, else for at
// most MaxWait, then errBusy), so that the file is not opened before.
func (c *Cache) produce(k key, src File, wait bool) (_ *entry, from int, _ error) {
	if e := c.readDisk(k); e != nil {
		c.diskHits.Add(1)
		return e, fromDisk, nil
	}
	ctx := context.Background()
	if !wait {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, MaxWait)
		defer cancel()
	}
	release, ok := c.enc.reserve(ctx, k.c, src.Size)
	if !ok {
		return nil, fromMade, errBusy
	}
	defer release()
	data, err := c.encodeFile(k, src)
	if err != nil {
		return nil, fromMade, err
	}
	e := &entry{key: k, data: data}
	if k.c == brotliBest {
		c.bestMade.Add(1)
	} else {
		c.compressed.Add(1)
	}
	// A form not kept is made again: nothing to report.
	if err := c.writeDisk(e); err == nil && k.c == brotliBest && c.dir != "" {
		c.noteBest(k.hash)
	}
	return e, fromMade, nil
}

// encodeFile returns the form of src in k's coding, nil when it is not
// worth sending (Worth), or ErrChanged when src's bytes are not those of
// its hash and size. The file is read once, through the encoder, and is
// never whole in memory; a form that grows past what is worth sending
// stops the compression, and the rest of the file is only hashed.
func (c *Cache) encodeFile(k key, src File) ([]byte, error) {
	rc, err := src.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	r := &countReader{r: io.TeeReader(io.LimitReader(rc, src.Size+1), h)}
	limit := src.Size - src.Size/10 - 1 // the largest form Worth sending
	data, err := c.enc.encode(k.c, r, src.Size, max(limit, 0))
	if errors.Is(err, errLarger) {
		data, err = nil, nil
		io.Copy(io.Discard, r)
	}
	switch {
	case r.err != nil && r.err != io.EOF:
		return nil, r.err
	case r.n != src.Size:
		return nil, ErrChanged // zstd's frame, which names the size, says so too
	case err != nil:
		return nil, err
	case hex.EncodeToString(h.Sum(nil)) != k.hash:
		return nil, ErrChanged
	}
	if !Worth(len(data), int(src.Size)) {
		data = nil
	}
	return data, nil
}

// countReader counts the bytes read through it, and keeps its last error.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (r *countReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	r.err = err
	return n, err
}

// keep puts e in memory, first in line, and evicts the least recently used
// beyond the budget. An entry of more than half the budget is not kept.
func (c *Cache) keep(e *entry) {
	size := int64(len(e.data)) + entryOverhead
	if size > c.budget/2 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[e.key]; el != nil {
		c.lru.MoveToFront(el)
		return
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += size
	for c.bytes > c.budget {
		el := c.lru.Back()
		old := c.lru.Remove(el).(*entry)
		delete(c.entries, old.key)
		c.bytes -= int64(len(old.data)) + entryOverhead
	}
}

// A file on disk is magic, a flag byte (1: the coding is not worth it, no
// payload), the sha256 of the payload, then the payload. A file that does
// not read so (truncated, corrupted, of another version) is removed.
var diskMagic = []byte("herald-z1\n")

const diskHeader = 10 + 1 + sha256.Size

// path returns where k is kept on disk, "" when it is not. Only a sha256
// in hex names a file, so a hash cannot name a path of its own.
func (c *Cache) path(k key) string {
	if c.dir == "" || !validHash(k.hash) || k.c == Identity {
		return ""
	}
	ext := k.c.Ext()
	if k.c == brotliBest {
		ext = ".br11"
	}
	return filepath.Join(c.dir, k.hash[:2], k.hash+ext)
}

func validHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (c *Cache) readDisk(k key) *entry {
	p := c.path(k)
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	payload := b[min(len(b), diskHeader):]
	sum := sha256.Sum256(payload)
	if len(b) < diskHeader || !bytes.Equal(b[:len(diskMagic)], diskMagic) ||
		!bytes.Equal(b[len(diskMagic)+1:diskHeader], sum[:]) {
		os.Remove(p)
		return nil
	}
	switch b[len(diskMagic)] {
	case 0:
		touch(p)
		return &entry{key: k, data: payload}
	case 1:
		if len(payload) == 0 {
			touch(p)
			return &entry{key: k}
		}
	}
	os.Remove(p)
	return nil
}

// writeDisk keeps e on disk, written to a temporary file renamed into
// place, so a reader never sees half of it.
func (c *Cache) writeDisk(e *entry) error {
	p := c.path(e.key)
	if p == "" {
		return nil
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	flag := byte(0)
	if e.data == nil {
		flag = 1
	}
	sum := sha256.Sum256(e.data)
	hdr := append(append(append(make([]byte, 0, diskHeader), diskMagic...), flag), sum[:]...)
	_, err = f.Write(hdr)
	if err == nil {
		_, err = f.Write(e.data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	c.wrote(p, int64(diskHeader+len(e.data)))
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func fileExists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// maxBestOnDisk bounds Cache.bestOnDisk: some 2 MiB of hashes. Past it the
// set starts again, and the forms it forgets are read back at the next Warm.
const maxBestOnDisk = 1 << 14

// Best returns the brotli form at best quality of the file of hash, nil
// when there is none: from memory, or from the disk when this Cache made it
// or read it there and it has since left memory (a burst of other forms
// under the memory budget), so a critical asset does not fall back to
// brotli 6.
func (c *Cache) Best(hash string) []byte {
	data, _ := c.best(hash)
	return data
}

// best is Best, which also says where the form came from: fromMemory or
// fromDisk.
func (c *Cache) best(hash string) (_ []byte, from int) {
	if data, ok := c.Peek(hash, brotliBest); ok {
		return data, fromMemory
	}
	c.mu.Lock()
	_, known := c.bestOnDisk[hash]
	c.mu.Unlock()
	if !known {
		return nil, fromMade
	}
	e := c.readDisk(key{hash, brotliBest})
	if e == nil { // pruned from the disk, or the folder is gone
		c.mu.Lock()
		delete(c.bestOnDisk, hash)
		c.mu.Unlock()
		return nil, fromMade
	}
	c.diskHits.Add(1)
	c.keep(e)
	return e.data, fromDisk
}

// noteBest records that the brotliBest form of hash is on disk.
func (c *Cache) noteBest(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bestOnDisk) >= maxBestOnDisk {
		clear(c.bestOnDisk)
	}
	c.bestOnDisk[hash] = struct{}{}
}
