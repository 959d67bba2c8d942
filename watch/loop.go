package watch

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"herald/manifest"

	"github.com/fsnotify/fsnotify"
)

// loop turns fsnotify's events into events for the debouncer. It owns the
// fsnotify watcher and the sets below; nothing else touches them once run
// has started.
type loop struct {
	w   *Watcher
	log *slog.Logger
	// watched holds the folders with a watch, by absolute path.
	watched map[string]bool
	// unwatched holds the folders the watch limit kept out, with what they
	// held when last listed; rescan compares against it.
	unwatched   map[string]map[string]stamp
	warnedLimit bool
	// links maps the URL path of each link in the site to the URL path of
	// its target, when that is in the site: a change to the target is a
	// change to the link, which gets no event of its own.
	links map[string]string
	// realDir is the site folder with the links on its path resolved.
	realDir string
	// q is what the drain goroutine read from fsnotify, for the loop;
	// stopDrain ends that goroutine and drained is closed when it has.
	q         *queue
	stopDrain chan struct{}
	drained   chan struct{}
}

// stamp is what a rescan compares to tell that a file changed.
type stamp struct {
	size  int64
	mtime time.Time
	dir   bool
}

func newLoop(w *Watcher) *loop {
	real, err := filepath.EvalSymlinks(w.dir)
	if err != nil {
		real = w.dir
	}
	return &loop{w: w, log: w.log, watched: map[string]bool{}, unwatched: map[string]map[string]stamp{},
		links: map[string]string{}, realDir: real, q: newQueue(), stopDrain: make(chan struct{}), drained: make(chan struct{})}
}

// startDrain starts reading fsnotify's channels into l.q; see queue for
// why the loop must not read them itself. It is called before the first
// watch is added: Add can wait on the reader too.
func (l *loop) startDrain() {
	if l.w.fsw == nil {
		close(l.drained)
		return
	}
	go func() {
		defer close(l.drained)
		drain(l.w.fsw.Events, l.w.fsw.Errors, l.q, l.stopDrain)
	}()
}

// stopWatching closes the fsnotify watcher, then ends the drain, which
// reads until then: the reader may be sending while Close waits for it.
func (l *loop) stopWatching() {
	if l.w.fsw != nil {
		l.w.fsw.Close()
	}
	close(l.stopDrain)
	<-l.drained
}

// run handles events until the watcher is closed, then closes the
// debouncer's input.
func (l *loop) run() {
	defer close(l.w.events)
	tick := time.NewTicker(l.w.opts.Rescan)
	defer tick.Stop()
	for {
		select {
		case <-l.w.done:
			return
		case <-l.q.ready:
			items, lost := l.q.take()
			if lost {
				l.overflow()
			}
			for _, it := range items {
				select {
				case <-l.w.done:
					return
				default:
				}
				if it.err != nil {
					l.fail(it.err)
					continue
				}
				if l.w.hk.handle != nil {
					l.w.hk.handle(it.ev)
				}
				l.handle(it.ev)
			}
		case <-tick.C:
			l.rescan()
		}
	}
}

// fail handles an error from fsnotify.
func (l *loop) fail(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		l.overflow()
		return
	}
	if errors.Is(err, syscall.EINVAL) {
		// fsnotify removing the watch of a folder moved away, which the
		// kernel dropped already (the folder was removed too): harmless.
		return
	}
	l.log.Error("watching files", "path", l.w.dir, "err", err)
}

// overflow follows lost events, which may be folders created (unwatched
// yet) or links made: it walks the site again for both, then builds it.
func (l *loop) overflow() {
	l.log.Warn("too many file events at once; watching and building the whole site again", "path", l.w.dir)
	clear(l.watched) // adding a watch again is harmless; missing one is not
	clear(l.links)
	l.addTree(l.w.dir, false)
	l.emit(event{full: true})
}

// emit hands an event to the debouncer, unless the watcher is closing.
func (l *loop) emit(e event) {
	select {
	case l.w.events <- e:
	case <-l.w.done:
	}
}

// changed reports a change of the URL path p, and of the links that lead to
// it or into it.
func (l *loop) changed(p string) {
	seen := map[string]bool{}
	var report func(p string)
	report = func(p string) {
		if seen[p] {
			return // a cycle of links
		}
		seen[p] = true
		l.emit(event{path: p})
		for link, target := range l.links {
			if target == p || strings.HasPrefix(target, strings.TrimSuffix(p, "/")+"/") {
				report(link)
			}
		}
	}
	report(p)
}

// noteLink records where the file at name (URL path p) leads, if it is a
// link.
func (l *loop) noteLink(name, p string) {
	delete(l.links, p)
	info, err := os.Lstat(name)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return
	}
	target, err := os.Readlink(name)
	if err != nil || filepath.IsAbs(target) {
		return // an absolute link is never served (os.Root refuses it)
	}
	// Where it really leads, through links to folders on the way (events
	// come for that path); as written when that does not exist yet.
	to := filepath.Join(filepath.Dir(name), target)
	if real, err := filepath.EvalSymlinks(name); err == nil {
		if rel, err := filepath.Rel(l.realDir, real); err == nil && filepath.IsLocal(rel) {
			to = filepath.Join(l.w.dir, rel)
		}
	}
	if tp, ok := l.urlPath(to); ok {
		l.links[p] = tp
	}
}

// urlPath returns the URL path of a file under the site folder, and false
// for anything outside it.
func (l *loop) urlPath(name string) (string, bool) {
	rel, err := filepath.Rel(l.w.dir, name)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", false
	}
	if rel == "." {
		return "/", true
	}
	return "/" + filepath.ToSlash(rel), true
}

