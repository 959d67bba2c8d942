package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
)

// interrupt sends SIGINT to the test process, for the command running in
// it; a handler of the test's own keeps the process alive should the command
// have stopped listening already.
func interrupt(t *testing.T) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	t.Cleanup(func() { signal.Stop(c) })
	syscall.Kill(syscall.Getpid(), syscall.SIGINT)
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
	var stdout, stderr testsite.Buffer
	code := make(chan int)
	go func() { code <- run([]string{"herald", "build", dir, "--watch"}, &stdout, &stderr) }()
	eventually(t, "watching", func() bool { return strings.Contains(stdout.String(), "watching") })
	file := dir + "/" + manifest.FileName
	// Each page written is one update. A rebuild on herald's own write of
	// the manifest would come after the debounce's quiet: as an update of
	// its own, or merged with the next page's, and the sentinel page,
	// written after the first update, shows either.
	for _, name := range []string{"new.html", "sentinel.html"} {
		if err := os.WriteFile(dir+"/"+name, []byte(`<link rel=stylesheet href=a.css>`), 0o644); err != nil {
			t.Fatal(err)
		}
		eventually(t, name+" in the manifest on disk", func() bool {
			m, err := manifest.Read(file)
			return err == nil && m.Pages["/"+name] != nil
		})
	}
	// The interrupt reaches the handler that run installed before it printed
	// "watching"; the test process itself is not stopped.
	interrupt(t)
	if c := <-code; c != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", c, stderr.String())
	}
	var updates []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "updated ") {
			updates = append(updates, line[strings.LastIndex(line, ": ")+2:])
		}
	}
	if want := []string{"/new.html changed", "/sentinel.html changed"}; !slices.Equal(updates, want) {
		t.Errorf("updates %q, want %q:\n%s", updates, want, stdout.String())
	}
}

// TestManifestFileNeverOlder: the first manifest of build --watch and the
// callback's are written one at a time, and the newest stays on disk. The
// change is made to arrive in the worst moment: just after the first
// write read the manifest in service, before it wrote it. Without the lock,
// the callback's newer manifest was written first and then replaced.
func TestManifestFileNeverOlder(t *testing.T) {
	first := buildOf(t, map[string]string{"index.html": "<p>"})
	changed := buildOf(t, map[string]string{"index.html": "<p>", "new.html": "<p>"})
	file := &manifestFile{path: filepath.Join(t.TempDir(), manifest.FileName)}
	callback := make(chan error)
	m, err := file.writeFirst(func() *manifest.Manifest {
		go func() { callback <- file.write(changed) }()
		// Wait for one of the two outcomes, with no window of time to miss
		// the wrong one in: the callback waits for the lock, as it should,
		// or it wrote before the first manifest, which then replaces it.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
			select {
			case err := <-callback:
				go func() { callback <- err }()
				return first
			default:
			}
			if waitsForLock("(*manifestFile).write") {
				return first
			}
			if time.Now().After(deadline) {
				t.Error("the callback neither wrote nor waited for the lock")
				return first
			}
		}
	})
	if err != nil || m != first {
		t.Fatalf("writeFirst: %v", err)
	}
	if err := <-callback; err != nil {
		t.Fatal(err)
	}
	if got, err := manifest.Read(file.path); err != nil || got.Pages["/new.html"] == nil {
		t.Errorf("the manifest on disk is the older one (%v)", err)
	}
	// A callback with the manifest last written does not write it again.
	os.Remove(file.path)
	if err := file.write(changed); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file.path); err == nil {
		t.Error("the manifest last written was written again")
	}
}

// waitsForLock reports whether a goroutine waits for a sync.Mutex inside
// the function named fn, as its stack tells.
func waitsForLock(fn string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "[sync.Mutex.Lock") && strings.Contains(g, fn+"(") {
			return true
		}
	}
	return false
}

// buildOf builds the manifest of a site made of files.
func buildOf(t *testing.T, files map[string]string) *manifest.Manifest {
	t.Helper()
	m, _, err := buildSite(site(t, files), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuildWatchOutputInSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<p>`})
	code, _, stderr := herald(t, "build", dir, "--watch", "-o", dir+"/m.json")
	if code != exitUsage || !strings.Contains(stderr, "outside the folder") {
		t.Errorf("exit %d, stderr %q: want a usage error", code, stderr)
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true}, {"[::1]:8080", true}, {"localhost:80", true}, {"127.1.2.3:1", true},
		{":8080", false}, {"0.0.0.0:8080", false}, {"[::]:443", false}, {"192.168.1.2:80", false},
		{"docs.example.com:443", false}, {"nonsense", false},
	}
	for _, tt := range tests {
		if got := loopback(tt.addr); got != tt.want {
			t.Errorf("loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestServeWatch: herald serve DIR on loopback follows the folder and
// injects live reload into pages; the event stream tells an open page that
// it changed.
func TestServeWatch(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css><body><p>one</p></body>`, "a.css": `p{}`})
	var stdout, stderr testsite.Buffer
	code := make(chan int)
	go func() { code <- run([]string{"herald", "serve", dir, "--addr", "127.0.0.1:0"}, &stdout, &stderr) }()
	eventually(t, "the URL printed", func() bool { return strings.Contains(stdout.String(), "\n") })
	base := strings.TrimSuffix(strings.TrimSpace(stdout.String()), "/")
	get := func(p string) string {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	if page := get("/"); !strings.Contains(page, "herald live reload") {
		t.Fatalf("no live reload in the page:\n%s", page)
	}
	resp, err := http.Get(base + "/.herald/reload?page=/")
	if err != nil {
		t.Fatal(err)
	}
	events := bufio.NewReader(resp.Body)
	next := func() string {
		for {
			line, err := events.ReadString('\n')
			if err != nil {
				t.Fatalf("event stream: %v", err)
			}
			if strings.HasPrefix(line, "event: ") {
				return strings.TrimSpace(strings.TrimPrefix(line, "event: "))
			}
		}
	}
	if e := next(); e != "hello" {
		t.Fatalf("first event %q", e)
	}
	os.WriteFile(dir+"/a.css", []byte(`p{color:red}`), 0o644)
	if e := next(); e != "update" {
		t.Errorf("after a stylesheet edit: %q, want update", e)
	}
	eventually(t, "the new stylesheet served", func() bool { return get("/a.css") == `p{color:red}` })
	os.WriteFile(dir+"/index.html", []byte(`<p>two`), 0o644)
	if e := next(); e != "reload" {
		t.Errorf("after a page edit: %q, want reload", e)
	}
	interrupt(t)
	if c := <-code; c != 0 {
		t.Errorf("exit %d; stderr:\n%s", c, stderr.String())
	}
	resp.Body.Close()
}

func TestServeLiveReloadFlags(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<p>`})
	tests := [][]string{
		{"serve", "--live-reload"},                            // the example site is not watched
		{"serve", dir, "--watch=false", "--live-reload"},      // nothing to reload for
		{"serve", dir, "--watch=false", "--live-reload=true"}, // the same, spelt out
	}
	for _, args := range tests {
		if code, _, stderr := herald(t, args...); code != exitUsage || !strings.Contains(stderr, "--live-reload needs") {
			t.Errorf("herald %v: exit %d, %q: want a usage error", args, code, stderr)
		}
	}
}
