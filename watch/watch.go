// Package watch keeps a site's push manifest current while its files change.
//
// A Watcher watches every folder of a site with fsnotify (inotify on Linux),
// merges the events into batches, applies each batch to a manifest.Builder
// (only the changed files are read again) and hands the new manifest to a
// callback, which swaps it into service atomically.
//
// # Debounce rule
//
// A batch is applied once no event has come for Rule.Quiet (100 ms), and no
// later than Rule.MaxDelay (1 s) after its first event. An editor's save is
// a few events within a millisecond or two (write a temporary file, rename it
// over the old one, set its mode), and a build tool writes its outputs within
// tens of milliseconds, so 100 ms of quiet sees a save or a small regeneration
// whole while staying under what a person notices between saving and seeing
// the page. The 1 s bound keeps a file that is written continuously (a log,
// a watch-mode bundler) from holding every other change back.
//
// A batch of Rule.Burst (256) distinct paths or more — a git checkout, a
// generator rewriting the site, or an event queue overflow — is applied as
// one full rebuild, and then waits only for quiet (bounded by
// Rule.BurstMaxDelay, 10 s), since a half-finished checkout is not worth
// serving. A full build of the 530-page python docs takes about a tenth of
// a second on two cores, and unlike an update it cannot miss an event lost
// in the flood (a folder created and filled before its watch was added).
//
// The wait is not idle: while a batch waits for quiet, the pages and
// stylesheets it names so far are read and parsed ahead
// (manifest.Builder.Prepare), so that applying it — which reads every file
// again, and trusts no parse of bytes that changed since — costs little more
// than reading. For a burst, that puts a new manifest in service sooner
// after the last write than a full build started then would (see
// BenchmarkBurst).
//
// A link in the site gets no event when its target changes: the watcher
// keeps where each link leads and reports the link with its target.
//
// Events for the same path are merged; events that change nothing a reader
// sees are dropped: mode changes alone, and files the manifest leaves out
// (manifest.Hidden: dotfiles, editor temporary files such as .swp, 4913,
// .#* and *~, and the push-manifest.json a `herald build --watch` writes
// into the site). The _redirects and _headers files at the top are the
// exception: hidden, but a change to them is a Change (with their paths),
// so that the server reads them again.
//
// # Goroutines
//
// Three goroutines form a pipeline, each owning its state: the watch loop
// owns the fsnotify watcher and the sets of watched and unwatched folders
// (a fourth, the drain, only reads fsnotify's channels into a queue for it:
// fsnotify's Add and Remove can wait for those channels to be read);
// the debouncer owns the pending batch; the apply loop owns the
// manifest.Builder, prepares the paths the debouncer offers and calls the
// callback. Close stops all three, waits for the debouncer and the apply
// loop, and for the watch loop only up to a bound (see Watcher.Close).
//
// # Failures
//
// Nothing stops the watcher short of Close. When the inotify watch limit is
// reached (fs.inotify.max_user_watches), or no inotify instance can be made
// (fs.inotify.max_user_instances), it says once which sysctl to raise and
// rescans the folders it could not watch every Options.Rescan instead. A file that vanishes while it
// is read, a folder renamed away or an unreadable file is logged with its
// path and becomes a problem of the manifest; if the site cannot be read at
// all, the last good manifest stays in service.
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"herald/manifest"

	"github.com/fsnotify/fsnotify"
)

// Options configure a Watcher.
type Options struct {
	// Manifest are the build options.
	Manifest manifest.Options
	// Rule is the debounce rule; zero fields take DefaultRule's.
	Rule Rule
	// Rescan is how often folders that could not be watched are listed
	// again; zero means 2 s.
	Rescan time.Duration
	// Logger receives what goes wrong; nil means slog.Default().
	Logger *slog.Logger
	// OnChange is called, from one goroutine and one call at a time, with
	// each new manifest. It should swap the manifest into service and
	// return soon: events meanwhile wait in the next batch.
	OnChange func(Change)
}

// Change is one applied batch.
type Change struct {
	// Paths are the URL paths ("/a/index.html") of the files added, removed
	// or changed in content since the previous manifest, sorted.
	Paths []string
	// Full reports a full rebuild rather than an incremental update.
	Full bool
	// Manifest is the new manifest. It shares unchanged pages with earlier
	// ones: treat it as read-only.
	Manifest *manifest.Manifest
	// Problems are the files the build could not use as they are.
	Problems []manifest.Problem
	// Took is the time the update (or the rebuild) took, from the batch
	// handed over to the new manifest in service.
	Took time.Duration
	// First is when the first event of the batch was seen: the time from
	// it to the manifest in service is what a person waits after saving.
	First time.Time
}

