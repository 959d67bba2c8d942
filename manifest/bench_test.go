package manifest

import (
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"testing"

	"herald/internal/testsite"
)

// BenchmarkBuildPython builds the whole python docs site (530 pages, 67 MB)
// and, in the same run, the floor a build cannot beat: walking the same files
// and sha256-hashing each one, on the same number of workers. The ratio of
// the two is the figure that matters on a noisy machine; peak-heap-MB is the
// largest heap seen during the build (sampled after each run).
func BenchmarkBuildPython(b *testing.B) {
	dir := testsite.Dir(b, "python")
	root, err := os.OpenRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	fsys := root.FS()

	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			hashAll(b, fsys)
		}
	})
	b.Run("build", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			if _, _, err := Build(fsys, Options{}); err != nil {
				b.Fatal(err)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapSys-ms.HeapReleased)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
}

// hashAll is the floor: walk and sha256 every file, GOMAXPROCS at a time.
func hashAll(b *testing.B, fsys fs.FS) {
	names := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for n := range names {
				f, err := fsys.Open(n)
				if err != nil {
					b.Error(err)
					continue
				}
				h := sha256.New()
				io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
				h.Sum(nil)
				f.Close()
			}
		}()
	}
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names <- p
		}
		return nil
	})
	close(names)
	wg.Wait()
}

// BenchmarkUpdatePython: the incremental path on the python docs, from a
// changed file to the new manifest: one page (only it is assembled again),
// and the stylesheet every page imports (all 530 are).
func BenchmarkUpdatePython(b *testing.B) {
	root, err := os.OpenRoot(testsite.Dir(b, "python"))
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	builder, err := NewBuilder(root.FS(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	builder.Manifest()
	for _, c := range []struct{ name, path string }{{"page", "/library/os.html"}, {"shared-css", "/_static/basic.css"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				builder.Update(c.path)
				builder.Manifest()
			}
		})
	}
}

// BenchmarkMarshalPython: writing the python docs' manifest (2 MB), as
// herald build does once it has built it.
func BenchmarkMarshalPython(b *testing.B) {
	root, err := os.OpenRoot(testsite.Dir(b, "python"))
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	m, _, err := Build(root.FS(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		data, _ := Marshal(m)
		b.SetBytes(int64(len(data)))
	}
}
