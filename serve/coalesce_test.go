package serve

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// tcpPair returns the two ends of a real loopback TCP connection.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// gate is a net.Conn whose sends can be held and counted: a send signals
// entered (the first time) and waits until release is closed, then returns
// fail (if any).
type gate struct {
	net.Conn
	entered chan struct{}
	release chan struct{}
	fail    error

	once  sync.Once
	mu    sync.Mutex
	sends [][]byte
}

func newGate(c net.Conn, fail error) *gate {
	return &gate{Conn: c, entered: make(chan struct{}), release: make(chan struct{}), fail: fail}
}

func (g *gate) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	g.mu.Lock()
	g.sends = append(g.sends, bytes.Clone(p))
	g.mu.Unlock()
	if g.fail != nil {
		return 0, g.fail
	}
	return g.Conn.Write(p)
}

func TestCoalesceGathersWrites(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		sends  []string // what the wrapped connection is given, in order
	}{
		{"one write", []string{"a"}, []string{"a"}},
		{"writes during a send go out together", []string{"a", "b", "c", "d"}, []string{"a", "bcd"}},
		{"large write", []string{"x", string(bytes.Repeat([]byte("y"), 20000)), "z"},
			[]string{"x", string(bytes.Repeat([]byte("y"), 20000)) + "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			g := newGate(server, nil)
			c := newCoalescingConn(g)
			for i, w := range tt.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", len(w), n, err)
				}
				if i == 0 {
					<-g.entered
				}
			}
			// The first send is held in the gate, so every later Write was
			// buffered behind it.
			close(g.release)
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			got, err := io.ReadAll(client)
			if err != nil {
				t.Fatal(err)
			}
			if want := concat(tt.writes); string(got) != want {
				t.Errorf("peer read %d bytes, want %d", len(got), len(want))
			}
			var sends []string
			for _, s := range g.sends {
				sends = append(sends, string(s))
			}
			if fmt.Sprint(lens(sends)) != fmt.Sprint(lens(tt.sends)) || concat(sends) != concat(tt.sends) {
				t.Errorf("sends of %v bytes, want %v", lens(sends), lens(tt.sends))
			}
		})
	}
}

func concat(s []string) string {
	var b bytes.Buffer
	for _, x := range s {
		b.WriteString(x)
	}
	return b.String()
}

func lens(s []string) []int {
	var n []int
	for _, x := range s {
		n = append(n, len(x))
	}
	return n
}

// Many goroutines writing at once: every Write arrives whole and in one
// piece, and the bytes of one goroutine keep their order.
func TestCoalesceConcurrentWrites(t *testing.T) {
	client, server := tcpPair(t)
	c := newCoalescingConn(server)
	const writers, perWriter = 8, 200
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(client)
		read <- b
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				// Records of different sizes, like TLS records of frames.
				rec := fmt.Sprintf("<%d:%d:%s>", w, i, bytes.Repeat([]byte{'a' + byte(w)}, (i*37)%3000))
				if _, err := c.Write([]byte(rec)); err != nil {
					t.Errorf("Write: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := <-read
	next := make([]int, writers)
	for len(got) > 0 {
		var w, i int
		if _, err := fmt.Sscanf(string(got[:min(len(got), 40)]), "<%d:%d:", &w, &i); err != nil {
			t.Fatalf("garbled stream at %q: %v", got[:min(len(got), 40)], err)
		}
		want := fmt.Sprintf("<%d:%d:%s>", w, i, bytes.Repeat([]byte{'a' + byte(w)}, (i*37)%3000))
		if !bytes.HasPrefix(got, []byte(want)) {
			t.Fatalf("record %d:%d damaged", w, i)
		}
		if i != next[w] {
			t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
		got = got[len(want):]
	}
	for w, n := range next {
		if n != perWriter {
			t.Errorf("writer %d: %d records arrived, want %d", w, n, perWriter)
		}
	}
}

func TestCoalesceErrorSurfacesLater(t *testing.T) {
	boom := errors.New("boom")
	_, server := tcpPair(t)
	g := newGate(server, boom)
	c := newCoalescingConn(g)
	for _, w := range []string{"first", "second"} {
		if _, err := c.Write([]byte(w)); err != nil {
			t.Fatalf("Write(%q) before the send failed: %v", w, err)
		}
	}
	close(g.release)
	if err := c.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want the send's error", err)
	}
	if _, err := c.Write([]byte("third")); !errors.Is(err, boom) {
		t.Errorf("Write after a failed send = %v, want the send's error", err)
	}
	if err := c.Close(); !errors.Is(err, boom) {
		t.Errorf("second Close = %v, want the same error", err)
	}
}

func TestCoalesceWriteAfterClose(t *testing.T) {
	_, server := tcpPair(t)
	c := newCoalescingConn(server)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close = %v, want net.ErrClosed", err)
	}
}

// A peer that never reads: the buffer is bounded, so Write blocks, and the
// write deadline ends the wait; Close then returns without waiting longer.
func TestCoalesceDeadlineOnStalledPeer(t *testing.T) {
	_, server := tcpPair(t)
	c := newCoalescingConn(server)
	if err := c.SetDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 16<<10)
	var err error
	for i := 0; i < 100_000 && err == nil; i++ { // socket buffers hold a few MiB at most
		_, err = c.Write(rec)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write to a stalled peer = %v, want os.ErrDeadlineExceeded", err)
	}
	// What is buffered still goes out while the kernel takes it, and no
	// longer: Close reports the deadline, or nothing if it all fit.
	if err := c.Close(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Close = %v, want nil or the deadline error", err)
	}
}

