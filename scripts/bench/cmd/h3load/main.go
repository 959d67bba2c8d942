// Command h3load is a small load generator for HTTP/2 and HTTP/3 over TLS, for the comparison
// Debian's h2load cannot make (it has no HTTP/3). It opens C connections and keeps M requests in
// flight on each (h2load -c C -m M), asks for the URLs of a file round-robin (GET, no
// Accept-Encoding: identity, as h2load sends), measures for a duration after a warm-up, and prints
// one line: requests/s, errors, p50/p99 latency (request sent to body read), MB/s of bodies, and
// the client's own CPU use (quic-go's client costs more than HTTP/2's: past ~90 % the client, not
// the server, is the limit).
//
//	h3load -proto h3 -urls FILE -cacert cert.pem [-c 1 -m 32 -d 10s -warm 5000]
//
// HTTP/2 goes through net/http's ClientConn (one TCP+TLS connection each, Protocols = HTTP/2 only:
// the same code as golang.org/x/net/http2, whose own NewClientConn is deprecated in favour of it);
// HTTP/3 through quic-go's http3.ClientConn on one QUIC connection each. It exits 1 if anything
// failed: a connection, a request, a status other than 200, a response in the wrong protocol.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "h3load: error: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	proto  string
	conns  int
	mux    int
	dur    time.Duration
	warm   int
	urls   []*url.URL
	tlsCfg *tls.Config
}

func run() error {
	var c config
	urls := flag.String("urls", "", "file of URLs, one per line (all on one host:port)")
	cacert := flag.String("cacert", "", "PEM file of the CA (or self-signed certificate) to trust")
	flag.StringVar(&c.proto, "proto", "h2", "h2 (HTTP/2 over TLS over TCP) or h3 (HTTP/3 over QUIC)")
	flag.IntVar(&c.conns, "c", 1, "connections")
	flag.IntVar(&c.mux, "m", 32, "requests in flight per connection (streams)")
	flag.DurationVar(&c.dur, "d", 10*time.Second, "measuring time, after the warm-up")
	flag.IntVar(&c.warm, "warm", 5000, "requests before measuring, not counted")
	flag.Parse()
	if flag.NArg() > 0 || *urls == "" || *cacert == "" || (c.proto != "h2" && c.proto != "h3") ||
		c.conns < 1 || c.mux < 1 || c.dur <= 0 {
		flag.Usage()
		return errors.New("usage: h3load -proto h2|h3 -urls FILE -cacert PEM [-c N -m N -d DUR -warm N]")
	}
	var err error
	if c.urls, err = readURLs(*urls); err != nil {
		return err
	}
	pem, err := os.ReadFile(*cacert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no PEM certificate", *cacert)
	}
	c.tlsCfg = &tls.Config{RootCAs: pool}

	conns := make([]http.RoundTripper, c.conns)
	for i := range conns {
		var closeConn func()
		if conns[i], closeConn, err = dial(c); err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
		// Closed, not dropped: a server waits on a QUIC connection
		// that vanished without a CONNECTION_CLOSE until it times out.
		defer closeConn()
	}
	warm := load(c, conns, c.warm, 0)
	if warm.errs > 0 {
		return fmt.Errorf("warm-up: %d errors; the first: %v", warm.errs, warm.firstErr)
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	r := load(c, conns, 0, c.dur)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := tv(ru1.Utime) - tv(ru0.Utime) + tv(ru1.Stime) - tv(ru0.Stime)

	slices.Sort(r.lat)
	fmt.Printf("%s c=%d m=%d %.1fs: %d requests, %.0f req/s, %d errors, p50 %.2f ms, p99 %.2f ms, %.1f MB/s, client CPU %.0f%%\n",
		c.proto, c.conns, c.mux, r.elapsed.Seconds(), len(r.lat), float64(len(r.lat))/r.elapsed.Seconds(), r.errs,
		ms(pct(r.lat, 50)), ms(pct(r.lat, 99)), float64(r.bytes)/r.elapsed.Seconds()/1e6, 100*cpu.Seconds()/r.elapsed.Seconds())
	if r.errs > 0 {
		return fmt.Errorf("%d requests failed; the first: %v", r.errs, r.firstErr)
	}
	if len(r.lat) == 0 {
		return errors.New("no request completed")
	}
	return nil
}

func readURLs(name string) ([]*url.URL, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var us []*url.URL
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("%s: %q is no https URL", name, line)
		}
		if len(us) > 0 && u.Host != us[0].Host {
			return nil, fmt.Errorf("%s: %q is on another host than %s", name, line, us[0].Host)
		}
		us = append(us, u)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("%s: no URL", name)
	}
	return us, nil
}

// dial opens one connection to the host of c.urls in c.proto.
func dial(c config) (http.RoundTripper, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := c.urls[0].Host
	if c.proto == "h3" {
		tc := c.tlsCfg.Clone()
		tc.NextProtos = []string{http3.NextProtoH3}
		qc, err := quic.DialAddr(ctx, host, tc, &quic.Config{MaxIdleTimeout: time.Minute})
		if err != nil {
			return nil, nil, err
		}
		closeConn := func() { qc.CloseWithError(0, "") }
		return (&http3.Transport{DisableCompression: true}).NewClientConn(qc), closeConn, nil
	}
	tr := &http.Transport{TLSClientConfig: c.tlsCfg.Clone(), DisableCompression: true, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP2(true)
	cc, err := tr.NewClientConn(ctx, "https", host)
	if err != nil {
		return nil, nil, err
	}
	return cc, func() { cc.Close() }, nil
}

// result is what one load phase measured.
type result struct {
	lat      []time.Duration
	errs     int
	firstErr error
	bytes    int64
	elapsed  time.Duration
}

// load runs c.mux workers per connection, each sending one request after
// another, the URLs taken round-robin, until n requests were sent (n > 0) or
// for d. Requests in flight at the deadline are finished and counted; elapsed
// runs until the last one.
func load(c config, conns []http.RoundTripper, n int, d time.Duration) result {
	var next atomic.Int64
	var mu sync.Mutex
	var all result
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, rt := range conns {
		for range c.mux {
			wg.Go(func() {
				var r result
				for {
					i := next.Add(1) - 1
					if (n > 0 && i >= int64(n)) || (n == 0 && !time.Now().Before(deadline)) {
						break
					}
					t0 := time.Now()
					nb, err := get(c.proto, rt, c.urls[i%int64(len(c.urls))])
					if err != nil {
						if r.errs == 0 {
							r.firstErr = err
						}
						r.errs++
						continue
					}
					r.lat = append(r.lat, time.Since(t0))
					r.bytes += nb
				}
				mu.Lock()
				defer mu.Unlock()
				all.lat = append(all.lat, r.lat...)
				if all.errs == 0 {
					all.firstErr = r.firstErr
				}
				all.errs += r.errs
				all.bytes += r.bytes
			})
		}
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	return all
}

// get asks rt for u and reads the body; anything but a 200 in proto is an error.
func get(proto string, rt http.RoundTripper, u *url.URL) (int64, error) {
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	nb, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return nb, fmt.Errorf("%s: body: %w", u, err)
	}
	want := map[string]int{"h2": 2, "h3": 3}[proto]
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != want {
		return nb, fmt.Errorf("%s: %s %s, want 200 over HTTP/%d", u, resp.Proto, resp.Status, want)
	}
	return nb, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func tv(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
