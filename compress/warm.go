package compress

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// Job is a file for the warmer: its hash and how to read its bytes.
type Job struct {
	Hash string
	Src  Source
}

// warmer is the Cache's background compression: one goroutine, at the
// lowest CPU priority the system gives a thread (nice 19 on Linux), that
// makes the forms of a queue of files ahead of their requests. Being one,
// it takes at most one core; being niced, it yields that core to every
// request in flight. The goroutine owns the compression; the queue is
// guarded by Cache.mu.
//
// A request never waits for the warmer's queue: it compresses on its own
// what it needs and is not ready (Get), and waits only for a compression
// of the same form already under way, whoever started it.
type warmer struct {
	critical, rest []Job // what is left to do, critical first
	busy           bool  // the goroutine is on a job
	idle           *sync.Cond
	wake           chan struct{}
	stop, done     chan struct{}
	memLimit       int64 // the process's memory limit before the warmer set its own
}

func (c *Cache) startWarmer() {
	c.idle = sync.NewCond(&c.mu)
	c.wake = make(chan struct{}, 1)
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
	go c.warm()
}

// Warm replaces the warmer's queue: the critical files are made first, in
// the Cache's codings among Warmed, and kept in memory; then the rest, kept on
// disk only (in memory once asked for), and only when the Cache has a disk
// folder. Call it after start-up and after each change, with the critical
// assets of every page.
func (c *Cache) Warm(critical, rest []Job) {
	seen := map[string]bool{}
	dedup := func(jobs []Job) []Job {
		var out []Job
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
	c.critical, c.rest = critical, rest
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Wait returns when the warmer has done its queue.
func (c *Cache) Wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.busy || len(c.critical)+len(c.rest) > 0 {
		c.idle.Wait()
	}
}

// Close stops the warmer and waits for it to finish the form it is making.
func (c *Cache) Close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// warmMemoryLimit is the Go heap the process is kept near while the
// warmer works (a soft limit: the garbage collector runs more often to stay
// under it, and lets it go when the live heap needs more).
const warmMemoryLimit = 64 << 20

func (c *Cache) warm() {
	defer close(c.done)
	lowerPriority()
	for {
		c.mu.Lock()
		var j Job
		critical := len(c.critical) > 0
		switch {
		case critical:
			j, c.critical = c.critical[0], c.critical[1:]
		case len(c.rest) > 0:
			j, c.rest = c.rest[0], c.rest[1:]
		}
		wasBusy := c.busy
		c.busy = j.Src != nil
		if !c.busy {
			c.idle.Broadcast()
		}
		c.mu.Unlock()
		switch {
		case j.Src == nil && wasBusy:
			// The queue is done: give back the memory its compressions
			// used, which no allocation would otherwise collect soon.
			debug.SetMemoryLimit(c.memLimit)
			debug.FreeOSMemory()
		case j.Src != nil && !wasBusy:
			// While it works, the garbage collector keeps the heap near
			// warmMemoryLimit rather than let it double over the garbage
			// of each compression.
			c.memLimit = debug.SetMemoryLimit(-1) // GOMEMLIMIT's, restored after
			debug.SetMemoryLimit(min(c.memLimit, warmMemoryLimit))
		}
		if j.Src == nil {
			select {
			case <-c.wake:
				continue
			case <-c.stop:
				return
			}
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
			c.load(k, j.Src, critical) // a file that changed waits for its new hash
			runtime.Gosched()
		}
	}
}

// onDisk reports whether k's form is in memory or on disk, without reading it.
func (c *Cache) onDisk(k key) bool {
	c.mu.Lock()
	_, ok := c.entries[k]
	c.mu.Unlock()
	return ok || fileExists(c.path(k))
}
