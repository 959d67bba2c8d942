package churn

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"herald/manifest"
	"herald/watch"
)

// TestWatchedChurn: a watcher of a folder churned for two seconds keeps
// working, and once the churn stops its manifest becomes what a fresh
// build of the folder gives. (The soak test does this longer, through a
// running herald serve: go test -tags soak ./internal/churn.)
func TestWatchedChurn(t *testing.T) {
	dir, away := filepath.Join(t.TempDir(), "site"), t.TempDir()
	c := New(dir, away, 1)
	if err := c.Seed(200); err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(dir, watch.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Run(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d changes", c.Ops)
	var got, want []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, want = marshal(t, w.Manifest()), marshal(t, fresh(t, dir))
		if bytes.Equal(got, want) {
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("20 s after the churn, the manifest in service differs from a fresh build\n got %s\nwant %s", got, want)
	}
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting after 10 s")
	}
}

// fresh builds the manifest of dir from scratch.
func fresh(t testing.TB, dir string) *manifest.Manifest {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, _, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func marshal(t testing.TB, m *manifest.Manifest) []byte {
	t.Helper()
	c := *m // Marshal sets the hash; the one in service is shared
	b, err := manifest.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
