package watch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"

	"github.com/fsnotify/fsnotify"
)

// site is a running watcher on a temporary folder.
type site struct {
	t       *testing.T
	dir     string
	w       *Watcher
	changes chan Change
	log     *testsite.Buffer
}

var baseFiles = map[string]string{
	"index.html":     `<link rel=stylesheet href=css/site.css><script src=js/app.js></script><h1>home</h1>`,
	"docs/a.html":    `<link rel=stylesheet href=../css/site.css><p>a</p>`,
	"css/site.css":   `@import "base.css"; body{color:red}`,
	"css/base.css":   `p{margin:0}`,
	"js/app.js":      `console.log(1)`,
	"docs/deep/x.js": `1`,
}

// startSite writes files into a new folder and watches it.
// links are pairs of a link's name and its target, relative to the site.
func startSite(t *testing.T, files map[string]string, opts Options, hk hooks, links ...string) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), changes: make(chan Change, 1000), log: &testsite.Buffer{}}
	for name, body := range files {
		s.write(name, body)
	}
	for i := 0; i+1 < len(links); i += 2 {
		target, _ := filepath.Rel(filepath.Dir(s.path(links[i])), s.path(links[i+1]))
		if err := os.Symlink(target, s.path(links[i])); err != nil {
			t.Fatal(err)
		}
	}
	opts.Logger = slog.New(slog.NewTextHandler(s.log, nil))
	opts.OnChange = func(c Change) { s.changes <- c }
	w, err := newWatcher(s.dir, opts, hk)
	if err != nil {
		t.Fatal(err)
	}
	s.w = w
	t.Cleanup(func() { w.Close() })
	return s
}

func (s *site) path(name string) string { return filepath.Join(s.dir, filepath.FromSlash(name)) }

func (s *site) write(name, body string) {
	s.t.Helper()
	p := s.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// await reads changes until the manifest in service satisfies ok, and
// returns the changes read. It fails after a long wait: that is a change the
// watcher missed, not a slow one.
func (s *site) await(what string, ok func(m *manifest.Manifest) bool) []Change {
	s.t.Helper()
	var got []Change
	timeout := time.After(20 * time.Second)
	for !ok(s.w.Manifest()) {
		select {
		case c := <-s.changes:
			got = append(got, c)
		case <-timeout:
			s.t.Fatalf("%s: never seen; log:\n%s", what, s.log.String())
		}
	}
	return got
}

func has(p string) func(*manifest.Manifest) bool {
	return func(m *manifest.Manifest) bool { _, ok := m.Files[p]; return ok }
}

func hasNot(p string) func(*manifest.Manifest) bool {
	return func(m *manifest.Manifest) bool { _, ok := m.Files[p]; return !ok }
}

func all(conds ...func(*manifest.Manifest) bool) func(*manifest.Manifest) bool {
	return func(m *manifest.Manifest) bool {
		for _, c := range conds {
			if !c(m) {
				return false
			}
		}
		return true
	}
}

func assetHash(page, asset string) func(*manifest.Manifest) string {
	return func(m *manifest.Manifest) string {
		if pg := m.Pages[page]; pg != nil {
			for _, a := range pg.Assets {
				if a.Path == asset {
					return a.Hash
				}
			}
		}
		return ""
	}
}

var fastRule = Rule{Quiet: 20 * time.Millisecond}

// TestFilesystem: each edit on a real folder reaches the manifest.
func TestFilesystem(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *site)
		want func(m *manifest.Manifest) bool
	}{
		{"create a page", func(s *site) { s.write("new.html", `<link rel=stylesheet href=css/base.css>`) },
			func(m *manifest.Manifest) bool {
				return m.Pages["/new.html"] != nil && len(m.Pages["/new.html"].Assets) == 1
			}},
		{"change an imported stylesheet: every page gets its new hash", func(s *site) { s.write("css/base.css", `p{margin:1px}`) },
			func(m *manifest.Manifest) bool {
				h := m.Files["/css/base.css"].Hash
				return assetHash("/index.html", "/css/base.css")(m) == h && assetHash("/docs/a.html", "/css/base.css")(m) == h &&
					h != "" && h != sha(`p{margin:0}`)
			}},
		{"delete a script", func(s *site) { os.Remove(s.path("js/app.js")) },
			func(m *manifest.Manifest) bool {
				return hasNot("/js/app.js")(m) && len(m.Pages["/index.html"].Missing) == 1
			}},
		{"rename a stylesheet", func(s *site) { os.Rename(s.path("css/site.css"), s.path("css/main.css")) },
			all(hasNot("/css/site.css"), has("/css/main.css"))},
		{"rename-save (write a temporary file, rename it over)", func(s *site) {
			s.write("docs/a.html.tmp", `<p>saved</p>`)
			os.Rename(s.path("docs/a.html.tmp"), s.path("docs/a.html"))
		}, func(m *manifest.Manifest) bool {
			return m.Files["/docs/a.html"].Hash == sha(`<p>saved</p>`) && hasNot("/docs/a.html.tmp")(m)
		}},
		{"new nested folders", func(s *site) {
			s.write("guide/part/one/p.html", `1`)
			s.write("guide/part/two/q.html", `2`)
		}, all(has("/guide/part/one/p.html"), has("/guide/part/two/q.html"))},
		{"a folder moved in from outside (its files' events never came)", func(s *site) {
			out := filepath.Join(s.t.TempDir(), "made")
			os.MkdirAll(filepath.Join(out, "sub"), 0o755)
			os.WriteFile(filepath.Join(out, "sub", "page.html"), []byte(`<p>x`), 0o644)
			os.WriteFile(filepath.Join(out, "top.css"), []byte(`x{}`), 0o644)
			if err := os.Rename(out, s.path("made")); err != nil {
				s.t.Fatal(err)
			}
		}, all(has("/made/sub/page.html"), has("/made/top.css"))},
		{"a folder moved away", func(s *site) { os.Rename(s.path("docs"), filepath.Join(s.t.TempDir(), "gone")) },
			all(hasNot("/docs/a.html"), hasNot("/docs/deep/x.js"))},
		{"a folder removed", func(s *site) { os.RemoveAll(s.path("docs")) },
			all(hasNot("/docs/a.html"), hasNot("/docs/deep/x.js"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSite(t, baseFiles, Options{Rule: fastRule}, hooks{})
			tt.edit(s)
			changes := s.await(tt.name, tt.want)
			for _, c := range changes {
				if c.Full {
					t.Errorf("a full rebuild for %d paths: want incremental updates", len(c.Paths))
				}
			}
		})
	}
}

