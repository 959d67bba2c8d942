package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterrupt: a second Ctrl-C while herald waits for the requests
// in flight (here a download the client stopped reading) stops it at once,
// exit 1, saying the request was cut; it waited the whole shutdown timeout
// (10 s). The same for herald serve, serve --config and a bundle.
func TestSecondInterrupt(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	// Larger than what the socket buffers of both ends hold, so that the
	// handler is still writing it.
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[[site]]\nroot = %q\nlisten = [\"127.0.0.1:0\"]\n", dir)), 0o644)
	bundle := filepath.Join(tmp, "mysite")
	if out, err := exec.Command(bin, "bundle", dir, "-o", bundle).CombinedOutput(); err != nil {
		t.Fatalf("bundle: %v\n%s", err, out)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"serve", []string{bin, "serve", dir, "--addr", "127.0.0.1:0", "--watch=false"}},
		{"serve --config", []string{bin, "serve", "--config", cfg}},
		{"bundle", []string{bundle, "--addr", "127.0.0.1:0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(tt.args[0], tt.args[1:]...)
			run := start(t, cmd)
			stderr, exited, u := run.stderr, run.exited, run.url
			_, port, _ := net.SplitHostPort(u.Host)
			conn, err := net.Dial("tcp", "127.0.0.1:"+port)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET /big.bin HTTP/1.1\r\nHost: %s\r\n\r\n", u.Host)
			if _, err := io.ReadFull(conn, make([]byte, 1024)); err != nil { // the download has begun
				t.Fatal(err)
			}

			cmd.Process.Signal(syscall.SIGINT)
			select {
			case err := <-exited:
				t.Fatalf("stopped at the first interrupt with a request in flight: %v\n%s", err, stderr.String())
			case <-time.After(500 * time.Millisecond): // waiting for the download
			}
			start := time.Now()
			cmd.Process.Signal(syscall.SIGINT)
			var err2 error
			select {
			case err2 = <-exited:
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5 s after the second interrupt\n%s", stderr.String())
			}
			exited <- err2 // for the cleanup
			var ee *exec.ExitError
			want := "herald: error: stopped at once on a second interrupt: 1 request in flight was cut\n"
			if !errors.As(err2, &ee) || ee.ExitCode() != exitFindings || !strings.HasSuffix(stderr.String(), want) {
				t.Errorf("after %v: %v, stderr %q; want exit %d and %q", time.Since(start), err2, stderr.String(), exitFindings, want)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			var timeout net.Error
			if _, err := io.Copy(io.Discard, conn); errors.As(err, &timeout) && timeout.Timeout() {
				t.Errorf("the cut download's connection is still open")
			}
		})
	}
}
