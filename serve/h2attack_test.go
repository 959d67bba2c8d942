package serve

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The adversarial HTTP/2 suite: clients that hold streams open without
// reading, reset streams as fast as they open them, or flood the server
// with frames, while the server runs in this process. Each test watches the
// process (heap and stacks, goroutines, open descriptors) while the attack
// holds, and checks that an ordinary client is still served meanwhile.

// usage is a sample of what the process holds.
type usage struct {
	mem        uint64 // heap in use plus goroutine stacks
	goroutines int
	fds        int
}

func sampleUsage() usage {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{mem: ms.HeapInuse + ms.StackInuse, goroutines: runtime.NumGoroutine(), fds: openFDs()}
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// peakRSS is the process's peak resident memory since resetPeakRSS (the
// kernel's VmHWM), or 0 where /proc does not tell.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS starts VmHWM again from the current resident memory.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// watcher samples the process every few milliseconds and keeps the peaks.
type watcher struct {
	stop chan struct{}
	done chan struct{}
	peak usage
}

func watchUsage() *watcher {
	runtime.GC()
	resetPeakRSS()
	w := &watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			u := sampleUsage()
			w.peak.mem = max(w.peak.mem, u.mem)
			w.peak.goroutines = max(w.peak.goroutines, u.goroutines)
			w.peak.fds = max(w.peak.fds, u.fds)
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *watcher) end() usage {
	close(w.stop)
	<-w.done
	return w.peak
}

// raiseFDLimit lifts the soft limit of open descriptors to at least n (up to
// the hard limit).
func raiseFDLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	old := lim
	lim.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	if lim.Cur < n {
		t.Fatalf("descriptor limit %d, the test needs %d", lim.Cur, n)
	}
}

// rawConn is an attacking HTTP/2 connection: frames are written by the
// test, and a goroutine reads and drops whatever the server sends,
// answering SETTINGS and counting what matters.
type rawConn struct {
	conn   *tls.Conn
	w      *http2.Framer
	mu     sync.Mutex // guards w and the encoder
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	host   string
	nextID uint32

	promises, resets, goaway atomic.Int64
	closed                   chan struct{} // the server closed the connection
}

// dialRaw opens an HTTP/2 connection and sends the client's SETTINGS.
// reading false leaves everything the server sends unread.
func dialRaw(t *testing.T, addr string, reading bool, settings ...http2.Setting) *rawConn {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	c := &rawConn{conn: conn, w: http2.NewFramer(conn, nil), host: addr, nextID: 1, closed: make(chan struct{})}
	c.enc = hpack.NewEncoder(&c.encBuf)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := c.w.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	if reading {
		go c.read()
	}
	return c
}

func (c *rawConn) read() {
	defer close(c.closed)
	r := http2.NewFramer(nil, c.conn)
	r.SetMaxReadFrameSize(1 << 24)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.mu.Lock()
				c.w.WriteSettingsAck()
				c.mu.Unlock()
			}
		case *http2.PushPromiseFrame:
			c.promises.Add(1)
		case *http2.RSTStreamFrame:
			c.resets.Add(1)
		case *http2.GoAwayFrame:
			c.goaway.Add(1)
		}
	}
}

// request opens a stream with a GET of path and returns its id.
func (c *rawConn) request(path string, extra ...string) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID += 2
	c.encBuf.Reset()
	fields := append([]string{":method", "GET", ":scheme", "https", ":authority", c.host, ":path", path}, extra...)
	for i := 0; i+1 < len(fields); i += 2 {
		c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return id, c.w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.encBuf.Bytes(),
		EndStream: true, EndHeaders: true})
}

// normalClient is an ordinary HTTP/2 client (net/http's, which refuses push).
func normalClient(t *testing.T) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// served checks that an ordinary client gets the whole of rawURL, quickly.
func served(t *testing.T, client *http.Client, rawURL string, want int) {
	t.Helper()
	start := time.Now()
	resp, err := client.Get(rawURL)
	if err != nil {
		t.Fatalf("an ordinary client during the attack: %v", err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || (want >= 0 && n != int64(want)) || resp.ProtoMajor != 2 {
		t.Fatalf("an ordinary client during the attack: %s %d, %d bytes (want %d), %v", resp.Proto, resp.StatusCode, n, want, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("an ordinary client waited %v during the attack", d)
	}
}

func hostOf(t *testing.T, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// settle waits until the goroutines and descriptors of the process are back
// near where they were, and fails if they are not within the time.
func settle(t *testing.T, base usage, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		u := sampleUsage()
		if u.goroutines <= base.goroutines+20 && u.fds <= base.fds+10 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the attack: %d goroutines (%d before), %d descriptors (%d before)",
				within, u.goroutines, base.goroutines, u.fds, base.fds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const MiB = 1 << 20

// TestAttackPushWindowZero: clients that accept push, allow any number of
// streams, keep every stream's window at 0 and ask for the Python docs'
// index 250 times each. Every page promises its 14 critical assets; none of
// them can be sent. The pushed streams a connection holds open at once are
// bounded, the process's memory and descriptors stay bounded, streams that
// make no progress are reset within the stall timeout, and an ordinary
// client is served all along.
func TestAttackPushWindowZero(t *testing.T) {
	fsys, m := pythonSite(t)
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	h := New(fsys, m, DefaultOptions())
	const stall = time.Second
	r := start(t, h, ServerOptions{TLS: testTLSConfig(t), Coalesce: true, StallTimeout: stall})
	addr := hostOf(t, r.url)
	client := normalClient(t)
	served(t, client, r.url, len(index)) // warm the cache as visitors would
	served(t, client, r.url, len(index))
	base := sampleUsage()

	const conns, pages = 5, 250
	w := watchUsage()
	var attackers []*rawConn
	for range conns {
		c := dialRaw(t, addr, true,
			http2.Setting{ID: http2.SettingEnablePush, Val: 1},
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1 << 20},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		attackers = append(attackers, c)
	}
	for range pages {
		for _, c := range attackers {
			if _, err := c.request("/", browserHeaders...); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(500 * time.Millisecond) // let the server take them all
	served(t, client, r.url, len(index))
	// The attack holds past the stall timeout: the stalled streams are
	// reset, and the pages still waiting push again.
	time.Sleep(stall)
	served(t, client, r.url, len(index))
	peak := w.end()
	var promises, resets int64
	for _, c := range attackers {
		promises += c.promises.Load()
		resets += c.resets.Load()
	}
	t.Logf("%d connections x %d pages: %d pushes promised, %d streams reset; peak %.1f MiB heap+stacks (%.1f before), %d goroutines (%d), %d descriptors (%d); peak RSS %.1f MiB",
		conns, pages, promises, resets, float64(peak.mem)/MiB, float64(base.mem)/MiB, peak.goroutines, base.goroutines, peak.fds, base.fds, float64(peakRSS())/MiB)
	if promises == 0 {
		t.Fatal("no push promised: the attack did not take place")
	}
	if resets == 0 {
		t.Error("no stalled stream was reset")
	}
	if d := peak.fds - base.fds; d > 100 {
		t.Errorf("the attack held %d more descriptors, want at most 100", d)
	}
	if d := peak.mem - base.mem; d > 64*MiB {
		t.Errorf("the attack held %.1f MiB more heap and stacks, want at most 64", float64(d)/MiB)
	}
	if !raceEnabled {
		if rss := peakRSS(); rss > 128*MiB {
			t.Errorf("peak RSS %.1f MiB, want at most 128", float64(rss)/MiB)
		}
	}
	settle(t, base, 3*stall)
}