// TestWatchesFollowFolders: folders created or moved in are watched, and a
// folder moved within the site is watched under its new name only.
func TestWatchesFollowFolders(t *testing.T) {
	s := startSite(t, baseFiles, Options{Rule: fastRule}, hooks{})
	s.write("new/dir/a.txt", "a")
	s.await("file in a new folder", has("/new/dir/a.txt"))
	s.write("new/dir/b.txt", "b") // the new folder's own watch sees this
	s.await("second file in the new folder", has("/new/dir/b.txt"))

	if err := os.Rename(s.path("docs"), s.path("moved")); err != nil {
		t.Fatal(err)
	}
	s.await("moved folder", all(has("/moved/deep/x.js"), hasNot("/docs/deep/x.js")))
	s.write("moved/deep/y.js", "y")
	s.await("file in a moved folder", all(has("/moved/deep/y.js"), hasNot("/docs/deep/y.js")))
}

// TestBurst: thousands of files written at once become one full rebuild.
func TestBurst(t *testing.T) {
	// A quiet period of a second keeps a loaded machine's pauses between
	// writes inside the burst: the burst must be one change, nothing less.
	s := startSite(t, baseFiles, Options{Rule: Rule{Quiet: time.Second, Burst: 100}}, hooks{})
	for i := range 1000 {
		s.write(fmt.Sprintf("gen/%02d/%03d.html", i%10, i), fmt.Sprintf(`<link rel=stylesheet href=/css/site.css><p>%d`, i))
	}
	changes := s.await("all generated pages", func(m *manifest.Manifest) bool { return len(m.Pages) == 1002 })
	if len(changes) != 1 || !changes[0].Full {
		for _, c := range changes {
			t.Logf("change: full %v, %d paths", c.Full, len(c.Paths))
		}
		t.Fatalf("%d changes: want the burst applied as one full rebuild", len(changes))
	}
	if got := len(changes[0].Paths); got != 1000 {
		t.Errorf("the rebuild reports %d changed paths, want 1000", got)
	}
}

