package watch

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// TestMovedAwayFolderKeepsWatching: a watched folder moved out of the site
// and removed before fsnotify's reader reaches its IN_MOVE_SELF event. The
// reader then fails to remove the watch (the kernel dropped it already) and
// sends that error while it holds the lock that Add and Remove take. The
// watcher, which removes the folder's watch on the same move, must still
// read that error: it used to call Remove from the goroutine that reads
// the errors, and stopped for good (issue 11).
func TestMovedAwayFolderKeepsWatching(t *testing.T) {
	var s *site
	held, release := make(chan struct{}), make(chan struct{})
	var hold sync.Once
	hk := hooks{
		// Unbuffered: the reader waits for each event to be taken, so it
		// stays behind while the first one is held.
		open: func() (*fsnotify.Watcher, error) { return fsnotify.NewWatcher() },
		handle: func(ev fsnotify.Event) {
			switch {
			case filepath.Base(ev.Name) == "first.txt":
				hold.Do(func() { close(held); <-release })
			case ev.Name == s.path("sub") && ev.Has(fsnotify.Rename):
				// Long enough for the reader to reach the folder's own
				// IN_MOVE_SELF and fail to remove its watch.
				time.Sleep(100 * time.Millisecond)
			}
		},
	}
	s = startSite(t, map[string]string{"index.html": "<p>", "sub/a.html": "<p>a"}, Options{Rule: fastRule}, hk)
	s.write("first.txt", "")
	<-held
	away := filepath.Join(t.TempDir(), "away")
	if err := os.Rename(s.path("sub"), away); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(away); err != nil {
		t.Fatal(err)
	}
	close(release)
	s.await("the folder moved away", hasNot("/sub/a.html"))
	s.write("after.html", "<p>after")
	s.await("a file written afterwards", has("/after.html"))
	closeWithin(t, s.w, 5*time.Second)
	s.same()
}

// closeWithin fails the test if Close does not return within d.
func closeWithin(t *testing.T, w *Watcher, d time.Duration) {
	t.Helper()
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v", d)
	}
}

// TestCloseBounded: Close returns in bounded time, and no callback runs
// after it, even when a call into fsnotify never returns (here Add, as it
// did waiting for fsnotify's lock).
func TestCloseBounded(t *testing.T) {
	stuck, unstick := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hk := hooks{add: func(w *fsnotify.Watcher, dir string) error {
		if filepath.Base(dir) == "new" {
			once.Do(func() { close(stuck) })
			<-unstick
		}
		return w.Add(dir)
	}}
	s := startSite(t, baseFiles, Options{Rule: fastRule}, hk)
	t.Cleanup(func() { close(unstick) })
	s.write("new/a.html", "<p>")
	<-stuck
	s.write("b.html", "<p>") // an event for the loop that waits in Add
	start := time.Now()
	closeWithin(t, s.w, closeWait+3*time.Second)
	if took := time.Since(start); took < closeWait {
		t.Errorf("Close returned after %v; the watch loop stuck in Add should have held it %v", took, closeWait)
	}
	if !strings.Contains(s.log.String(), "did not stop") {
		t.Errorf("nothing logged about the watcher left running; log:\n%s", s.log.String())
	}
	n := len(s.changes)
	time.Sleep(100 * time.Millisecond)
	if len(s.changes) != n {
		t.Error("a change was handed on after Close returned")
	}
}
