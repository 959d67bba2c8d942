package compress

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// TestBestAfterQuiet: the warmer makes the brotli forms at best quality of
// critical files only once no request has asked for a form for QuietFor;
// requests that keep coming delay them. Pick then sends them for brotli,
// smaller than brotli 6, and a restart reads them back from the disk with
// the usual forms, without a quiet wait.
func TestBestAfterQuiet(t *testing.T) {
	dir := t.TempDir()
	c := New(Options{Dir: dir})
	defer c.Close()
	crit, other := textFile(t, 1, 96<<10), bytesFile(text("o1"))
	c.Warm("site", []File{crit}, nil)
	c.Wait()

	// Requests every QuietFor/4 for twice QuietFor: no best form yet.
	start := time.Now()
	var last time.Time
	for time.Since(start) < 2*QuietFor {
		if _, err := c.Get(other, Gzip); err != nil {
			t.Fatal(err)
		}
		last = time.Now()
		if _, ok := c.Peek(crit.Hash, brotliBest); ok {
			t.Fatalf("best form made %v after a request, within QuietFor", time.Since(last))
		}
		time.Sleep(QuietFor / 4)
	}
	c.WaitBest()
	if quiet := time.Since(last); quiet < QuietFor {
		t.Errorf("best form made %v after the last request, want QuietFor (%v) at least", quiet, QuietFor)
	}
	best, ok := c.Peek(crit.Hash, brotliBest)
	usual, _ := c.Peek(crit.Hash, Brotli)
	if !ok || best == nil || len(best) >= len(usual) {
		t.Fatalf("best form: in memory %v, %d bytes against brotli 6's %d", ok, len(best), len(usual))
	}
	if got := decodedHash(t, Brotli, best); got != crit.Hash {
		t.Errorf("the best form does not decode to the file")
	}
	form, err := c.Pick(crit, Brotli, Gzip)
	if err != nil || !form.Best || form.Coding != Brotli || !bytes.Equal(form.Data, best) {
		t.Errorf("Pick(br, gzip) = best %v, %v, %d bytes, %v; want the best form", form.Best, form.Coding, len(form.Data), err)
	}
	if form, _ := c.Pick(crit, Gzip, Brotli); form.Best || form.Coding != Gzip {
		t.Errorf("Pick(gzip, br) = best %v, %v; want gzip", form.Best, form.Coding)
	}
	if s := c.Stats(); s.BestMade != 1 || s.Compressed != 3 {
		t.Errorf("made %d best forms and %d others, want 1 and 3", s.BestMade, s.Compressed)
	}

	// A restart finds it on disk with the usual forms.
	c2 := New(Options{Dir: dir})
	defer c2.Close()
	t0 := time.Now()
	c2.Warm("site", []File{unreadable(crit.Hash, int(crit.Size))}, nil)
	c2.Wait()
	if b, ok := c2.Peek(crit.Hash, brotliBest); !ok || !bytes.Equal(b, best) {
		t.Errorf("after a restart, the best form is not read back with the usual ones (%v)", time.Since(t0))
	}
	if s := c2.Stats(); s.BestMade != 0 || s.Compressed != 0 {
		t.Errorf("after a restart, %d best and %d forms made again", s.BestMade, s.Compressed)
	}
}

// TestBestInterrupted: a request that comes while a best form is made stops
// it; the form is made at the next quiet, whole.
func TestBestInterrupted(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	crit := textFile(t, 2, 256<<10) // a second or more at quality 11
	opened := make(chan struct{}, 4)
	open := crit.Open
	crit.Open = func() (io.ReadCloser, error) { opened <- struct{}{}; return open() }
	c.Warm("site", []File{crit}, nil)
	c.Wait()
	for range 2 { // the usual forms
		<-opened
	}
	<-opened // the best form, QuietFor after the start
	if _, err := c.Get(bytesFile(text("r")), Gzip); err != nil {
		t.Fatal(err)
	}
	c.WaitBest()
	if s := c.Stats(); s.BestMade != 1 || len(opened) != 1 {
		t.Errorf("%d best forms made, the file opened %d times again; want 1 and once", s.BestMade, len(opened))
	}
	if b, ok := c.Peek(crit.Hash, brotliBest); !ok || decodedHash(t, Brotli, b) != crit.Hash {
		t.Errorf("best form after an interruption: in memory %v, or not the file", ok)
	}
}

// TestBestBudget: past BestBudget the warmer makes no more best forms; a
// negative one makes none.
func TestBestBudget(t *testing.T) {
	files := []File{bytesFile(text("b1")), bytesFile(text("b2")), bytesFile(text("b3"))}
	for _, tc := range []struct {
		budget int64
		want   int64
	}{{1, 1}, {-1, 0}, {0, 3}} {
		c := New(Options{BestBudget: tc.budget})
		c.Warm("site", files, nil)
		c.WaitBest()
		if n := c.Stats().BestMade; n != tc.want {
			t.Errorf("BestBudget %d: %d best forms made, want %d", tc.budget, n, tc.want)
		}
		c.Close()
	}
}

