package compress

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// peakRSS returns the process's peak resident memory in bytes (the
// kernel's VmHWM), or 0 where /proc does not tell.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS starts VmHWM again from the current resident memory.
func resetPeakRSS() error { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// TestAttackFirstRequests: a cold cache (nothing in memory or on disk) meets
// many concurrent first requests for large distinct text files in every
// coding, as a server just started meets a crawler. The process's peak
// resident memory stays within a bound set by the Cache's budgets, not by
// the files or the requests; every form sent decodes to its file; requests
// refused for memory get nothing rather than wait; and each form is made
// in the end.
func TestAttackFirstRequests(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies the memory of every goroutine")
	}
	if testing.Short() {
		t.Skip("compresses 19 MB three times")
	}
	const (
		nFiles   = 16
		requests = 128 // goroutines, each asking for every (file, coding) in its own order
		// The bound: WorkMemory (12 MiB) in use, an idle encoder of each
		// coding, MemoryBudget's forms (4 MiB), the goroutines, and what
		// the garbage collector lets pile up at GOGC=50 (herald serve's).
		// Reading each file whole before compressing it, or brotli's
		// window as large as the file, goes over it.
		bound = 40 << 20
	)
	files := make([]File, nFiles)
	var total int64
	for i := range files {
		files[i] = textFile(t, uint64(100+i), 256<<10+int64(i)*(128<<10)) // 256 KiB to 2.1 MiB
		total += files[i].Size
	}
	codings := []Coding{Gzip, Brotli, Zstd}
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	c := New(Options{Dir: t.TempDir(), MemoryBudget: 4 << 20})
	defer c.Close()

	var mu sync.Mutex
	forms := map[key][sha256.Size]byte{} // the hash of the first form sent for each key, not to hold them
	attack := func(get func(File, Coding) ([]byte, error)) {
		var wg sync.WaitGroup
		for g := range requests {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 2))
				for _, i := range rng.Perm(nFiles * len(codings)) {
					f, cd := files[i/len(codings)], codings[i%len(codings)]
					b, err := get(f, cd)
					if err != nil {
						t.Errorf("%v of file %d: %v", cd, i/len(codings), err)
						return
					}
					if b == nil {
						continue // sent as it is
					}
					sum := sha256.Sum256(b)
					mu.Lock()
					if first, ok := forms[key{f.Hash, cd}]; !ok {
						forms[key{f.Hash, cd}] = sum
					} else if first != sum {
						t.Errorf("%v of file %d: two forms", cd, i/len(codings))
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	runtime.GC()
	debug.FreeOSMemory()
	if err := resetPeakRSS(); err != nil || peakRSS() == 0 {
		t.Skipf("the peak resident memory cannot be measured here: %v", err)
	}
	base := peakRSS()
	attack(c.Get)
	peak := peakRSS() - base
	s := c.Stats()
	t.Logf("%d requests for %d forms of %d files (%.1f MB): %d made, %d sent as they are (busy), %d from memory; peak RSS +%.1f MiB",
		s.GetMemory+s.GetDisk+s.GetMiss+s.GetBusy, nFiles*len(codings), nFiles, float64(total)/1e6,
		s.Compressed, s.GetBusy, s.GetMemory, float64(peak)/(1<<20))
	if peak > bound {
		t.Errorf("peak RSS grew by %.1f MiB under the attack, bound %.0f MiB", float64(peak)/(1<<20), float64(bound)/(1<<20))
	}

	// Work that waits for the memory (Make) makes every form, within the
	// same bound.
	attack(c.Make)
	peak = peakRSS() - base
	t.Logf("then every form made, waiting for the memory: peak RSS +%.1f MiB", float64(peak)/(1<<20))
	if peak > bound {
		t.Errorf("peak RSS grew by %.1f MiB making every form, bound %.0f MiB", float64(peak)/(1<<20), float64(bound)/(1<<20))
	}
	if len(forms) != nFiles*len(codings) {
		t.Errorf("%d forms made, want %d", len(forms), nFiles*len(codings))
	}
	for i, f := range files {
		for _, cd := range codings {
			b, err := c.Make(f, cd)
			switch {
			case err != nil:
				t.Errorf("%v of file %d: %v", cd, i, err)
			case sha256.Sum256(b) != forms[key{f.Hash, cd}]:
				t.Errorf("%v of file %d: not the form sent", cd, i)
			case decodedHash(t, cd, b) != f.Hash:
				t.Errorf("%v of file %d does not decode to the file", cd, i)
			}
		}
	}
}

// decodedHash returns the hex sha256 of form decoded, reading it as a
// stream.
func decodedHash(t *testing.T, c Coding, form []byte) string {
	t.Helper()
	r := decoder(t, c, form)
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("decode %v: %v", c, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