// Watcher keeps the manifest of one folder current.
type Watcher struct {
	dir     string // absolute path of the site folder
	root    *os.Root
	fsys    fs.FS
	opts    Options
	log     *slog.Logger
	current atomic.Pointer[manifest.Manifest]

	builder  *manifest.Builder // owned by the apply loop after New returns
	problems map[string]string // problems already logged, owned by the apply loop
	initial  []manifest.Problem
	// watched and rescanned count the folders New watched, and those the
	// watch limit left to the rescans; set before the loops start.
	watched, rescanned int

	fsw    *fsnotify.Watcher
	add    func(dir string) error // fsw.Add; tests replace it to reach the watch limit
	hk     hooks
	events chan event
	done   chan struct{}
	wg     sync.WaitGroup // the debouncer and the apply loop
	// stopped is closed once the watch loop has ended and fsnotify with it.
	stopped chan struct{}
	closed  sync.Once
}

// New builds the manifest of the folder dir and starts watching it. Every
// folder is watched before the build starts, so no change is missed between
// the two.
func New(dir string, opts Options) (*Watcher, error) {
	return newWatcher(dir, opts, hooks{})
}

// hooks let tests reach the limits of inotify without reaching them for
// the whole machine, and read the folder as a user without root would.
type hooks struct {
	open func() (*fsnotify.Watcher, error)           // nil: fsnotify.NewBufferedWatcher
	add  func(w *fsnotify.Watcher, dir string) error // nil: w.Add
	fsys func(fs.FS) fs.FS                           // nil: the folder's os.Root as it is
	// handle, when set, is called by the watch loop before it handles
	// each fsnotify event.
	handle func(fsnotify.Event)
}

// errNoWatcher is what adding a watch gives when there is no inotify
// instance: every folder is rescanned instead.
var errNoWatcher = errors.New("no inotify instance")

func newWatcher(dir string, opts Options, hk hooks) (*Watcher, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("watch: %q: %w", dir, err)
	}
	opts.Rule = withDefaults(opts.Rule)
	if opts.Rescan <= 0 {
		opts.Rescan = 2 * time.Second
	}
	w := &Watcher{dir: abs, opts: opts, log: opts.Logger, problems: map[string]string{}, hk: hk,
		events: make(chan event, 256), done: make(chan struct{}), stopped: make(chan struct{})}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.root, err = os.OpenRoot(abs); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w.fsys = w.root.FS()
	if hk.fsys != nil {
		w.fsys = hk.fsys(w.fsys)
	}
	if hk.open == nil {
		hk.open = func() (*fsnotify.Watcher, error) { return fsnotify.NewBufferedWatcher(1024) }
	}
	switch w.fsw, err = hk.open(); {
	case err != nil:
		// Most likely fs.inotify.max_user_instances is reached (EMFILE):
		// serve all the same, rescanning every folder.
		w.log.Error("cannot watch files: raise the limit with sudo sysctl fs.inotify.max_user_instances=1024 (or close other watching programs); "+
			"until then, folders are rescanned", "path", abs, "every", opts.Rescan, "err", err)
		w.add = func(string) error { return errNoWatcher }
	case hk.add != nil:
		w.add = func(d string) error { return hk.add(w.fsw, d) }
	default:
		w.add = w.fsw.Add
	}
	loop := newLoop(w)
	loop.startDrain()
	loop.addTree(abs, false)
	w.watched, w.rescanned = len(loop.watched), len(loop.unwatched)
	if w.builder, err = manifest.NewBuilder(w.fsys, opts.Manifest); err != nil {
		loop.stopWatching()
		w.root.Close()
		return nil, fmt.Errorf("watch: %q: %w", dir, err)
	}
	m := w.builder.Manifest()
	w.current.Store(m)
	w.initial = w.builder.Problems()
	for _, p := range w.initial { // the caller reports these; log only what changes later
		w.problems[p.Path] = p.Err.Error()
	}
	batches, prep := make(chan batch), make(chan []string)
	go func() {
		defer close(w.stopped)
		loop.run()
		loop.stopWatching()
	}()
	w.wg.Add(2)
	go func() { defer w.wg.Done(); debounce(w.events, batches, prep, opts.Rule, w.done) }()
	go func() { defer w.wg.Done(); w.applyLoop(batches, prep) }()
	return w, nil
}

