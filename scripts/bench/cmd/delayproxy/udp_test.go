package main

import (
	"net"
	"testing"
	"time"
)

// TestRelayUDP sends datagrams from two clients through the relay to an
// echo server: each comes back to its own client, unchanged, after at
// least twice the delay.
func TestRelayUDP(t *testing.T) {
	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFromUDP(buf)
			if err != nil {
				return
			}
			echo.WriteToUDP(buf[:n], from)
		}
	}()
	// A free port: the relay listens on it by name, as delayproxy does.
	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	listen := probe.LocalAddr().String()
	probe.Close()
	const delay = 20 * time.Millisecond
	go relayUDP(listen, echo.LocalAddr().String(), delay)
	time.Sleep(50 * time.Millisecond)
	for _, msg := range []string{"first client", "second client"} {
		c, err := net.Dial("udp", listen)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%s: no echo: %v", msg, err)
		}
		if got := string(buf[:n]); got != msg {
			t.Errorf("echo = %q, want %q", got, msg)
		}
		if rtt := time.Since(start); rtt < 2*delay {
			t.Errorf("%s: round trip %v, want at least %v", msg, rtt, 2*delay)
		}
	}
}
