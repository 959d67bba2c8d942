package watch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"herald/manifest"

	"github.com/fsnotify/fsnotify"
)

// settle writes a new file and waits until it is in service: every event
// before it has been applied.
func (s *site) settle(name string) {
	s.t.Helper()
	time.Sleep(50 * time.Millisecond)
	s.write(name, "")
	s.await(name, has("/"+name))
}

// same checks that the manifest in service is what a fresh build of the
// folder gives.
func (s *site) same() {
	s.t.Helper()
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		s.t.Fatal(err)
	}
	defer root.Close()
	full, _, err := manifest.Build(asUser(root.FS()), manifest.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	want, _ := manifest.Marshal(full)
	got, _ := manifest.Marshal(copyManifest(s.w.Manifest()))
	if !bytes.Equal(got, want) {
		s.t.Fatalf("the manifest in service differs from a fresh build\n got %s\nwant %s", got, want)
	}
}

// TestEdgeCases: changes a watcher can get wrong, each followed by a check
// that the manifest in service is what a fresh build gives.
func TestEdgeCases(t *testing.T) {
	limited := hooks{add: func(w *fsnotify.Watcher, dir string) error {
		if strings.Contains(filepath.ToSlash(dir), "/limited") {
			return fmt.Errorf("inotify_add_watch %s: %w", dir, syscall.ENOSPC)
		}
		return w.Add(dir)
	}}
	tests := []struct {
		name   string
		files  map[string]string
		opts   Options
		hk     hooks
		change func(t *testing.T, s *site)
	}{
		{"a folder replaced by a file within one batch", baseFiles, Options{Rule: Rule{Quiet: 200 * time.Millisecond}}, hooks{},
			func(t *testing.T, s *site) {
				if err := os.Rename(s.path("css"), filepath.Join(t.TempDir(), "away")); err != nil {
					t.Fatal(err)
				}
				s.write("css", "now a file")
			}},
		{"a file replaced by a folder where only rescans look",
			map[string]string{"index.html": "<p>", "limited/x": "a file"}, Options{Rule: fastRule, Rescan: 20 * time.Millisecond}, limited,
			func(t *testing.T, s *site) {
				os.Remove(s.path("limited/x"))
				s.write("limited/x/p.html", "<p>in a folder")
				time.Sleep(300 * time.Millisecond) // rescans
			}},
		{"a watched folder removed and made again where only rescans look",
			map[string]string{"index.html": "<p>", "limited/sub/a.html": "<p>"}, Options{Rule: fastRule, Rescan: 20 * time.Millisecond},
			hooks{add: func(w *fsnotify.Watcher, dir string) error {
				if strings.HasSuffix(filepath.ToSlash(dir), "/limited") {
					return fmt.Errorf("inotify_add_watch %s: %w", dir, syscall.ENOSPC)
				}
				return w.Add(dir)
			}},
			func(t *testing.T, s *site) {
				os.RemoveAll(s.path("limited/sub"))
				time.Sleep(10 * time.Millisecond)
				s.write("limited/sub/a.html", "<p>again")
				time.Sleep(300 * time.Millisecond)
				s.write("limited/sub/b.html", "<p>after") // seen only if sub is watched again
				time.Sleep(300 * time.Millisecond)
			}},
		{"editor backup files", baseFiles, Options{Rule: fastRule}, hooks{},
			func(t *testing.T, s *site) {
				s.write("index.html~", "backup")
				s.write("notes~/a.html", "<p>")
			}},
		{"a link to a file through a link to a folder", baseFiles, Options{Rule: fastRule}, hooks{},
			func(t *testing.T, s *site) {
				os.Symlink("css", s.path("style"))
				os.Symlink("style/base.css", s.path("b.css"))
				s.settle("sentinel0.txt")
				s.write("css/base.css", "changed{}")
			}},
		{"a named pipe", baseFiles, Options{Rule: fastRule}, hooks{},
			func(t *testing.T, s *site) {
				if err := syscall.Mkfifo(s.path("pipe"), 0o644); err != nil {
					t.Fatal(err)
				}
				s.write("after.html", "<p>")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSite(t, tt.files, tt.opts, tt.hk)
			tt.change(t, s)
			s.settle("sentinel.txt")
			s.same()
		})
	}
}

// TestOverflowWatchesAgain: after inotify's queue overflowed, folders whose
// creation was lost in it are watched: later changes in them are seen.
func TestOverflowWatchesAgain(t *testing.T) {
	var lossy atomic.Bool
	var errs chan error
	hk := hooks{open: func() (*fsnotify.Watcher, error) {
		fw, err := fsnotify.NewBufferedWatcher(1024)
		if err != nil {
			return nil, err
		}
		real := fw.Events
		mine := make(chan fsnotify.Event)
		errs = make(chan error)
		fw.Events, fw.Errors = mine, errs
		go func() {
			defer close(mine)
			for ev := range real {
				if !lossy.Load() { // else lost in the overflow
					mine <- ev
				}
			}
		}()
		return fw, nil
	}}
	s := startSite(t, baseFiles, Options{Rule: fastRule}, hk)
	lossy.Store(true)
	s.write("new/a.html", "<p>a")
	time.Sleep(50 * time.Millisecond)
	lossy.Store(false)
	errs <- fsnotify.ErrEventOverflow
	s.await("the rebuild after the overflow", has("/new/a.html"))
	s.write("new/b.html", "<p>b") // an ordinary change, after the flood
	s.settle("sentinel.txt")
	s.same()
}

// TestChmodMakesReadable: a file unreadable at the start, then made
// readable by a mode change alone, comes into the manifest. The folder is
// read as a user without root would (asUser), also when the test runs as
// root, which reads every file whatever its mode.
func TestChmodMakesReadable(t *testing.T) {
	s := startSite(t, map[string]string{"index.html": "<p>"}, Options{Rule: fastRule}, hooks{fsys: asUser})
	os.WriteFile(s.path("secret.html"), []byte("<p>"), 0o644)
	os.Chmod(s.path("secret.html"), 0)
	s.settle("sentinel0.txt")
	if !hasNot("/secret.html")(s.w.Manifest()) {
		t.Fatal("the unreadable file is in the manifest")
	}
	os.Chmod(s.path("secret.html"), 0o644)
	s.settle("sentinel1.txt")
	s.same()
}