// TestWatchLimits: when no more watches can be added, or no inotify
// instance made, one message names the sysctl to raise, and the folders
// left without a watch are rescanned.
func TestWatchLimits(t *testing.T) {
	files := map[string]string{"index.html": "<p>", "limited/a.html": "a", "limited/sub/b.html": "b"}
	tests := []struct {
		name               string
		hooks              hooks
		sysctl             string
		watched, rescanned int
	}{
		{"watch limit", hooks{add: func(w *fsnotify.Watcher, dir string) error {
			if strings.Contains(filepath.ToSlash(dir), "/limited") {
				return fmt.Errorf("inotify_add_watch %s: %w", dir, syscall.ENOSPC)
			}
			return w.Add(dir)
		}}, "fs.inotify.max_user_watches", 1, 2},
		{"instance limit", hooks{open: func() (*fsnotify.Watcher, error) {
			return nil, fmt.Errorf("inotify_init1: %w", syscall.EMFILE)
		}}, "fs.inotify.max_user_instances", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSite(t, files, Options{Rule: fastRule, Rescan: 20 * time.Millisecond}, tt.hooks)
			if w, r := s.w.Folders(); w != tt.watched || r != tt.rescanned {
				t.Errorf("Folders() = %d watched, %d rescanned; want %d, %d", w, r, tt.watched, tt.rescanned)
			}
			s.write("limited/sub/c.html", "c")
			s.write("limited/new/d.html", "d")
			s.write("limited/a.html", "changed, longer")
			os.Remove(s.path("limited/sub/b.html"))
			s.write("index.html", "<p>changed")
			s.await("changes in unwatched folders", func(m *manifest.Manifest) bool {
				return has("/limited/sub/c.html")(m) && has("/limited/new/d.html")(m) && hasNot("/limited/sub/b.html")(m) &&
					m.Files["/limited/a.html"].Hash == sha("changed, longer") && m.Files["/index.html"].Hash == sha("<p>changed")
			})
			if n := strings.Count(s.log.String(), tt.sysctl); n != 1 {
				t.Errorf("%s is named %d times, want once; log:\n%s", tt.sysctl, n, s.log.String())
			}
		})
	}
}

