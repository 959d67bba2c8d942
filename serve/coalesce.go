package serve

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Under TLS every HTTP/2 frame the server writes becomes its own TLS record,
// and crypto/tls hands each record to the connection in its own Write: a
// 13 KB page costs about three write(2) system calls, and on one core those
// calls take close to half of the server's time. A coalescing connection sits
// between the TCP connection and crypto/tls. Its Write only appends the record
// to a per-connection buffer and wakes the connection's writer goroutine, which
// sends everything buffered so far in a single write(2). While the HTTP/2
// server goroutine writes the frames of a response (and of the other streams
// it is serving), the writer has not run yet, so on a busy core the records of
// several frames and responses leave together.
//
// The price is the usual one of a buffered writer: Write reports success once
// the bytes are buffered, so an error of the real write surfaces on the next
// Write (or on Close). crypto/tls treats any write error as fatal to the
// connection, so nothing is lost that was not already lost.

const (
	// coalesceMax bounds the bytes buffered per connection. A Write that
	// would go past it waits until the writer has sent the buffer (a single
	// Write larger than the bound is taken whole once the buffer is empty).
	// A TLS record is at most about 16 KiB, so this holds several records.
	coalesceMax = 128 << 10

	// closeFlushTimeout bounds how long Close waits for buffered bytes to
	// reach a peer that does not read, when no write deadline is earlier.
	closeFlushTimeout = 5 * time.Second
)

// coalescePool holds the buffers of idle connections, so that a keep-alive
// connection with nothing to send holds no buffer. Buffers have room for
// coalesceMax bytes, so appending never grows them but for one Write larger
// than that (and such a buffer is not kept).
var coalescePool = sync.Pool{New: func() any { b := make([]byte, 0, coalesceMax); return &b }}

// coalesceListener wraps every accepted connection in a coalescingConn.
type coalesceListener struct {
	net.Listener
}

func (l coalesceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newCoalescingConn(c), nil
}

// coalescingConn is a net.Conn whose writes are gathered by one writer
// goroutine and sent together. Reads go straight to the wrapped connection.
//
// Ownership: mu guards every field below it. Writers append to buf; the
// writer goroutine (writeLoop) takes buf whole, sends it without holding mu,
// and is the only one that writes to the wrapped connection until Close has
// seen it finish.
type coalescingConn struct {
	net.Conn

	mu       sync.Mutex
	wake     sync.Cond     // signalled when buf gains bytes or the conn closes; writeLoop waits on it
	space    sync.Cond     // broadcast when a send completes; Writes waiting for room wait on it
	buf      *[]byte       // bytes not yet handed to the writer; nil when empty and idle
	deadline time.Time     // write deadline of the latest Write, applied to the send that carries it
	window   time.Duration // how far ahead that deadline was set: the time a send may go without progress
	setDL    time.Time     // write deadline as set by SetWriteDeadline/SetDeadline
	setAt    time.Time     // when it was set
	err      error         // first failure of a send; every later Write returns it
	closed   bool          // Close was called: no more Writes, writeLoop drains and stops

	done      chan struct{} // closed when writeLoop has returned
	closeOnce sync.Once
	closeErr  error
}

func newCoalescingConn(c net.Conn) *coalescingConn {
	cc := &coalescingConn{Conn: c, done: make(chan struct{})}
	cc.wake.L = &cc.mu
	cc.space.L = &cc.mu
	go cc.writeLoop()
	return cc
}

