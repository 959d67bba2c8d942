package compress

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"
)

// warmer is the Cache's background compression: one goroutine, at the
// lowest CPU priority the system gives a thread (nice 19 on Linux), that
// makes the forms of a queue of files ahead of their requests. Being one,
// it takes at most one core and makes one form at a time, with the
// encoders of the Cache's Encoder, reused from form to form, and waits for
// its share of the Cache's WorkMemory as long as it takes (a request waits
// MaxWait at most): its memory is one form and one encoder. Being niced,
// it yields its core to every request in flight. The goroutine owns the
// compression; the queues are guarded by Cache.mu.
//
// Each owner (a site's handler) has its queue, which its Warm replaces:
// several sites served by one process share the warmer, and a site's
// change does not drop the work of the others. Critical files of every
// owner go before the rest of any.
//
// Once every queue's usual forms are made, and no request has asked for a
// form for QuietFor, the warmer makes the brotli forms at best quality
// (brotliBest) of the critical files, one at a time, within the Cache's
// BestBudget; a request that comes meanwhile stops the one under way, which
// waits for the next quiet. So the largest encoder and 30 times the work
// of brotli 6 never meet a burst of requests: at start-up, the usual forms
// come first, and the page loads that follow get them. A brotliBest form
// on disk is read with the usual ones, quiet or not.
//
// A request never waits for the warmer's queue: it compresses on its own
// what it needs and is not ready (Get), when the WorkMemory allows, and
// otherwise waits only for a compression of the same form already under
// way, whoever started it.
type warmer struct {
	queues     []*queue // in the order of their first Warm
	busy       bool     // the goroutine is on a job of usual forms
	busyBest   bool     // the goroutine is on a brotliBest form
	idle       *sync.Cond
	start      sync.Once
	wake       chan struct{}
	stop, done chan struct{}
}

// queue is what is left to do for one owner, critical first, then the
// rest, then the brotliBest forms of the critical files.
type queue struct {
	owner                any
	critical, rest, best []File
}

func (c *Cache) initWarmer() {
	c.idle = sync.NewCond(&c.mu)
	c.wake = make(chan struct{}, 1)
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
}

// Warm replaces owner's queue (owner is any comparable value that names a
// site, such as its handler): its critical files are made first, in the
// Cache's codings among Warmed, and kept in memory; then the rest, kept on
// disk only (in memory once asked for), and only when the Cache has a disk
// folder. Call it after start-up and after each change, with the critical
// assets of every page. The first Warm starts the warmer. The brotliBest
// forms of the critical files wait for QuietFor without a request from
// then on.
func (c *Cache) Warm(owner any, critical, rest []File) {
	seen := map[string]bool{}
	dedup := func(jobs []File) []File {
		var out []File
		for _, j := range jobs {
			if !seen[j.Hash] {
				seen[j.Hash] = true
				out = append(out, j)
			}
		}
		return out
	}
	critical = dedup(critical)
	rest = dedup(rest)
	if c.dir == "" {
		rest = nil
	}
	c.mu.Lock()
	i := 0
	for i < len(c.queues) && c.queues[i].owner != owner {
		i++
	}
	if i == len(c.queues) {
		c.queues = append(c.queues, &queue{owner: owner})
	}
	c.queues[i].critical, c.queues[i].rest = critical, rest
	// The quiet starts again: a site just served, or changed, meets its
	// first requests now, and a herald long in starting (a large site's
	// manifest) must not find the quiet over before its first request.
	c.saw()
	c.queues[i].best = nil
	if c.bestBudget > 0 && c.codings.Has(Brotli) {
		c.queues[i].best = slices.Clone(critical)
	}
	c.mu.Unlock()
	c.start.Do(func() { go c.warm() })
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Wait returns when the warmer has made the usual forms of every queue;
// the brotliBest forms may be still to make (WaitBest).
func (c *Cache) Wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.busy || c.queued() > 0 {
		c.idle.Wait()
	}
}

// WaitBest returns when the warmer has done every queue, the brotliBest
// forms too, which wait for requests to be quiet (QuietFor).
func (c *Cache) WaitBest() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.busy || c.busyBest || c.queued()+c.queuedBest() > 0 {
		c.idle.Wait()
	}
}

func (c *Cache) queued() int {
	n := 0
	for _, q := range c.queues {
		n += len(q.critical) + len(q.rest)
	}
	return n
}

func (c *Cache) queuedBest() int {
	n := 0
	for _, q := range c.queues {
		n += len(q.best)
	}
	return n
}

