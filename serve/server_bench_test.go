package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
)

// writeSyscalls is how many write system calls this process has made
// (syscw of /proc/self/io), or -1 where that is not known.
func writeSyscalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("syscw: ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// BenchmarkServeTLS measures HTTP/2 over TLS through Serve, with and without
// write coalescing: one op is a burst of 64 concurrent GETs of a 13 KB page
// (the size of the python docs' index) on one connection, as h2load -m sends
// them. It reports responses per second and write(2) calls per response
// (both ends of the connection are in this process; the client writes little).
func BenchmarkServeTLS(b *testing.B) {
	page := bytes.Repeat([]byte("<p>herald serves this page.</p>\n"), 13<<10/32)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	})
	const burst = 64
	for _, coalesce := range []bool{false, true} {
		b.Run(fmt.Sprintf("coalesce=%v", coalesce), func(b *testing.B) {
			r := startBench(b, h, ServerOptions{TLS: testTLSConfig(b), Coalesce: coalesce})
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			get := func() error {
				resp, err := client.Get(r)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				n, err := io.Copy(io.Discard, resp.Body)
				if err == nil && n != int64(len(page)) {
					err = fmt.Errorf("read %d bytes, want %d", n, len(page))
				}
				return err
			}
			if err := get(); err != nil { // the connection, before the clock starts
				b.Fatal(err)
			}
			w0 := writeSyscalls()
			b.ResetTimer()
			for b.Loop() {
				var wg sync.WaitGroup
				for range burst {
					wg.Go(func() {
						if err := get(); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			responses := float64(b.N * burst)
			b.ReportMetric(responses/b.Elapsed().Seconds(), "resp/s")
			if w1 := writeSyscalls(); w0 >= 0 && w1 >= 0 {
				b.ReportMetric(float64(w1-w0)/responses, "writes/resp")
			}
		})
	}
}

// startBench runs Serve for a benchmark and returns its URL.
func startBench(b *testing.B, h http.Handler, opts ServerOptions) string {
	b.Helper()
	opts.Addr = "127.0.0.1:0"
	ctx, stop := context.WithCancel(context.Background())
	served, ready := make(chan error, 1), make(chan string, 1)
	go func() { served <- Serve(ctx, h, opts, func(u string) { ready <- u }) }()
	var u string
	select {
	case u = <-ready:
	case err := <-served:
		b.Fatal(err)
	}
	b.Cleanup(func() { stop(); <-served })
	return u
}

// BenchmarkCoalesceWrite sends TLS-record-sized writes over loopback TCP,
// straight and through a coalescing connection, with a peer draining them.
func BenchmarkCoalesceWrite(b *testing.B) {
	rec := make([]byte, 4<<10+22) // a 4 KiB HTTP/2 chunk as one TLS record
	for _, coalesce := range []bool{false, true} {
		b.Run(fmt.Sprintf("coalesce=%v", coalesce), func(b *testing.B) {
			client, server := tcpPair(b)
			go io.Copy(io.Discard, client)
			var c net.Conn = server
			if coalesce {
				c = newCoalescingConn(server)
				defer c.Close()
			}
			b.SetBytes(int64(len(rec)))
			w0 := writeSyscalls()
			for b.Loop() {
				if _, err := c.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
			if w1 := writeSyscalls(); w0 >= 0 && w1 >= 0 {
				b.ReportMetric(float64(w1-w0)/float64(b.N), "syscalls/write")
			}
		})
	}
}
