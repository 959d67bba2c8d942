package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"herald/manifest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually polls ok until it holds; a long wait means it never will.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
	}
}

// TestBuildWatch: herald build --watch keeps push-manifest.json current
// until interrupted, and does not rebuild on its own writes.
func TestBuildWatch(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `body{}`})
	var stdout, stderr lockedBuffer
	code := make(chan int)
	go func() { code <- run([]string{"herald", "build", dir, "--watch"}, &stdout, &stderr) }()
	eventually(t, "watching", func() bool { return strings.Contains(stdout.String(), "watching") })
	file := dir + "/" + manifest.FileName
	if err := os.WriteFile(dir+"/new.html", []byte(`<link rel=stylesheet href=a.css>`), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new page in the manifest on disk", func() bool {
		m, err := manifest.Read(file)
		return err == nil && m.Pages["/new.html"] != nil
	})
	// The interrupt reaches the handler that run installed before it printed
	// "watching"; the test process itself is not stopped.
	syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	if c := <-code; c != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", c, stderr.String())
	}
	if n := strings.Count(stdout.String(), "updated "); n != 1 {
		t.Errorf("%d updates for one change, want 1:\n%s", n, stdout.String())
	}
}

func TestBuildWatchOutputInSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<p>`})
	code, _, stderr := herald(t, "build", dir, "--watch", "-o", dir+"/m.json")
	if code != exitUsage || !strings.Contains(stderr, "outside the folder") {
		t.Errorf("exit %d, stderr %q: want a usage error", code, stderr)
	}
}
