//go:build soak

package churn

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/serve"
)

var (
	soakTime = flag.Duration("soaktime", 30*time.Second, "how long the folder is churned")
	soakSeed = flag.Uint64("soakseed", 0, "the churn's seed; 0: from the clock")
)

// TestSoak churns a folder served by a running herald serve (the binary,
// built from this tree; HERALD names another) while fetchers request its
// files, then stops churning, waits for quiet and checks that herald serves
// every file of a fresh build of the folder with its bytes and Link header,
// nothing that was deleted, and stops within 15 s of SIGTERM.
//
//	go test -tags soak -run Soak -soaktime 30s ./internal/churn
//	make soak SOAKTIME=10m
func TestSoak(t *testing.T) {
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (-soakseed %d repeats this churn)", seed, seed)
	bin := heraldBinary(t)
	tmp := t.TempDir()
	dir, away := filepath.Join(tmp, "site"), filepath.Join(tmp, "away")
	os.Mkdir(away, 0o755)
	c := New(dir, away, seed)
	if err := c.Seed(300); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--live-reload=false", "--report=false", dir)
	stderr := &testsite.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("herald serve printed no URL; stderr:\n%s", stderr)
	}
	base := strings.TrimSuffix(strings.TrimSpace(lines.Text()), "/")
	go io.Copy(io.Discard, stdout)

	// Churn, and fetch meanwhile what the churner made: mostly files there
	// now, some that may be gone.
	var paths atomic.Pointer[[2][]string]
	snapshot := func() { ps := [2][]string{c.files(), c.Made()}; paths.Store(&ps) }
	snapshot()
	ctx, cancel := context.WithTimeout(context.Background(), *soakTime)
	defer cancel()
	var wg sync.WaitGroup
	var fetched, failed atomic.Int64
	statuses := make([]atomic.Int64, 6)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
			rnd := rand.New(rand.NewPCG(seed, uint64(i)))
			for ctx.Err() == nil {
				ps := paths.Load()[max(rnd.IntN(4)-2, 0)] // files there 3 times in 4
				if len(ps) == 0 {
					ps = paths.Load()[1]
				}
				resp, err := client.Get(base + "/" + ps[rnd.IntN(len(ps))])
				fetched.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[min(resp.StatusCode/100, 5)].Add(1)
			}
		}()
	}
	for ctx.Err() == nil {
		if err := c.Step(); err != nil {
			t.Fatal(err)
		}
		if c.Ops%50 == 0 {
			snapshot()
		}
	}
	wg.Wait()
	t.Logf("%d changes in %v; %d requests: %d 2xx, %d 3xx, %d 4xx, %d 5xx, %d failed",
		c.Ops, *soakTime, fetched.Load(), statuses[2].Load(), statuses[3].Load(), statuses[4].Load(), statuses[5].Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests got no response; stderr:\n%s", failed.Load(), stderr)
	}

	// Quiet: what herald serves becomes what a fresh build gives.
	var wrong []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		wrong = compare(t, base, dir, c.Made())
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(wrong) > 0 {
		t.Errorf("30 s after the churn stopped, %d paths are served wrong, such as:\n%s\nherald's stderr:\n%s",
			len(wrong), strings.Join(wrong[:min(20, len(wrong))], "\n"), tail(stderr.String(), 4000))
	}

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		t.Logf("herald stopped %v after SIGTERM (%v)", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(15 * time.Second):
		cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump on stderr
		time.Sleep(time.Second)
		t.Fatalf("herald still running 15 s after SIGTERM; stderr:\n%s", tail(stderr.String(), 20000))
	}
}

// compare fetches every file of a fresh build of dir, and every path made
// that is gone now, and returns those herald serves otherwise than a
// handler made now from the fresh build would: another status, another
// Link header, or other bytes (which must also be the file's on disk).
func compare(t *testing.T, base, dir string, made []string) []string {
	m := fresh(t, dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ref := serve.New(root.FS(), m, serve.DefaultOptions())
	var check []string
	for p := range m.Files {
		check = append(check, p)
	}
	for _, rel := range made {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			check = append(check, "/"+rel) // deleted: must not be served
		}
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	var wrong []string
	for _, p := range check {
		want := httptest.NewRecorder()
		ref.ServeHTTP(want, httptest.NewRequest("GET", p, nil))
		resp, err := client.Get(base + p)
		if err != nil {
			wrong = append(wrong, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			wrong = append(wrong, fmt.Sprintf("%s: %v", p, err))
		case resp.StatusCode != want.Code:
			wrong = append(wrong, fmt.Sprintf("%s: status %d, want %d", p, resp.StatusCode, want.Code))
		case !slices.Equal(resp.Header.Values("Link"), want.Header().Values("Link")):
			wrong = append(wrong, fmt.Sprintf("%s: Link %q, want %q", p, resp.Header.Values("Link"), want.Header().Values("Link")))
		case !bytes.Equal(body, want.Body.Bytes()):
			wrong = append(wrong, fmt.Sprintf("%s: %d other bytes (want %d)", p, len(body), want.Body.Len()))
		case want.Code == http.StatusOK:
			if disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || !bytes.Equal(disk, body) {
				wrong = append(wrong, fmt.Sprintf("%s: served bytes are not the file's (%v)", p, err))
			}
		}
		if _, inBuild := m.Files[p]; !inBuild && resp.StatusCode != http.StatusNotFound {
			wrong = append(wrong, fmt.Sprintf("%s: deleted, served with status %d", p, resp.StatusCode))
		}
	}
	return wrong
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// heraldBinary builds herald from this tree, unless HERALD names a binary.
func heraldBinary(t *testing.T) string {
	if bin := os.Getenv("HERALD"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "herald")
	out, err := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", bin, "herald/cmd/herald").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
