package compress

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The disk cache is bounded by Cache.diskBudget. Each form read from it has
// its modification time set to now (touch), so the times order the forms
// by last use, whatever the file system does with access times (noatime,
// relatime). When a write takes the folder over its budget, prune removes
// the forms least recently used until a quarter of the budget is free, so
// that pruning, which lists the folder, is rare.
//
// The byte count starts from a walk of the folder at the first write and
// is then kept by this process; another herald sharing the folder adds
// files it does not count, which the next prune's walk counts again.

// touch marks the form at p as just used.
func touch(p string) {
	now := time.Now()
	os.Chtimes(p, now, now)
}

// wrote counts a form of size bytes just written at p, and prunes when the
// folder is over its budget. The form just written is never removed.
func (c *Cache) wrote(p string, size int64) {
	c.diskMu.Lock()
	defer c.diskMu.Unlock()
	if !c.diskCounted {
		c.diskBytes, c.diskCounted = c.walkDisk(nil), true // counts p too
	} else {
		c.diskBytes += size
	}
	if c.diskBytes > c.diskBudget {
		c.prune(p)
	}
}

type diskFile struct {
	path string
	size int64
	mod  time.Time
}

// walkDisk returns the bytes of the forms in the folder, and lists them in
// files when it is not nil. Temporary files of writes under way are left
// alone.
func (c *Cache) walkDisk(files *[]diskFile) int64 {
	var total int64
	filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		total += info.Size()
		if files != nil {
			*files = append(*files, diskFile{p, info.Size(), info.ModTime()})
		}
		return nil
	})
	return total
}

// prune removes the forms least recently used until the folder holds at
// most three quarters of its budget, keeping the form at keep.
func (c *Cache) prune(keep string) {
	var files []diskFile
	c.diskBytes = c.walkDisk(&files)
	slices.SortFunc(files, func(a, b diskFile) int {
		if n := a.mod.Compare(b.mod); n != 0 {
			return n
		}
		return strings.Compare(a.path, b.path)
	})
	for _, f := range files {
		if c.diskBytes <= c.diskBudget/4*3 {
			break
		}
		if f.path == keep {
			continue
		}
		if err := os.Remove(f.path); err == nil || os.IsNotExist(err) {
			c.diskBytes -= f.size
		}
	}
}