// handle turns one fsnotify event into events for the debouncer, and keeps
// the watches in step with the folders.
func (l *loop) handle(ev fsnotify.Event) {
	// A mode change alone is reported too: it changes no byte, but it can
	// make a file readable or unreadable. The update reads such a file
	// again and, finding the same bytes, changes nothing.
	p, ok := l.urlPath(ev.Name)
	if !ok || manifest.Hidden(p) && !manifest.HostRules(p) {
		return
	}
	if p == "/" && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		l.log.Error("the site folder was removed or moved away; the last manifest stays in service", "path", l.w.dir)
		return
	}
	if _, unwatched := l.unwatched[ev.Name]; (l.watched[ev.Name] || unwatched) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		l.forget(ev.Name)
	}
	if ev.Has(fsnotify.Remove | fsnotify.Rename | fsnotify.Create) {
		l.noteLink(ev.Name, p)
	}
	if ev.Has(fsnotify.Remove | fsnotify.Rename) {
		for link := range l.links {
			if strings.HasPrefix(link, p+"/") {
				delete(l.links, link) // was in a folder that is gone
			}
		}
	}
	if ev.Has(fsnotify.Create) {
		// A folder created, or renamed into place (a rename-save of a whole
		// folder): watch it and everything below, and report its files, whose
		// own events came before the watch and are lost.
		if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
			l.addTree(ev.Name, true)
			return
		}
	}
	l.changed(p)
}

// addTree watches dir and every folder below it. With report set it also
// emits an event for every file found, for a folder that appeared after the
// watch of its parent.
func (l *loop) addTree(dir string, report bool) {
	filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		p, ok := l.urlPath(name)
		if !ok {
			return filepath.SkipDir
		}
		if name != l.w.dir && manifest.Hidden(p) {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err != nil {
			// A folder that went away or cannot be read: the build reports
			// the files it cannot read; here only the watch is missing.
			if !errors.Is(err, fs.ErrNotExist) {
				l.log.Warn("cannot watch folder", "path", name, "err", err)
			}
			return nil
		}
		if !d.IsDir() {
			if d.Type()&fs.ModeSymlink != 0 {
				l.noteLink(name, p)
			}
			if report {
				l.changed(p)
			}
			return nil
		}
		// The watch is added before the folder is listed (WalkDir reads the
		// entries after this call), so a file created meanwhile is seen by one
		// or the other, or both.
		l.watch(name)
		if report {
			l.changed(p) // lets the build notice the folder's removal too
		}
		return nil
	})
}

// watch adds a watch on one folder, or leaves it to the rescans when the
// watch limit is reached.
func (l *loop) watch(dir string) {
	if l.watched[dir] {
		return
	}
	err := l.w.add(dir)
	switch {
	case err == nil:
		l.watched[dir] = true
		delete(l.unwatched, dir)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, errNoWatcher):
		if !l.warnedLimit && !errors.Is(err, errNoWatcher) {
			l.warnedLimit = true
			l.log.Error("inotify watch limit reached: raise it with sudo sysctl fs.inotify.max_user_watches=524288; until then, folders without a watch are rescanned",
				"path", dir, "every", l.w.opts.Rescan)
		}
		if _, ok := l.unwatched[dir]; !ok {
			l.unwatched[dir] = list(dir)
		}
	case errors.Is(err, fs.ErrNotExist):
		// gone already: its parent's event reports it
	default:
		l.log.Warn("cannot watch folder", "path", dir, "err", err)
	}
}

// forget drops the watches of a folder removed or renamed away, and of the
// folders below it: inotify keeps a moved folder's watch under its old name.
func (l *loop) forget(name string) {
	prefix := name + string(filepath.Separator)
	for d := range l.watched {
		if d == name || strings.HasPrefix(d, prefix) {
			delete(l.watched, d)
			if l.w.fsw != nil {
				l.w.fsw.Remove(d) // the watch may be gone already; nothing to do then
			}
		}
	}
	for d := range l.unwatched {
		if d == name || strings.HasPrefix(d, prefix) {
			delete(l.unwatched, d)
		}
	}
}

// list reads what a folder holds, for rescans.
func list(dir string) map[string]stamp {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[string]stamp, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		out[e.Name()] = stamp{size: info.Size(), mtime: info.ModTime(), dir: e.IsDir()}
	}
	return out
}

// rescan lists each folder without a watch and reports what changed since
// the last listing. A folder that can be watched now is watched instead.
func (l *loop) rescan() {
	for dir, before := range l.unwatched {
		p, _ := l.urlPath(dir)
		if _, err := os.Stat(dir); err != nil {
			delete(l.unwatched, dir)
			l.changed(p)
			continue
		}
		l.watch(dir) // the limit may have been raised, or watches freed
		now := list(dir)
		if _, still := l.unwatched[dir]; still {
			l.unwatched[dir] = now
		}
		for name, st := range now {
			if b, ok := before[name]; ok && b == st {
				continue
			}
			child := filepath.Join(dir, name)
			if st.dir {
				// New, a file before, or gone and back since (its watch went
				// with it): watch it and report what it holds.
				if _, unwatched := l.unwatched[child]; !l.watched[child] && !unwatched {
					l.addTree(child, true)
				}
				continue
			}
			if before[name].dir {
				l.forget(child) // a folder before
			}
			if cp, ok := l.urlPath(child); ok && (!manifest.Hidden(cp) || manifest.HostRules(cp)) {
				l.noteLink(child, cp)
				l.changed(cp)
			}
		}
		for name := range before {
			if _, ok := now[name]; !ok {
				if cp, ok := l.urlPath(filepath.Join(dir, name)); ok && (!manifest.Hidden(cp) || manifest.HostRules(cp)) {
					l.forget(filepath.Join(dir, name))
					l.noteLink(filepath.Join(dir, name), cp)
					l.changed(cp)
				}
			}
		}
	}
}