// TestPickFallback: a request that finds the memory of compressions taken
// gets a form already made in another coding it accepts, from memory or
// from disk, rather than the file as it is; with none made, the file.
func TestPickFallback(t *testing.T) {
	dir := t.TempDir()
	warm := New(Options{Dir: dir})
	b := bytesFile(text("fb"))
	gz, err := warm.Get(b, Gzip)
	if err != nil || gz == nil {
		t.Fatal(err)
	}
	warm.Close()

	for _, tc := range []struct {
		name   string
		inMem  bool
		order  []Coding
		coding Coding
		sent   bool
	}{
		{"memory", true, []Coding{Brotli, Zstd, Gzip}, Gzip, true},
		{"disk", false, []Coding{Brotli, Gzip}, Gzip, true},
		{"none made", false, []Coding{Brotli, Zstd}, Identity, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{Dir: dir, WorkMemory: 1}) // one compression at a time
			defer c.Close()
			if tc.inMem {
				c.Get(b, Gzip)
			}
			// A compression holds the memory, its file slow to open.
			hold, held := make(chan struct{}), make(chan struct{})
			slow := bytesFile(text("slow" + tc.name)) // not on disk: each its own
			open := slow.Open
			slow.Open = func() (io.ReadCloser, error) { close(held); <-hold; return open() }
			made := make(chan struct{})
			go func() { c.Make(slow, Brotli); close(made) }()
			<-held
			form, err := c.Pick(b, tc.order...)
			close(hold)
			<-made
			switch {
			case err != nil:
				t.Fatal(err)
			case tc.sent && (form.Coding != tc.coding || !bytes.Equal(form.Data, gz)):
				t.Errorf("Pick(%v) = %v, %d bytes; want the gzip form made before", tc.order, form.Coding, len(form.Data))
			case !tc.sent && form.Data != nil:
				t.Errorf("Pick(%v) = %v; want the file as it is", tc.order, form.Coding)
			}
			s := c.Stats()
			if tc.sent && (s.GetFallback != 1 || s.GetBusy != 0) || !tc.sent && (s.GetFallback != 0 || s.GetBusy != 1) {
				t.Errorf("fallback %d, busy %d", s.GetFallback, s.GetBusy)
			}
		})
	}
}

// TestBestReadBack: a best form pushed out of memory by other forms is read
// back from the disk for the next request, not made again, and brotli 6
// does not go out meanwhile; without a folder, brotli 6 goes out.
func TestBestReadBack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      bool
		wantBest bool
	}{
		{"folder", true, true},
		{"no folder", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{MemoryBudget: 256 << 10}
			if tc.dir {
				opts.Dir = t.TempDir()
			}
			c := New(opts)
			defer c.Close()
			crit := textFile(t, 3, 96<<10)
			c.Warm("site", []File{crit}, nil)
			c.WaitBest()
			best := c.Best(crit.Hash)
			if best == nil {
				t.Fatal("no best form made")
			}
			// Other files' forms until the best one has left memory.
			for i := uint64(10); ; i++ {
				if !c.inMemory(key{crit.Hash, brotliBest}) { // Peek would keep it in
					break
				}
				if i == 200 {
					t.Fatal("the best form never left memory")
				}
				if _, err := c.Get(textFile(t, i, 64<<10), Gzip); err != nil {
					t.Fatal(err)
				}
			}
			before := c.Stats()
			form, err := c.Pick(unreadable(crit.Hash, int(crit.Size)), Brotli, Gzip)
			if err != nil && tc.wantBest {
				t.Fatal(err)
			}
			if form.Best != tc.wantBest {
				t.Fatalf("Pick(br) after the best form left memory: best %v, want %v", form.Best, tc.wantBest)
			}
			if !tc.wantBest {
				return
			}
			if !bytes.Equal(form.Data, best) {
				t.Errorf("the form read back differs from the one made")
			}
			after := c.Stats()
			if after.BestMade != before.BestMade || after.DiskHits != before.DiskHits+1 {
				t.Errorf("best forms made %d → %d, disk hits %d → %d; want it read from the disk once",
					before.BestMade, after.BestMade, before.DiskHits, after.DiskHits)
			}
			if _, ok := c.Peek(crit.Hash, brotliBest); !ok {
				t.Errorf("the form read back is not kept in memory")
			}
		})
	}
}

// TestBestOnDiskBound: the hashes of best forms on disk that a Cache
// remembers stay within maxBestOnDisk, however many it writes.
func TestBestOnDiskBound(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	for i := range 3*maxBestOnDisk + 1 {
		c.noteBest(fmt.Sprintf("%064x", i))
		if n := len(c.bestOnDisk); n > maxBestOnDisk {
			t.Fatalf("%d hashes remembered after %d, want at most %d", n, i+1, maxBestOnDisk)
		}
	}
}
