package watch

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
	"herald/serve"
)

// copySite copies a prepared test site into a temporary folder the
// benchmark may edit.
func copySite(b *testing.B, name string) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(testsite.Dir(b, name))); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchEdits are the single-file edits measured: a page, and the stylesheet
// every page imports (each page's assets are assembled again).
var benchEdits = []struct{ name, file string }{
	{"page", "library/os.html"},
	{"shared-css", "_static/pygments.css"},
}

// BenchmarkApplyOne: the time from one file's write event leaving the
// debouncer to the new manifest being in service (Update, Manifest, the
// changed-path list and the swap; in the handler cases also
// serve.Handler.SetManifest, as herald serve's callback does), on the
// python docs.
func BenchmarkApplyOne(b *testing.B) {
	dir := copySite(b, "python")
	for _, e := range benchEdits {
		for _, handler := range []bool{false, true} {
			name := e.name + "/manifest"
			if handler {
				name = e.name + "/handler"
			}
			b.Run(name, func(b *testing.B) {
				// No batch reaches the apply loop on its own: the benchmark
				// calls apply itself, where the apply loop would.
				var h *serve.Handler
				w, err := New(dir, Options{Rule: Rule{Quiet: time.Hour, MaxDelay: time.Hour}, OnChange: func(c Change) {
					if h != nil {
						h.SetManifest(c.Manifest)
					}
				}})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				if handler {
					h = serve.New(os.DirFS(dir), w.Manifest(), serve.DefaultOptions())
				}
				p := filepath.Join(dir, e.file)
				orig, err := os.ReadFile(p)
				if err != nil {
					b.Fatal(err)
				}
				defer os.WriteFile(p, orig, 0o644)
				var total time.Duration
				for i := range b.N {
					os.WriteFile(p, append(orig, byte('a'+i%26)), 0o644)
					start := time.Now()
					w.apply(batch{paths: []string{"/" + e.file}})
					total += time.Since(start)
				}
				b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/update")
			})
		}
	}
}

// BenchmarkWriteToService: the same, end to end through inotify and the
// pipeline with a 1 µs quiet period: from the write returning to the
// callback holding the new manifest.
func BenchmarkWriteToService(b *testing.B) {
	dir := copySite(b, "python")
	for _, e := range benchEdits {
		b.Run(e.name, func(b *testing.B) {
			changes := make(chan Change, 16)
			h := serve.New(os.DirFS(dir), nil, serve.DefaultOptions())
			w, err := New(dir, Options{Rule: Rule{Quiet: time.Microsecond}, OnChange: func(c Change) {
				h.SetManifest(c.Manifest)
				changes <- c
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			p := filepath.Join(dir, e.file)
			orig, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			defer os.WriteFile(p, orig, 0o644)
			var total time.Duration
			for i := range b.N {
				start := time.Now()
				os.WriteFile(p, append(orig, byte('a'+i%26)), 0o644)
				awaitPath(b, changes, "/"+e.file)
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/update")
		})
	}
}

// awaitPath waits for a change that includes p (a write may come as two
// events, and so two changes).
func awaitPath(b *testing.B, changes <-chan Change, p string) Change {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case c := <-changes:
			for _, q := range c.Paths {
				if q == p {
					return c
				}
			}
		case <-timeout:
			b.Fatalf("no change of %s", p)
		}
	}
}

var burstRound int

// BenchmarkBurst: every file of the python docs written again, as a git
// checkout would: from the last write to the new manifest in service, with
// the default rule, against a full build of the same folder.
func BenchmarkBurst(b *testing.B) {
	dir := copySite(b, "python")
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	contents := make([][]byte, len(files))
	for i, f := range files {
		contents[i], _ = os.ReadFile(f)
	}
	b.Run("full-build", func(b *testing.B) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer root.Close()
		for b.Loop() {
			nb, err := manifest.NewBuilder(root.FS(), manifest.Options{})
			if err != nil {
				b.Fatal(err)
			}
			nb.Manifest()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/build")
	})
	// The same full build after every file was written and the debounce's
	// quiet time passed, as the watcher's build runs: a build in these
	// conditions is slower than one on a quiet page cache (the kernel is
	// writing the new bytes back; measured: 79 ms after the pause, 71-77
	// right after the writes, 61-67 on a quiet cache), so this is the build
	// a burst is held to.
	b.Run("full-build-after-writes", func(b *testing.B) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer root.Close()
		var total time.Duration
		for range b.N {
			burstRound++
			for j, f := range files {
				os.WriteFile(f, append(contents[j], byte('a'+burstRound%26)), 0o644)
			}
			time.Sleep(DefaultRule.Quiet)
			start := time.Now()
			nb, err := manifest.NewBuilder(root.FS(), manifest.Options{})
			if err != nil {
				b.Fatal(err)
			}
			nb.Manifest()
			total += time.Since(start)
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/build")
	})
	b.Run("burst", func(b *testing.B) {
		changes := serving(b, dir)
		var total time.Duration
		full := 0
		for range b.N {
			burstRound++ // every round writes new bytes, also across runs of the benchmark
			for j, f := range files {
				os.WriteFile(f, append(contents[j], byte('a'+burstRound%26)), 0o644)
			}
			last := time.Now()
			c := awaitPath(b, changes, "/index.html")
			total += time.Since(last)
			if c.Full {
				full++
			}
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/burst")
		b.ReportMetric(float64(DefaultRule.Quiet.Milliseconds()), "ms-quiet")
		b.ReportMetric(float64(full)/float64(b.N), "full/op")
	})
	// A generator writing the whole site again, every file with the bytes
	// it had: the same full build, without parsing or assembling anything.
	b.Run("rewrite", func(b *testing.B) {
		changes := serving(b, dir)
		var total time.Duration
		for range b.N {
			for _, f := range files {
				data, _ := os.ReadFile(f)
				os.WriteFile(f, data, 0o644)
			}
			last := time.Now()
			select {
			case c := <-changes:
				if !c.Full || len(c.Paths) != 0 {
					b.Fatalf("a rewrite of every file as it was: full %v, %d paths changed", c.Full, len(c.Paths))
				}
			case <-time.After(30 * time.Second):
				b.Fatal("no change")
			}
			total += time.Since(last)
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/burst")
	})
}

// serving watches dir with the default rule, as herald serve does: each
// change goes into a handler, then to the channel returned.
func serving(b *testing.B, dir string) <-chan Change {
	changes := make(chan Change, 16)
	h := serve.New(os.DirFS(dir), nil, serve.DefaultOptions())
	w, err := New(dir, Options{OnChange: func(c Change) {
		h.SetManifest(c.Manifest)
		changes <- c
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return changes
}