// Close stops the warmer, if it started, and waits for it to finish the
// form it is making.
func (c *Cache) Close() {
	c.start.Do(func() { close(c.done) }) // never started: nothing to wait for
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// next takes the next job of usual forms off the queues: the first
// critical one of any owner, else the first of the rest. Called with c.mu
// held.
func (c *Cache) next() (j File, critical bool) {
	// A queue done lets go of its owner (a handler replaced by a reload).
	c.queues = slices.DeleteFunc(c.queues, func(q *queue) bool { return len(q.critical)+len(q.rest)+len(q.best) == 0 })
	for _, q := range c.queues {
		if len(q.critical) > 0 {
			j, q.critical = q.critical[0], q.critical[1:]
			return j, true
		}
	}
	for _, q := range c.queues {
		if len(q.rest) > 0 {
			j, q.rest = q.rest[0], q.rest[1:]
			return j, false
		}
	}
	return File{}, false
}

// nextBest takes the next brotliBest job off the queues, and returns its
// queue. Called with c.mu held.
func (c *Cache) nextBest() (File, *queue) {
	for _, q := range c.queues {
		if len(q.best) > 0 {
			j := q.best[0]
			q.best = q.best[1:]
			return j, q
		}
	}
	return File{}, nil
}

func (c *Cache) warm() {
	defer close(c.done)
	lowerPriority()
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		c.mu.Lock()
		j, critical := c.next()
		usual := j.Open != nil
		best := !usual && c.queuedBest() > 0
		c.busy = usual
		if !usual {
			c.idle.Broadcast()
		}
		c.mu.Unlock()
		switch {
		case usual:
			c.warmUsual(j, critical)
		case best:
			if c.quiet() {
				c.warmBest()
			}
		default:
			select {
			case <-c.wake:
			case <-c.stop:
				return
			}
		}
	}
}

// quiet waits until no request has asked for a form for QuietFor, and
// reports false when new work came first (Warm) or the Cache is closing.
func (c *Cache) quiet() bool {
	for {
		left := c.quietLeft()
		if left <= 0 {
			return true
		}
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-c.wake:
			t.Stop()
			return false
		case <-c.stop:
			t.Stop()
			return false
		}
	}
}

// errInterrupted stops a brotliBest compression when a request comes or the
// Cache closes.
var errInterrupted = errors.New("compress: a request came: the form waits for the next quiet")

// warmBest makes the next brotliBest form, unless it is in memory already
// or the forms made come to the Cache's BestBudget. One stopped by a
// request goes back to the front of its queue.
func (c *Cache) warmBest() {
	c.mu.Lock()
	j, q := c.nextBest()
	c.busyBest = q != nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.busyBest = false
		c.idle.Broadcast()
		c.mu.Unlock()
	}()
	k := key{j.Hash, brotliBest}
	if q == nil || c.inMemory(k) || c.bestBytes.Load() >= c.bestBudget {
		return
	}
	seen := c.seen.Load()
	src := j
	src.Open = func() (io.ReadCloser, error) {
		rc, err := j.Open()
		if err != nil {
			return nil, err
		}
		return &interruptible{ReadCloser: rc, c: c, seen: seen}, nil
	}
	e, _, err := c.load(k, src, true, true)
	switch {
	case err == errInterrupted:
		c.mu.Lock()
		q.best = append([]File{j}, q.best...)
		c.mu.Unlock()
	case err == nil:
		c.bestBytes.Add(int64(len(e.data)))
	}
}

// interruptible reads a file for a brotliBest form until a request comes
// (the Cache's seen moves) or the Cache closes.
type interruptible struct {
	io.ReadCloser
	c    *Cache
	seen int64
}

func (r *interruptible) Read(p []byte) (int, error) {
	select {
	case <-r.c.stop:
		return 0, errInterrupted
	default:
	}
	if r.c.seen.Load() != r.seen {
		return 0, errInterrupted
	}
	return r.ReadCloser.Read(p)
}

// warmUsual makes the forms of j in the Cache's codings among Warmed, and
// reads its brotliBest form from the disk when it is critical.
func (c *Cache) warmUsual(j File, critical bool) {
	if critical && c.bestBudget > 0 && c.codings.Has(Brotli) {
		c.readBest(j.Hash)
	}
	for _, cd := range Warmed {
		select {
		case <-c.stop:
			return
		default:
		}
		if !c.codings.Has(cd) {
			continue
		}
		k := key{j.Hash, cd}
		if !critical && c.onDisk(k) {
			continue
		}
		c.load(k, j, critical, true) // a file that changed waits for its new hash
		runtime.Gosched()
	}
}

// readBest puts the brotliBest form of hash in memory when it is on disk.
func (c *Cache) readBest(hash string) {
	k := key{hash, brotliBest}
	if c.inMemory(k) {
		return
	}
	if e := c.readDisk(k); e != nil {
		c.diskHits.Add(1)
		c.keep(e)
		c.noteBest(hash)
		c.bestBytes.Add(int64(len(e.data)))
	}
}

func (c *Cache) inMemory(k key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[k]
	return ok
}

// onDisk reports whether k's form is in memory or on disk, without reading it.
func (c *Cache) onDisk(k key) bool {
	c.mu.Lock()
	_, ok := c.entries[k]
	c.mu.Unlock()
	return ok || fileExists(c.path(k))
}