// writeWithByteTimeout writes p as net/http's HTTP/2 server does with
// HTTP2Config.WriteByteTimeout: a new deadline for each write, given up only
// when a write times out without writing anything.
func writeWithByteTimeout(conn net.Conn, timeout time.Duration, p []byte) (n int, err error) {
	for {
		conn.SetWriteDeadline(time.Now().Add(timeout))
		nn, err := conn.Write(p[n:])
		n += nn
		if n == len(p) || nn == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			conn.SetWriteDeadline(time.Time{})
			return n, err
		}
	}
}

// TestCoalesceByteTimeout: under HTTP/2's write byte timeout (scaled down
// here to 120 ms), a client that reads slowly but steadily is served to the
// end, as it is without coalescing, and one that stops reading is cut off.
func TestCoalesceByteTimeout(t *testing.T) {
	const timeout = 120 * time.Millisecond
	for _, tt := range []struct {
		name    string
		stalled bool
	}{{"slow reader", false}, {"stalled reader", true}} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			server.(*net.TCPConn).SetWriteBuffer(32 << 10)
			client.(*net.TCPConn).SetReadBuffer(32 << 10)
			c := newCoalescingConn(server)
			read, stop := make(chan int64, 1), make(chan struct{})
			go func() {
				buf := make([]byte, 16<<10)
				var total int64
				for {
					if tt.stalled && total > 0 {
						<-stop // reads no more
						read <- total
						return
					}
					n, err := client.Read(buf)
					total += int64(n)
					if err != nil {
						read <- total
						return
					}
					time.Sleep(20 * time.Millisecond) // about 800 KB/s
				}
			}()
			const want = 1 << 20
			chunk := make([]byte, 4<<10)
			var err error
			written := 0
			start := time.Now()
			for written < want && time.Since(start) < 20*time.Second {
				if _, err = writeWithByteTimeout(c, timeout, chunk); err != nil {
					break
				}
				written += len(chunk)
			}
			switch {
			case tt.stalled && err == nil:
				t.Errorf("a peer that stopped reading took %d bytes without a timeout", written)
			case !tt.stalled && err != nil:
				t.Errorf("a steady reader was cut off after %d bytes: %v", written, err)
			}
			close(stop)
			c.Close()
			if got := <-read; !tt.stalled && got != want {
				t.Errorf("peer read %d bytes, want %d", got, want)
			}
		})
	}
}

func TestCoalesceWriteAfterDeadline(t *testing.T) {
	client, server := tcpPair(t)
	c := newCoalescingConn(server)
	if _, err := c.Write([]byte("before")); err != nil {
		t.Fatal(err)
	}
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("after")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write after the deadline = %v, want os.ErrDeadlineExceeded", err)
	}
	c.SetWriteDeadline(time.Time{})
	if _, err := c.Write([]byte(" cleared")); err != nil {
		t.Errorf("Write after clearing the deadline: %v", err)
	}
	c.Close()
	got, _ := io.ReadAll(client)
	if string(got) != "before cleared" {
		t.Errorf("peer read %q", got)
	}
}

// crypto/tls over a coalescing connection: the response and the close_notify
// alert arrive, although crypto/tls sets the write deadline to now right after
// writing the alert. A peer that sees close_notify reads io.EOF, not
// io.ErrUnexpectedEOF.
func TestCoalesceUnderTLS(t *testing.T) {
	cfg := testTLSConfig(t)
	client, server := tcpPair(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 40000) // many records
	errc := make(chan error, 1)
	go func() {
		tc := tls.Server(newCoalescingConn(server), cfg)
		if _, err := tc.Write(body); err != nil {
			errc <- err
			return
		}
		errc <- tc.Close()
	}()
	tc := tls.Client(client, &tls.Config{InsecureSkipVerify: true})
	got, err := io.ReadAll(tc)
	if err != nil {
		t.Fatalf("client read: %v (after %d bytes)", err, len(got))
	}
	if !bytes.Equal(got, body) {
		t.Errorf("client read %d bytes, want %d", len(got), len(body))
	}
	if err := <-errc; err != nil {
		t.Errorf("server: %v", err)
	}
}
