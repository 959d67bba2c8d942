// Package churn changes a folder as fast as it can, the hard ways: files and
// folders created, rewritten, deleted and renamed, saves that rename a new
// file over the old one, a file replaced by a folder and back, folders moved
// out of the folder and removed, links that loop, FIFOs. The soak test and
// scripts/bench-churn.sh run it against a watched site.
package churn

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// Churner changes the folder Dir. Its methods are for one goroutine.
type Churner struct {
	// Dir is the folder changed; Away is a folder outside it, on the same
	// file system, where folders are moved before they are removed.
	Dir, Away string
	// MaxFiles bounds the files made: past it, removals win.
	MaxFiles int
	rnd      *rand.Rand
	made     map[string]bool // slash paths relative to Dir of every file ever made
	n        int             // a counter for unique names
	// Ops counts the changes made.
	Ops int
}

// New returns a Churner of dir, seeded with seed. away must be a folder
// outside dir on the same file system.
func New(dir, away string, seed uint64) *Churner {
	return &Churner{Dir: dir, Away: away, MaxFiles: 2000, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		made: map[string]bool{}}
}

// Made returns every path (slash-separated, relative to Dir) the churner
// ever wrote a file at, sorted.
func (c *Churner) Made() []string {
	out := make([]string, 0, len(c.made))
	for p := range c.made {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Seed fills the folder with n files in a few folders, to start from.
func (c *Churner) Seed(n int) error {
	for i := 0; i < n; i++ {
		if err := c.writeNew(); err != nil {
			return err
		}
	}
	return nil
}

// Run makes changes until ctx ends, pausing pause between them (zero: none).
func (c *Churner) Run(ctx context.Context, pause time.Duration) error {
	for ctx.Err() == nil {
		if err := c.Step(); err != nil {
			return err
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}

// Step makes one change, chosen at random.
func (c *Churner) Step() error {
	c.Ops++
	ops := []func() error{
		c.writeNew, c.writeNew, c.writeNew,
		c.saveOver, c.saveOver, c.saveOver,
		c.remove, c.remove,
		c.rename,
		c.makeTree,
		c.moveTree,
		c.removeTree,
		c.moveAwayAndRemove,
		c.fileToFolder,
		c.folderToFile,
		c.linkLoop,
		c.linkToFile,
		c.fifo,
	}
	if c.count() > c.MaxFiles {
		ops = []func() error{c.remove, c.removeTree, c.moveAwayAndRemove}
	}
	err := ops[c.rnd.IntN(len(ops))]()
	if err != nil && !tolerable(err) {
		return err
	}
	return nil
}

// tolerable reports an error of a change that raced with an earlier one in
// a way the churner does not track (a folder now a file, a name taken).
func tolerable(err error) bool {
	for _, e := range []error{fs.ErrNotExist, fs.ErrExist, syscall.ENOTDIR, syscall.EISDIR, syscall.ENOTEMPTY, syscall.ELOOP, syscall.EINVAL} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// dirs are the folders the churner works in, a few levels deep.
var dirs = []string{"", "a", "a/b", "a/b/c", "d", "d/e", "f", "g/h"}

func (c *Churner) pick(list []string) string { return list[c.rnd.IntN(len(list))] }

// name returns a new file name in a folder of dirs.
func (c *Churner) name(ext string) string {
	c.n++
	return filepath.ToSlash(filepath.Join(c.pick(dirs), fmt.Sprintf("p%d%s", c.n, ext)))
}

// body returns the bytes of a page or an asset, linking to assets that may
// or may not exist, so that the Link headers change as they come and go.
func (c *Churner) body(name string) []byte {
	switch filepath.Ext(name) {
	case ".html":
		return fmt.Appendf(nil, "<!doctype html><link rel=stylesheet href=/s%d.css><link rel=stylesheet href=/a/s%d.css>"+
			"<script src=/j%d.js></script><h1>%s %d</h1>", c.rnd.IntN(8), c.rnd.IntN(8), c.rnd.IntN(8), name, c.rnd.Int())
	case ".css":
		return fmt.Appendf(nil, "@import \"/s%d.css\"; body{margin:%dpx}", c.rnd.IntN(8), c.rnd.IntN(100))
	default:
		return fmt.Appendf(nil, "console.log(%d) // %s", c.rnd.Int(), name)
	}
}

func (c *Churner) abs(rel string) string { return filepath.Join(c.Dir, filepath.FromSlash(rel)) }

// write writes a file, making its folder.
func (c *Churner) write(rel string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(c.abs(rel)), 0o755); err != nil {
		return err
	}
	c.made[rel] = true
	return os.WriteFile(c.abs(rel), b, 0o644)
}

// writeNew writes a new page, or one of the few stylesheets and scripts
// the pages link to.
func (c *Churner) writeNew() error {
	var rel string
	switch c.rnd.IntN(4) {
	case 0:
		rel = fmt.Sprintf("s%d.css", c.rnd.IntN(8))
	case 1:
		rel = fmt.Sprintf("%s%d.%s", c.pick([]string{"", "a/"}), c.rnd.IntN(8), c.pick([]string{"css", "js"}))
		rel = filepath.ToSlash(filepath.Join(filepath.Dir(rel), c.pick([]string{"s", "j"})+filepath.Base(rel)))
	default:
		rel = c.name(".html")
	}
	return c.write(rel, c.body(rel))
}

// files lists the regular files under Dir, slash paths relative to it.
func (c *Churner) files() []string {
	var out []string
	filepath.WalkDir(c.Dir, func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(c.Dir, name)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func (c *Churner) count() int { return len(c.files()) }

// some returns an existing file, or "" when there is none.
func (c *Churner) some() string {
	fs := c.files()
	if len(fs) == 0 {
		return ""
	}
	return c.pick(fs)
}

// saveOver saves a file as editors do: write a temporary file beside it,
// then rename it over the old one.
func (c *Churner) saveOver() error {
	rel := c.some()
	if rel == "" {
		return c.writeNew()
	}
	tmp := filepath.Join(filepath.Dir(c.abs(rel)), "."+filepath.Base(rel)+".tmp")
	if err := os.WriteFile(tmp, c.body(rel), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.abs(rel))
}

func (c *Churner) remove() error {
	if rel := c.some(); rel != "" {
		return os.Remove(c.abs(rel))
	}
	return nil
}

// rename moves a file to a new name, in the same folder or another.
func (c *Churner) rename() error {
	rel := c.some()
	if rel == "" {
		return nil
	}
	to := c.name(filepath.Ext(rel))
	if err := os.MkdirAll(filepath.Dir(c.abs(to)), 0o755); err != nil {
		return err
	}
	c.made[to] = true
	return os.Rename(c.abs(rel), c.abs(to))
}

// makeTree makes a new folder a few levels deep with files in each level.
func (c *Churner) makeTree() error {
	c.n++
	base := fmt.Sprintf("%s/t%d", c.pick(dirs), c.n)
	for _, sub := range []string{"", "/x", "/x/y"} {
		for i := 0; i < 3; i++ {
			rel := filepath.ToSlash(filepath.Clean(fmt.Sprintf("%s%s/f%d.html", base, sub, i)))
			if err := c.write(rel, c.body(rel)); err != nil {
				return err
			}
		}
	}
	return nil
}

// trees lists the folders makeTree made, and the folders of dirs.
func (c *Churner) trees() []string {
	var out []string
	filepath.WalkDir(c.Dir, func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && name != c.Dir {
			rel, _ := filepath.Rel(c.Dir, name)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// moveTree renames a folder within the site (a rename-save of a folder, or a
// build tool swapping its output folder in).
func (c *Churner) moveTree() error {
	ts := c.trees()
	if len(ts) == 0 {
		return c.makeTree()
	}
	from := c.pick(ts)
	c.n++
	to := fmt.Sprintf("m%d", c.n)
	c.noteMoved(from, to)
	return os.Rename(c.abs(from), c.abs(to))
}

// noteMoved records the files of a folder under the name it is moved to.
func (c *Churner) noteMoved(from, to string) {
	filepath.WalkDir(c.abs(from), func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(c.abs(from), name)
			c.made[to+"/"+filepath.ToSlash(rel)] = true
		}
		return nil
	})
}

func (c *Churner) removeTree() error {
	ts := c.trees()
	if len(ts) == 0 {
		return nil
	}
	return os.RemoveAll(c.abs(c.pick(ts)))
}

// moveAwayAndRemove moves a watched folder out of the site, then removes
// it: the watch the kernel drops with it is one the watcher may still try
// to remove.
func (c *Churner) moveAwayAndRemove() error {
	ts := c.trees()
	if len(ts) == 0 {
		return nil
	}
	c.n++
	away := filepath.Join(c.Away, fmt.Sprintf("gone%d", c.n))
	if err := os.Rename(c.abs(c.pick(ts)), away); err != nil {
		return err
	}
	return os.RemoveAll(away)
}

// fileToFolder replaces a file by a folder of the same name holding a page.
func (c *Churner) fileToFolder() error {
	rel := c.some()
	if rel == "" {
		return nil
	}
	if err := os.Remove(c.abs(rel)); err != nil {
		return err
	}
	return c.write(rel+"/index.html", c.body(rel+"/index.html"))
}

// folderToFile replaces a folder by a file of the same name.
func (c *Churner) folderToFile() error {
	ts := c.trees()
	if len(ts) == 0 {
		return nil
	}
	rel := c.pick(ts)
	if err := os.RemoveAll(c.abs(rel)); err != nil {
		return err
	}
	return c.write(rel, c.body(rel))
}

// linkLoop makes links that lead nowhere but to each other or up: a link
// to its own folder's parent (a loop for a walker that follows links) and
// two links to each other.
func (c *Churner) linkLoop() error {
	c.n++
	d := c.pick(dirs)
	if err := os.MkdirAll(c.abs(d), 0o755); err != nil {
		return err
	}
	up := filepath.Join(c.abs(d), fmt.Sprintf("up%d", c.n))
	if err := os.Symlink("..", up); err != nil {
		return err
	}
	l1, l2 := filepath.Join(c.abs(d), fmt.Sprintf("l%da.html", c.n)), filepath.Join(c.abs(d), fmt.Sprintf("l%db.html", c.n))
	if err := os.Symlink(filepath.Base(l2), l1); err != nil {
		return err
	}
	return os.Symlink(filepath.Base(l1), l2)
}

// linkToFile makes a link to an existing file, in another folder.
func (c *Churner) linkToFile() error {
	rel := c.some()
	if rel == "" {
		return nil
	}
	c.n++
	link := fmt.Sprintf("k%d%s", c.n, filepath.Ext(rel))
	target, err := filepath.Rel(c.Dir, c.abs(rel))
	if err != nil {
		return err
	}
	c.made[link] = true
	return os.Symlink(target, c.abs(link))
}

// fifo makes a named pipe with a page's name: opening it for reading would
// wait for a writer for good.
func (c *Churner) fifo() error {
	rel := c.name(".html")
	if err := os.MkdirAll(filepath.Dir(c.abs(rel)), 0o755); err != nil {
		return err
	}
	return syscall.Mkfifo(c.abs(rel), 0o644)
}