func withDefaults(r Rule) Rule {
	d := DefaultRule
	if r.Quiet > 0 {
		d.Quiet = r.Quiet
	}
	if r.MaxDelay > 0 {
		d.MaxDelay = r.MaxDelay
	}
	if r.Burst > 0 {
		d.Burst = r.Burst
	}
	if r.BurstMaxDelay > 0 {
		d.BurstMaxDelay = r.BurstMaxDelay
	}
	return d
}

// Manifest returns the manifest in service: the first build's until a
// change has been applied.
func (w *Watcher) Manifest() *manifest.Manifest { return w.current.Load() }

// Folders returns how many folders of the site New watched, and how many
// it left to the rescans (the inotify limit was reached). Folders made
// later are not counted.
func (w *Watcher) Folders() (watched, rescanned int) { return w.watched, w.rescanned }

// Problems returns the problems of the first build; later ones come with
// each Change.
func (w *Watcher) Problems() []manifest.Problem { return w.initial }

// closeWait bounds how long Close waits for the watch loop and fsnotify
// to stop, once no callback runs any more.
const closeWait = 2 * time.Second

// Close stops watching and waits until no callback runs any more. It
// returns in bounded time whatever fsnotify does: the callbacks end with
// the debouncer and the apply loop, which never call into fsnotify; the
// watch loop, which does, and fsnotify itself are given closeWait to stop,
// and are left behind after it, with a message.
func (w *Watcher) Close() error {
	w.closed.Do(func() { close(w.done) })
	w.wg.Wait()
	select {
	case <-w.stopped:
	case <-time.After(closeWait):
		w.log.Error("the file watcher did not stop in time; left running", "path", w.dir, "waited", closeWait)
	}
	return w.root.Close()
}

// applyLoop applies each batch and hands the result on; between batches,
// it prepares the paths of the pending one. It owns w.builder.
func (w *Watcher) applyLoop(batches <-chan batch, prep <-chan []string) {
	for {
		select {
		case b, ok := <-batches:
			if !ok {
				return
			}
			w.apply(b)
		case paths, ok := <-prep:
			if !ok {
				prep = nil // closed with batches, which ends the loop
				continue
			}
			w.builder.Prepare(paths...)
		}
	}
}

// apply turns one batch into a new manifest in service.
func (w *Watcher) apply(b batch) {
	start := time.Now()
	if b.full {
		// Files whose bytes did not change are not parsed again: a
		// generator that rewrites the whole site costs little more than
		// reading it.
		if err := w.builder.Rebuild(); err != nil {
			w.log.Error("site cannot be read; the last good manifest stays in service", "path", w.dir, "err", err)
			return
		}
	} else {
		w.builder.Update(b.paths...)
		if !w.builder.Changed() && sameProblems(w.problems, w.builder.Problems()) && !slices.ContainsFunc(b.paths, manifest.HostRules) {
			return // files written with the bytes they had, modes changed: nothing to tell
		}
	}
	m := w.builder.Manifest()
	old := w.current.Swap(m)
	problems := w.builder.Problems()
	w.noteProblems(problems)
	if w.opts.OnChange != nil {
		// The host's rule files are not in the manifest, but the handler
		// reads them again with it: the change is told all the same.
		paths := diff(old, m)
		for _, p := range b.paths {
			if manifest.HostRules(p) && !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
		slices.Sort(paths)
		w.opts.OnChange(Change{Paths: paths, Full: b.full, Manifest: m, Problems: problems, Took: time.Since(start), First: b.first})
	}
}

// noteProblems logs each problem not logged before, and forgets the ones
// that went away so that they are logged again if they come back.
func (w *Watcher) noteProblems(problems []manifest.Problem) {
	seen := make(map[string]string, len(problems))
	for _, p := range problems {
		msg := p.Err.Error()
		seen[p.Path] = msg
		if w.problems[p.Path] == msg {
			continue
		}
		if p.Warning {
			w.log.Warn("site file served as is", "path", p.Path, "err", p.Err)
		} else {
			w.log.Error("site file left out of the manifest", "path", p.Path, "err", p.Err)
		}
	}
	w.problems = seen
}

// sameProblems reports whether problems are those already logged.
func sameProblems(logged map[string]string, problems []manifest.Problem) bool {
	if len(logged) != len(problems) {
		return false
	}
	for _, p := range problems {
		if logged[p.Path] != p.Err.Error() {
			return false
		}
	}
	return true
}

// diff returns the URL paths whose file was added, removed or changed
// between two manifests, sorted.
func diff(old, m *manifest.Manifest) []string {
	var out []string
	for p, f := range m.Files {
		if o, ok := old.Files[p]; !ok || o.Hash != f.Hash {
			out = append(out, p)
		}
	}
	for p := range old.Files {
		if _, ok := m.Files[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
