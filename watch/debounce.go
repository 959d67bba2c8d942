package watch

import (
	"slices"
	"time"
)

// Rule decides when a run of file events becomes one update. See the
// package documentation for why the defaults are what they are.
type Rule struct {
	// Quiet is how long no event must arrive before the pending changes are
	// applied.
	Quiet time.Duration
	// MaxDelay bounds how long a change can wait while events keep coming,
	// so that a file written every few milliseconds still shows.
	MaxDelay time.Duration
	// Burst is the number of distinct paths from which a batch is applied
	// as one full rebuild instead of an incremental update.
	Burst int
	// BurstMaxDelay bounds how long a burst can wait for quiet.
	BurstMaxDelay time.Duration
}

// DefaultRule is the debounce rule used when Options.Rule is zero.
var DefaultRule = Rule{Quiet: 100 * time.Millisecond, MaxDelay: time.Second, Burst: 256, BurstMaxDelay: 10 * time.Second}

// event is one change seen on disk: the URL path of a file or folder that
// was created, written, removed or renamed, or, with full set, a sign that
// events were lost and only a full rebuild is right.
type event struct {
	path string
	full bool
}

// batch is what the debouncer hands on: the distinct paths changed, sorted,
// or full when the whole site must be built again; first is when its first
// event came.
type batch struct {
	paths []string
	full  bool
	first time.Time
}

// prepChunk is how many paths the debouncer offers to be prepared at a
// time: a few milliseconds of parsing, the most a sealed batch can wait for
// the consumer to finish one.
const prepChunk = 16

// debounce merges the events from in into batches on out by rule r, until in
// is closed or stop is; then it closes out (and prep), dropping what was
// pending.
//
// It owns the pending set. A batch is sealed when its deadline passes and is
// sent when the consumer is ready; events arriving in between (the consumer
// is still applying the previous batch) join the sealed batch, since they
// would wait as long in a new one.
//
// Until a batch is sealed, the paths new to it are offered on prep (unless
// nil), a few at a time, for the consumer to read ahead while it would
// otherwise wait.
func debounce(in <-chan event, out chan<- batch, prep chan<- []string, r Rule, stop <-chan struct{}) {
	defer close(out)
	if prep != nil {
		defer close(prep)
	}
	pending := map[string]bool{}
	full := false
	var first, last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var send chan<- batch // non-nil once the batch is sealed
	var ready batch
	var unprepared []string // paths of the pending batch not yet offered on prep
	for {
		var offer chan<- []string // non-nil when there is something to offer
		var chunk []string
		if send == nil && len(unprepared) > 0 {
			offer, chunk = prep, unprepared[:min(prepChunk, len(unprepared))]
		}
		select {
		case <-stop:
			timer.Stop()
			return
		case offer <- chunk:
			unprepared = unprepared[len(chunk):]
		case e, ok := <-in:
			if !ok {
				timer.Stop()
				return
			}
			now := time.Now()
			if len(pending) == 0 && !full {
				first = now
			}
			last = now
			if e.full {
				full = true
			} else if !pending[e.path] {
				pending[e.path] = true
				if send == nil {
					unprepared = append(unprepared, e.path)
				}
			}
			if len(pending) >= r.Burst {
				full = true
			}
			if send != nil {
				ready = seal(pending, full, first)
				continue
			}
			timer.Reset(deadline(r, full, first, last).Sub(now))
		case <-timer.C:
			send, ready = out, seal(pending, full, first)
			unprepared = nil // the batch reads them now
		case send <- ready:
			send, ready = nil, batch{}
			clear(pending)
			full = false
		}
	}
}

// deadline is when a pending batch is applied: after Quiet without events,
// but no later than MaxDelay (BurstMaxDelay for a burst) after its first.
func deadline(r Rule, full bool, first, last time.Time) time.Time {
	limit := r.MaxDelay
	if full {
		limit = r.BurstMaxDelay
	}
	d := last.Add(r.Quiet)
	if bound := first.Add(limit); bound.Before(d) {
		d = bound
	}
	return d
}

func seal(pending map[string]bool, full bool, first time.Time) batch {
	if full {
		return batch{full: true, first: first}
	}
	paths := make([]string, 0, len(pending))
	for p := range pending {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return batch{paths: paths, first: first}
}
