package relay

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestRoundTrip echoes bytes through the relay: they come back whole, and
// no sooner than twice the delay.
func TestRoundTrip(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	const delay = 20 * time.Millisecond
	c, err := net.Dial("tcp", Start(t, ln.Addr().String(), delay))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("herald "), 20000)
	start := time.Now()
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip %v, want at least %v", rtt, 2*delay)
	}
	if !bytes.Equal(got, msg) {
		t.Error("the bytes came back changed")
	}
}
