package main

import (
	"bufio"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"herald/internal/testsite"
)

// started is a herald process (or a bundle) that printed its URL.
type started struct {
	cmd    *exec.Cmd
	url    *url.URL
	stderr *testsite.Buffer
	// exited receives cmd.Wait's result; a test that takes it puts it back
	// for the cleanup, which kills the process and waits for it.
	exited chan error
}

// start runs cmd and reads the URL it prints first; the process is killed
// at the end of the test.
func start(t *testing.T, cmd *exec.Cmd) *started {
	t.Helper()
	s := &started{cmd: cmd, stderr: &testsite.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second): // a failed test took the result and kept it
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("printed no URL: %v\n%s", err, s.stderr.String())
	}
	if s.url, err = url.Parse(strings.TrimSpace(line)); err != nil {
		t.Fatal(err)
	}
	return s
}
