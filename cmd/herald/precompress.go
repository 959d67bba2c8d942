package main

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"sync"

	"herald/compress"
	"herald/manifest"
)

// precompress writes the .zst, .br and .gz siblings of every compressible
// file of the site in dir (compress.WriteSiblings), before the manifest is
// built: the manifest then lists them among its files (never as pages or
// assets), so a later herald check builds the same one, and herald serve
// sends them as they are. Hidden files, siblings and links are left alone.
// The critical assets of the pages get their brotli sibling at the best
// quality: a manifest of the site as it is (opts) names them first.
func precompress(dir string, opts manifest.Options) (compress.SiblingStats, error) {
	m, _, err := buildSite(dir, opts)
	if err != nil {
		return compress.SiblingStats{}, err
	}
	critical := m.CriticalFiles()
	var names []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		u := "/" + filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && manifest.Hidden(u) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !manifest.Hidden(u) && manifest.Uncompressed(u) == u &&
			compress.Compressible(manifest.ContentType(u)) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return compress.SiblingStats{}, err
	}
	workers := runtime.GOMAXPROCS(0)
	enc := compress.NewEncoder(workers)
	var (
		mu    sync.Mutex
		total compress.SiblingStats
		first error
		wg    sync.WaitGroup
	)
	todo := make(chan string)
	for range workers {
		wg.Go(func() {
			for p := range todo {
				rel, _ := filepath.Rel(dir, p)
				st, err := enc.WriteSiblings(p, 0o644, critical["/"+filepath.ToSlash(rel)])
				mu.Lock()
				total.Written += st.Written
				total.Kept += st.Kept
				total.Removed += st.Removed
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range names {
		todo <- p
	}
	close(todo)
	wg.Wait()
	return total, first
}
