package compress

import (
	"runtime"
	"slices"
	"sync"
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
// A request never waits for the warmer's queue: it compresses on its own
// what it needs and is not ready (Get), when the WorkMemory allows, and
// otherwise waits only for a compression of the same form already under
// way, whoever started it.
type warmer struct {
	queues     []*queue // in the order of their first Warm
	busy       bool     // the goroutine is on a job
	idle       *sync.Cond
	start      sync.Once
	wake       chan struct{}
	stop, done chan struct{}
}

// queue is what is left to do for one owner, critical first.
type queue struct {
	owner          any
	critical, rest []File
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
// assets of every page. The first Warm starts the warmer.
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
	c.mu.Unlock()
	c.start.Do(func() { go c.warm() })
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Wait returns when the warmer has done every queue.
func (c *Cache) Wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.busy || c.queued() > 0 {
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

// next takes the next job off the queues: the first critical one of any
// owner, else the first of the rest. Called with c.mu held.
func (c *Cache) next() (j File, critical bool) {
	// A queue done lets go of its owner (a handler replaced by a reload).
	c.queues = slices.DeleteFunc(c.queues, func(q *queue) bool { return len(q.critical)+len(q.rest) == 0 })
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

func (c *Cache) warm() {
	defer close(c.done)
	lowerPriority()
	for {
		c.mu.Lock()
		j, critical := c.next()
		c.busy = j.Open != nil
		if !c.busy {
			c.idle.Broadcast()
		}
		c.mu.Unlock()
		if j.Open == nil {
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
			c.load(k, j, critical, true) // a file that changed waits for its new hash
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
