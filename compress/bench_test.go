package compress

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"herald/internal/testsite"
	"herald/manifest"
)

var python struct {
	once sync.Once
	dir  string
	m    *manifest.Manifest
	err  error
}

// pythonSite builds the manifest of the python docs once per run.
func pythonSite(b *testing.B) (string, *manifest.Manifest) {
	dir := testsite.Dir(b, "python")
	python.once.Do(func() {
		python.dir = dir
		python.m, _, python.err = manifest.Build(os.DirFS(dir), manifest.Options{})
	})
	if python.err != nil {
		b.Fatal(python.err)
	}
	return python.dir, python.m
}

// fileJob is a file of the site by URL path ("/a.css?v=1").
func fileJob(dir, p, hash string, size int64) File {
	p, _, _ = strings.Cut(p, "?")
	return File{Hash: hash, Size: size, Open: func() (io.ReadCloser, error) { return os.Open(filepath.Join(dir, filepath.FromSlash(p))) }}
}

// criticalJobs are the given pages and their critical assets, the
// compressible ones.
func criticalJobs(dir string, m *manifest.Manifest, pages []string) []File {
	var jobs []File
	for _, p := range pages {
		jobs = append(jobs, fileJob(dir, p, m.Files[p].Hash, m.Files[p].Size))
		for _, a := range m.Pages[p].Assets {
			if Compressible(a.Type) {
				jobs = append(jobs, fileJob(dir, a.Path, a.Hash, a.Size))
			}
		}
	}
	return jobs
}

// BenchmarkEncode compresses the python docs index and its critical assets
// in each coding; bytes/op is reported as "encoded-bytes".
func BenchmarkEncode(b *testing.B) {
	dir, m := pythonSite(b)
	var files [][]byte
	size := 0
	for _, j := range criticalJobs(dir, m, []string{"/index.html"}) {
		rc, err := j.Open()
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += len(data)
	}
	for _, cd := range append(Preferred[:], brotliBest) {
		b.Run(formName(cd), func(b *testing.B) {
			b.SetBytes(int64(size))
			n := 0
			for b.Loop() {
				n = 0
				for _, f := range files {
					n += len(Encode(cd, f))
				}
			}
			b.ReportMetric(float64(n), "encoded-bytes")
			b.ReportMetric(float64(size), "identity-bytes")
		})
	}
}

// BenchmarkWarmCritical measures the time from a new Cache to every
// critical asset of every page of the python docs (and the index page)
// ready in every coding: cold (nothing on disk), then with their brotli
// forms at best quality too (made QuietFor after the start, no request
// coming), and after a restart (the disk cache filled by an earlier run,
// the best forms too).
func BenchmarkWarmCritical(b *testing.B) {
	dir, m := pythonSite(b)
	pages := make([]string, 0, len(m.Pages))
	for p := range m.Pages {
		pages = append(pages, p)
	}
	// The index page, and every page's critical assets.
	jobs := criticalJobs(dir, m, []string{"/index.html"})
	for _, p := range pages {
		jobs = append(jobs, criticalJobs(dir, m, []string{p})[1:]...)
	}
	warm := func(b *testing.B, cacheDir string, best bool) Stats {
		c := New(Options{Dir: cacheDir})
		defer c.Close()
		c.Warm("python", jobs, nil)
		if best {
			c.WaitBest()
		} else {
			c.Wait()
		}
		return c.Stats()
	}
	b.Run("cold", func(b *testing.B) {
		var s Stats
		for b.Loop() {
			s = warm(b, b.TempDir(), false)
		}
		b.ReportMetric(float64(s.Compressed), "forms")
	})
	b.Run("best", func(b *testing.B) {
		var s Stats
		for b.Loop() {
			s = warm(b, b.TempDir(), true)
		}
		b.ReportMetric(float64(s.BestMade), "best-forms")
		b.ReportMetric(float64(s.Compressed), "forms")
	})
	b.Run("disk", func(b *testing.B) {
		cacheDir := b.TempDir()
		warm(b, cacheDir, true)
		var s Stats
		b.ResetTimer()
		for b.Loop() {
			s = warm(b, cacheDir, false)
		}
		b.ReportMetric(float64(s.DiskHits), "forms")
		b.ReportMetric(float64(s.BestMade+s.Compressed), "made")
	})
}
