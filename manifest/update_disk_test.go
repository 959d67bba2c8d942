package manifest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// TestUpdateOnDisk: on a real folder (through os.Root, as herald reads
// sites), a Builder updated with the paths a watcher reports gives what a
// fresh build gives, problems included, also for what a file system holds
// besides files and folders.
func TestUpdateOnDisk(t *testing.T) {
	write := func(dir, name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		reports []string // the paths a watcher reports
	}{
		{"a folder becomes a file", func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "d"), filepath.Join(t.TempDir(), "away")); err != nil {
				t.Fatal(err)
			}
			write(dir, "d", "now a file")
		}, []string{"/d"}},
		{"a file becomes a folder", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "b.css"))
			write(dir, "b.css/x.css", "p{}")
		}, []string{"/b.css"}},
		{"a name not in UTF-8 appears", func(t *testing.T, dir string) {
			write(dir, "caf\xe9.html", "<p>")
		}, []string{"/caf\xe9.html"}},
		{"a name not in UTF-8 goes", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "old\xe9.css"))
		}, []string{"/old\xe9.css"}},
		{"a named pipe appears", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"/pipe"}},
		{"a socket appears", func(t *testing.T, dir string) {
			l, err := net.Listen("unix", filepath.Join(dir, "sock"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, []string{"/sock"}},
		{"a file becomes a named pipe", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "b.css"))
			if err := syscall.Mkfifo(filepath.Join(dir, "b.css"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"/b.css"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, "index.html", `<link rel=stylesheet href=d/a.css><link rel=stylesheet href=b.css>`)
			write(dir, "d/a.css", "p{}")
			write(dir, "b.css", "q{}")
			write(dir, "old\xe9.css", "r{}")
			root, b := diskBuilder(t, dir)
			tt.change(t, dir)
			done := make(chan struct{})
			go func() { b.Update(tt.reports...); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Update still running after 10 s")
			}
			want, err := NewBuilder(root.FS(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			g, _ := Marshal(b.Manifest())
			w, _ := Marshal(want.Manifest())
			if !bytes.Equal(g, w) {
				t.Errorf("after Update:\n%s\na fresh build:\n%s", g, w)
			}
			if g, w := fmt.Sprint(b.Problems()), fmt.Sprint(want.Problems()); g != w {
				t.Errorf("problems after Update: %s\na fresh build's: %s", g, w)
			}
		})
	}
}

// diskBuilder builds the site in dir, read through os.Root as herald reads
// sites, and returns the root (closed when the test ends) and the builder.
func diskBuilder(t *testing.T, dir string) (*os.Root, *Builder) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	b, err := NewBuilder(root.FS(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest()
	return root, b
}

// TestBuildSkipsSpecialFiles: a named pipe or a socket in a site is not
// content and not a problem, and the build does not wait on the pipe.
func TestBuildSkipsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<p>`), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("pipe", filepath.Join(dir, "link-to-pipe"))
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	type result struct {
		m        *Manifest
		problems []Problem
	}
	done := make(chan result, 1)
	go func() {
		b, err := NewBuilder(root.FS(), Options{})
		if err != nil {
			t.Error(err)
			done <- result{}
			return
		}
		b.Prepare("/pipe", "/link-to-pipe") // as a watcher does ahead of an update
		done <- result{b.Manifest(), b.Problems()}
	}()
	select {
	case r := <-done:
		if len(r.problems) > 0 {
			t.Errorf("problems: %v", r.problems)
		}
		if r.m != nil && len(r.m.Files) != 1 {
			t.Errorf("files %v, want only the page", r.m.Files)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("build still running after 10 s: waiting on the pipe")
	}
}

// TestBuildIsDeterministic: URLs are resolved the same whatever order pages
// are assembled in, also with escapes other than Go's own.
func TestBuildIsDeterministic(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":    file(`<base href="/docs%2Dx/"><link rel=stylesheet href=a.css>`),
		"docs-x/p.html": file(`<link rel=stylesheet href=a.css>`),
		"docs-x/a.css":  file(`p{}`),
	}
	seen := map[string]bool{}
	for range 30 {
		m, problems, err := Build(fsys, Options{})
		if err != nil || len(problems) > 0 {
			t.Fatalf("build: %v, problems %v", err, problems)
		}
		// Both pages name the one stylesheet, each by the URL a browser
		// requests for it: the index keeps its base's %2D.
		css := m.Files["/docs-x/a.css"]
		for page, want := range map[string]string{"/index.html": "/docs%2Dx/a.css", "/docs-x/p.html": "/docs-x/a.css"} {
			assets := m.Pages[page].Assets
			if len(assets) != 1 || assets[0].Path != want || assets[0].Hash != css.Hash || css.Hash == "" {
				t.Fatalf("%s: assets %+v, want %s with hash %q", page, assets, want, css.Hash)
			}
		}
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(data)] = true
	}
	if len(seen) > 1 {
		t.Errorf("%d different manifests from 30 builds of the same site", len(seen))
	}
}