// Write buffers p for the writer goroutine. It returns an error of an earlier
// send, net.ErrClosed after Close, or os.ErrDeadlineExceeded when the write
// deadline has passed. A Write that waits for room waits on the send in
// flight, which fails once it goes without progress for its deadline's
// window; a slow peer that keeps reading holds it up no longer than that.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.setDL.IsZero() && !time.Now().Before(c.setDL) && c.err == nil && !c.closed {
		return 0, os.ErrDeadlineExceeded
	}
	for {
		switch {
		case c.err != nil:
			return 0, c.err
		case c.closed:
			return 0, net.ErrClosed
		}
		if c.buf == nil || len(*c.buf) == 0 || len(*c.buf)+len(p) <= coalesceMax {
			break
		}
		c.space.Wait()
	}
	if c.buf == nil {
		c.buf = coalescePool.Get().(*[]byte)
	}
	*c.buf = append(*c.buf, p...)
	c.deadline, c.window = c.setDL, c.setDL.Sub(c.setAt)
	c.wake.Signal()
	return len(p), nil
}

// writeLoop sends what Writes buffered, all of it in one write each time,
// until the connection is closed and drained or a send fails.
func (c *coalescingConn) writeLoop() {
	defer close(c.done)
	var applied time.Time // the deadline last set on the wrapped connection
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for (c.buf == nil || len(*c.buf) == 0) && !c.closed && c.err == nil {
			c.wake.Wait()
		}
		if c.err != nil || c.buf == nil || len(*c.buf) == 0 {
			return // failed, or closed with nothing left to send
		}
		batch, dl, window := c.buf, c.deadline, c.window
		c.buf = nil
		c.mu.Unlock()

		err := c.send(*batch, dl, window, &applied)
		if cap(*batch) <= coalesceMax {
			*batch = (*batch)[:0]
			coalescePool.Put(batch)
		}

		c.mu.Lock()
		if err != nil {
			c.err = err
		}
		c.space.Broadcast()
	}
}

// send writes b whole to the wrapped connection. A deadline bounds the time
// a send goes without progress, as the writers of Writes mean it (HTTP/2's
// write byte timeout: no byte written for 30 s; it sets the deadline anew
// for each Write, which returns here at once): the send starts with the
// window of its deadline ahead, and gets a new one each time it times out
// having written some bytes, so a slow client that keeps reading is served
// to the end while a stalled one is cut off.
func (c *coalescingConn) send(b []byte, dl time.Time, window time.Duration, applied *time.Time) error {
	if !dl.IsZero() && window > 0 {
		dl = time.Now().Add(window)
	}
	for {
		if !dl.Equal(*applied) {
			if err := c.Conn.SetWriteDeadline(dl); err != nil {
				return err
			}
			*applied = dl
		}
		n, err := c.Conn.Write(b)
		b = b[n:]
		if err == nil || n == 0 || window <= 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		dl = time.Now().Add(window)
	}
}

// SetDeadline sets the read deadline of the wrapped connection and the write
// deadline of later Writes (see SetWriteDeadline).
func (c *coalescingConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetWriteDeadline sets the deadline of the bytes written from now on: the
// send that carries them fails once it passes, and a Write after it fails at
// once. Bytes already buffered keep the deadline they were written under:
// crypto/tls writes its close_notify alert and then sets the deadline to now
// to refuse further writes, and that alert must still go out.
func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.setDL, c.setAt = t, time.Now()
	if c.buf != nil && len(*c.buf) > 0 && c.deadline.IsZero() {
		// Bytes waiting without a deadline would otherwise wait on a
		// stalled peer for ever; the new deadline bounds them too.
		c.deadline, c.window = t, t.Sub(c.setAt)
	}
	c.mu.Unlock()
	return nil
}

// Close sends what is buffered (waiting at most until the write deadline of
// those bytes or closeFlushTimeout, whichever is first), then closes the
// wrapped connection. It returns the error of a failed send, if any.
func (c *coalescingConn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.wake.Signal()
		c.space.Broadcast()
		c.mu.Unlock()

		t := time.NewTimer(closeFlushTimeout)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		err := c.Conn.Close() // unblocks a send still waiting on the peer
		<-c.done

		c.mu.Lock()
		if c.err != nil {
			err = c.err
		}
		c.mu.Unlock()
		c.closeErr = err
	})
	return c.closeErr
}
