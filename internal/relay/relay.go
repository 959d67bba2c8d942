// Package relay gives tests a network with some round-trip time on
// loopback: a TCP relay that holds every chunk it reads for a fixed delay
// before passing it on, in each direction. Browsers act on bare loopback as
// they never do on a network (a page and its 103 Early Hints land in the
// same instant); 5 ms each way is enough for them to act as on one.
package relay

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Start listens on a free loopback port and relays each connection to the
// address to, adding delay in each direction (the round trip grows by twice
// delay). It returns the relay's address; the relay stops when the test
// ends.
func Start(t testing.TB, to string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{} // open connections, both sides
	)
	track := func(c net.Conn, open bool) {
		mu.Lock()
		defer mu.Unlock()
		if !open {
			delete(conns, c)
			c.Close()
			return
		}
		conns[c] = true
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c, true)
			wg.Go(func() {
				defer track(c, false)
				u, err := net.Dial("tcp", to)
				if err != nil {
					return
				}
				track(u, true)
				defer track(u, false)
				done := make(chan struct{})
				go func() { pipe(u, c, delay); close(done) }()
				pipe(c, u, delay)
				<-done
			})
		}
	})
	return ln.Addr().String()
}

type chunk struct {
	at time.Time
	b  []byte
}

// pipe copies src to dst, each chunk delay after it was read, and closes
// dst for writing at src's end. The reader goroutine owns src's reads; this
// one owns dst.
func pipe(dst, src net.Conn, delay time.Duration) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			b := make([]byte, 32<<10)
			n, err := src.Read(b)
			if n > 0 {
				q <- chunk{time.Now().Add(delay), b[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			src.Close() // ends the reader; drop what it queued
			for range q {
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}
