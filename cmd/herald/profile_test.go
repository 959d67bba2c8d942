package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCPUProfile: HERALD_CPUPROFILE=FILE makes herald write a CPU profile
// of its whole run into FILE when it stops (scripts/bench-serve.sh with
// PROFILE=1 reads it with go tool pprof); a FILE that cannot be created is an
// error before anything runs.
func TestCPUProfile(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	cmd := exec.Command(bin, "serve", dir, "--addr", "127.0.0.1:0", "--watch=false")
	cmd.Env = append(os.Environ(), "HERALD_CPUPROFILE="+prof)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("printed no URL: %v\n%s", err, stderr.String())
	}
	resp, err := http.Get(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herald serve: %v\n%s", err, stderr.String())
	}
	f, err := os.Open(prof)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f) // a pprof profile is a gzipped protocol buffer
	if err != nil {
		t.Fatalf("profile is not gzipped: %v", err)
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Fatalf("profile: %d bytes, %v", n, err)
	}

	cmd = exec.Command(bin, "build", dir, "-o", filepath.Join(t.TempDir(), "m.json"))
	cmd.Env = append(os.Environ(), "HERALD_CPUPROFILE="+filepath.Join(dir, "no", "such", "cpu.prof"))
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitFindings || !strings.Contains(string(out), "herald: error: HERALD_CPUPROFILE") {
		t.Errorf("unwritable profile: exit %d (%v), want %d and an error naming HERALD_CPUPROFILE:\n%s", code, err, exitFindings, out)
	}
}