// TestHandle: which fsnotify events reach the debouncer, and as what.
func TestHandle(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "made"), 0o755)
	os.WriteFile(filepath.Join(dir, "made", "in.html"), nil, 0o644)
	tests := []struct {
		name string
		op   fsnotify.Op
		want []string
	}{
		{"a.html", fsnotify.Write, []string{"/a.html"}},
		{"a.html", fsnotify.Chmod, []string{"/a.html"}}, // may make it readable; same bytes change nothing
		{"a.html", fsnotify.Write | fsnotify.Chmod, []string{"/a.html"}},
		{"a.html", fsnotify.Remove, []string{"/a.html"}},
		{"push-manifest.json", fsnotify.Create, nil},
		{"sub/push-manifest.json", fsnotify.Create, []string{"/sub/push-manifest.json"}},
		{".push-manifest.json.tmp-123", fsnotify.Create, nil},
		{".git/index", fsnotify.Write, nil},
		{".a.html.swp", fsnotify.Write, nil},
		{"a.html.swp", fsnotify.Write, nil},
		{"a.html.swx", fsnotify.Write, nil},
		{"4913", fsnotify.Create, nil},
		{"a.html~", fsnotify.Create, nil},
		{"docs/.#a.html", fsnotify.Create, nil},
		{"made", fsnotify.Create, []string{"/made", "/made/in.html"}},
		{"../outside.html", fsnotify.Write, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.op.String(), func(t *testing.T) {
			w := &Watcher{dir: dir, events: make(chan event, 10), done: make(chan struct{}), log: slog.Default(),
				add: func(string) error { return nil }}
			l := newLoop(w)
			l.handle(fsnotify.Event{Name: filepath.Join(dir, tt.name), Op: tt.op})
			close(w.events)
			var got []string
			for e := range w.events {
				got = append(got, e.path)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestIncrementalMatchesFull: after a seeded random sequence of edits on a
// real folder, the manifest the watcher keeps current by incremental updates
// has the same bytes as a full build.
func TestIncrementalMatchesFull(t *testing.T) {
	s := startSite(t, baseFiles, Options{Rule: Rule{Quiet: 5 * time.Millisecond, Burst: 1 << 20}}, hooks{})
	names := []string{"index.html", "docs/a.html", "docs/b.html", "new/c.html", "css/site.css", "css/base.css",
		"css/extra.css", "js/app.js", "js/other.js", "docs/deep/x.js", "img/h.png"}
	contents := []string{
		`<link rel=stylesheet href=/css/extra.css><script src=/js/other.js></script>`,
		`<link rel=stylesheet href=../css/site.css><img src=/img/h.png width=900 height=900>`,
		`@import "base.css"; @import url(extra.css) print; x{}`, `@import "site.css"; p{}`,
		`.hero{background:url(/img/h.png)} body{}`, `console.log(2)`, `<p>plain`,
	}
	dirs := []string{"docs", "new", "css", "js", "img"}
	rng := rand.New(rand.NewPCG(4, 2))
	for step := range 80 {
		for range 1 + rng.IntN(4) {
			switch k := rng.IntN(10); {
			case k < 6:
				tryWrite(s.path(names[rng.IntN(len(names))]), contents[rng.IntN(len(contents))]+fmt.Sprint(rng.IntN(3)))
			case k < 8:
				os.Remove(s.path(names[rng.IntN(len(names))]))
			case k < 9:
				os.Rename(s.path(names[rng.IntN(len(names))]), s.path(names[rng.IntN(len(names))]))
			case rng.IntN(4) == 0:
				// a link, to a file or a folder, or broken
				targets := append(append([]string{"nowhere"}, names...), dirs...)
				link := s.path(names[rng.IntN(len(names))])
				os.Remove(link)
				target, _ := filepath.Rel(filepath.Dir(link), s.path(targets[rng.IntN(len(targets))]))
				os.Symlink(target, link) // relative: an os.Root refuses absolute links
			case rng.IntN(3) == 0:
				// a file where a folder was, or the other way round
				d := dirs[rng.IntN(len(dirs))]
				os.RemoveAll(s.path(d))
				if rng.IntN(2) == 0 {
					tryWrite(s.path(d), "now a file")
				} else {
					tryWrite(s.path(d+"/index.html"), `<link rel=stylesheet href=../css/site.css>`)
				}
			default:
				d := dirs[rng.IntN(len(dirs))]
				if rng.IntN(2) == 0 {
					os.RemoveAll(s.path(d))
				} else {
					os.Rename(s.path(d), s.path(dirs[rng.IntN(len(dirs))]+"2"))
				}
			}
		}
		sentinel := fmt.Sprintf("sentinel/%d.txt", step)
		s.write(sentinel, "")
		for _, c := range s.await("step "+fmt.Sprint(step), has("/"+sentinel)) {
			if c.Full {
				t.Fatalf("step %d: a full rebuild; this test is about incremental updates", step)
			}
		}
		root, err := os.OpenRoot(s.dir)
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := manifest.Build(root.FS(), manifest.Options{})
		root.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := manifest.Marshal(full)
		got, _ := manifest.Marshal(copyManifest(s.w.Manifest()))
		if !bytes.Equal(got, want) {
			t.Fatalf("step %d: incremental manifest differs from a full build\n got %s\nwant %s", step, got, want)
		}
	}
}

// copyManifest copies the top of a manifest, since Marshal sets its Hash and
// the one in service is shared with the apply loop.
func copyManifest(m *manifest.Manifest) *manifest.Manifest {
	c := *m
	return &c
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// tryWrite writes a file, making its folder, and leaves it at that when a
// file stands where a folder should (the random edits make such sites).
func tryWrite(name, body string) {
	os.MkdirAll(filepath.Dir(name), 0o755)
	os.WriteFile(name, []byte(body), 0o644)
}

// TestUnreadable: a file that cannot be read is logged with its path and
// left out; the rest of the site goes on being updated.
func TestUnreadable(t *testing.T) {
	tests := []struct {
		name string
		make func(s *site)
		path string
	}{
		{"broken link", func(s *site) { os.Symlink("nowhere.html", s.path("broken.html")) }, "/broken.html"},
		{"link out of the site", func(s *site) { os.Symlink("/etc/hostname", s.path("out.txt")) }, "/out.txt"},
		{"no permission", func(s *site) { // read as a user without root would
			s.write("secret.html", "x")
			os.Chmod(s.path("secret.html"), 0)
		}, "/secret.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSite(t, baseFiles, Options{Rule: fastRule}, hooks{fsys: asUser})
			tt.make(s)
			s.write("after.html", "<p>")
			changes := s.await("the next file", has("/after.html"))
			if hasNot(tt.path)(s.w.Manifest()) == false {
				t.Errorf("%s is in the manifest", tt.path)
			}
			logged := strings.Contains(s.log.String(), "path="+tt.path)
			reported := false
			for _, c := range changes {
				for _, p := range c.Problems {
					reported = reported || p.Path == tt.path
				}
			}
			if !logged || !reported {
				t.Errorf("logged %v, reported with the change %v; log:\n%s", logged, reported, s.log.String())
			}
		})
	}
}

// TestLinkTarget: a link in the site changes with its target, whether the
// link was there at the start or made later.
func TestLinkTarget(t *testing.T) {
	s := startSite(t, baseFiles, Options{Rule: fastRule}, hooks{}, "latest.html", "docs/a.html")
	s.write("docs/a.html", "<p>new")
	s.await("the link at the start", func(m *manifest.Manifest) bool { return m.Files["/latest.html"].Hash == sha("<p>new") })
	if err := os.Symlink("../css/base.css", s.path("docs/style.css")); err != nil {
		t.Fatal(err)
	}
	s.await("the new link", has("/docs/style.css"))
	s.write("css/base.css", "b{}")
	s.await("the new link's target", func(m *manifest.Manifest) bool { return m.Files["/docs/style.css"].Hash == sha("b{}") })
}
