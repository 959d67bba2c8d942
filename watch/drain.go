package watch

import (
	"sync"

	"github.com/fsnotify/fsnotify"
)

// maxQueued bounds the fsnotify events waiting for the watch loop, as the
// kernel bounds its own queue (fs.inotify.max_queued_events, 16384 by
// default). Past it they are dropped and handled as an overflow: the whole
// site is watched and built again.
const maxQueued = 1 << 16

// queue carries fsnotify's events and errors, in the order they came, from
// the drain goroutine to the watch loop.
//
// fsnotify's reader goroutine holds the lock that Watcher.Add and Remove
// take while it sends on its Errors channel (IN_MOVE_SELF of a folder whose
// watch the kernel dropped already: removing the watch fails), and that
// channel is unbuffered. A goroutine that calls Add or Remove must
// therefore never be the one that reads the channels: each would wait for
// the other for good. So drain only reads, never blocks on anything but
// the channels, and the watch loop, which calls Add and Remove, reads the
// queue.
type queue struct {
	mu    sync.Mutex
	items []item // guarded by mu
	lost  bool   // events were dropped since the last take; guarded by mu
	ready chan struct{}
}

// item is one event, or one error when err is set.
type item struct {
	ev  fsnotify.Event
	err error
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) push(it item) {
	q.mu.Lock()
	if len(q.items) >= maxQueued {
		q.items, q.lost = nil, true
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default: // the loop has yet to take what is there
	}
}

// take returns what is queued, and whether events were lost before it.
func (q *queue) take() ([]item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, lost := q.items, q.lost
	q.items, q.lost = nil, false
	return items, lost
}

// drain moves what fsnotify sends into q until both channels are closed or
// stop is: fsnotify closes them once its reader has ended, and stop ends a
// drain of channels someone else owns (tests).
func drain(events <-chan fsnotify.Event, errs <-chan error, q *queue, stop <-chan struct{}) {
	for events != nil || errs != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			q.push(item{ev: ev})
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			q.push(item{err: err})
		case <-stop:
			return
		}
	}
}
