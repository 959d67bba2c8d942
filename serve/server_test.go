package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/localca"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// running is a Serve call in a goroutine.
type running struct {
	url    string
	stop   context.CancelFunc
	served chan error // Serve's result
}

func start(t *testing.T, h http.Handler, opts ServerOptions) *running {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	ctx, stop := context.WithCancel(context.Background())
	r := &running{stop: stop, served: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { r.served <- Serve(ctx, h, opts, func(u string) { ready <- u }) }()
	select {
	case r.url = <-ready:
	case err := <-r.served:
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-r.served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// hintingHandler answers / with a 103 Early Hint and a push of /a.css, then
// the page; /a.css is a stylesheet.
func hintingHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Link", "</a.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			if p, ok := w.(http.Pusher); ok {
				if err := p.Push("/a.css", nil); err != nil && !errors.Is(err, http.ErrNotSupported) {
					panic(err)
				}
			}
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<link rel=stylesheet href=/a.css>page")
		case "/a.css":
			w.Header().Set("Content-Type", "text/css")
			io.WriteString(w, "body{}")
		default:
			http.NotFound(w, r)
		}
	})
}

// h2Event is what a raw HTTP/2 client saw, in order.
type h2Event struct {
	stream uint32
	what   string // "headers 103", "push /a.css", "data ..."
}

// h2Get sends GET path on a fresh HTTP/2 connection that accepts push and
// returns the frames' events until the page and every pushed stream ended.
func h2Get(t *testing.T, addr, path string) []h2Event {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, conn)
	dec := hpack.NewDecoder(4096, nil) // one table per connection, shared with PUSH_PROMISE
	fr.ReadMetaHeaders = dec
	fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 1})
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", addr}, {":path", path}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})

	var events []h2Event
	open := map[uint32]bool{1: true}
	for len(open) > 0 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("read frame: %v (after %v)", err, events)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			events = append(events, h2Event{f.StreamID, "headers " + f.PseudoValue("status")})
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.PushPromiseFrame:
			fields, err := dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			for _, hf := range fields {
				if hf.Name == ":path" {
					events = append(events, h2Event{f.StreamID, "push " + hf.Value})
				}
			}
			open[f.PromiseID] = true
		case *http2.DataFrame:
			events = append(events, h2Event{f.StreamID, "data " + string(f.Data())})
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY: %v", f.ErrCode)
		}
	}
	return events
}

// The HTTP/2 server pushes and sends 103 Early Hints before the page, with
// and without write coalescing.
func TestServeHTTP2PushAndHints(t *testing.T) {
	for _, coalesce := range []bool{false, true} {
		t.Run(fmt.Sprintf("coalesce=%v", coalesce), func(t *testing.T) {
			r := start(t, hintingHandler(), ServerOptions{TLS: testTLSConfig(t), Coalesce: coalesce})
			u, _ := url.Parse(r.url)
			got := h2Get(t, u.Host, "/")
			// The hint, then the promise, then the page's own headers; the
			// pushed stream's frames may come anywhere after its promise.
			var order []string
			for _, e := range got {
				order = append(order, fmt.Sprintf("%d %s", e.stream, e.what))
			}
			at := func(s string) int { return slices.Index(order, s) }
			if !(at("1 headers 103") == 0 && at("1 push /a.css") == 1 && at("1 headers 200") > 1) {
				t.Errorf("frames %q: want 103, then the promise of /a.css, then the page's 200", order)
			}
			for _, w := range []string{"2 headers 200", "2 data body{}", "1 data <link rel=stylesheet href=/a.css>page"} {
				if !strings.Contains(strings.Join(order, "|"), w) {
					t.Errorf("frames %q lack %q", order, w)
				}
			}
		})
	}
}

// A verifying client: the local certificate is trusted once its authority
// is, HTTP/2 is negotiated, and the 103 arrives before the response.
func TestServeEarlyHintsVerifiedClient(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LocalCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := localca.Pool(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, hintingHandler(), ServerOptions{TLS: cfg, Coalesce: true})
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", r.url, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || !strings.HasSuffix(string(body), "page") {
		t.Errorf("got %s %s %q", resp.Proto, resp.Status, body)
	}
	if want := "103 </a.css>; rel=preload; as=style"; len(hints) != 1 || hints[0] != want {
		t.Errorf("1xx responses %q, want [%q]", hints, want)
	}
}

func TestServePlainHTTP(t *testing.T) {
	r := start(t, hintingHandler(), ServerOptions{})
	if !strings.HasPrefix(r.url, "http://127.0.0.1:") {
		t.Fatalf("URL %q", r.url)
	}
	resp, err := http.Get(r.url + "a.css")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 1 || string(body) != "body{}" {
		t.Errorf("got %s %q", resp.Proto, body)
	}
}

// When the context ends, a request in flight still gets its whole response,
// Serve returns nil, and the listener is closed.
func TestServeGracefulShutdown(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			body := strings.Repeat("x", 1<<20)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				<-release
				io.WriteString(w, body)
			})
			opts := ServerOptions{Addr: "127.0.0.1:0", Coalesce: true, Logger: slog.New(slog.DiscardHandler)}
			if tlsOn {
				opts.TLS = testTLSConfig(t)
			}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			ready, served := make(chan string, 1), make(chan error, 1)
			go func() { served <- Serve(ctx, h, opts, func(u string) { ready <- u }) }()
			u := <-ready
			client := &http.Client{Transport: &http.Transport{
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
			got := make(chan string, 1)
			go func() {
				resp, err := client.Get(u)
				if err != nil {
					got <- err.Error()
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					got <- err.Error()
					return
				}
				got <- string(b)
			}()
			<-entered
			stop()
			close(release)
			if b := <-got; b != body {
				t.Errorf("request in flight got %.80q, want the whole body", b)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve = %v, want nil", err)
			}
			host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"), "/")
			if c, err := net.Dial("tcp", host); err == nil {
				c.Close()
				t.Error("still listening after shutdown")
			}
		})
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), http.NotFoundHandler(), ServerOptions{Addr: ln.Addr().String()}, func(string) {
		t.Error("ready called")
	})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Serve on a busy port = %v, want an error naming it", err)
	}
}

func TestOpenURL(t *testing.T) {
	tests := []struct {
		scheme, addr, want string
	}{
		{"https", "127.0.0.1:8443", "https://127.0.0.1:8443/"},
		{"https", "0.0.0.0:8443", "https://localhost:8443/"},
		{"http", "[::]:8080", "http://localhost:8080/"},
		{"https", "[::1]:8443", "https://[::1]:8443/"},
		{"https", "[::1]:443", "https://[::1]/"},
		{"http", "10.0.0.1:80", "http://10.0.0.1/"},
		{"https", "0.0.0.0:80", "https://localhost:80/"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := openURL(tt.scheme, addr); got != tt.want {
				t.Errorf("openURL(%s, %s) = %s, want %s", tt.scheme, tt.addr, got, tt.want)
			}
		})
	}
}

// A client that turned push off gets http.ErrNotSupported from every Push;
// from the second request on, the connection remembers it. The writer keeps
// Flusher and reaches http.ResponseController's deadline through Unwrap.
func TestServeRemembersNoPush(t *testing.T) {
	type seen struct {
		knownBefore bool // the connection had refused push before this Push
		err         error
		flusher     bool
		deadlineErr error
	}
	results := make(chan seen, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s seen
		ci, _ := r.Context().Value(connInfoKey{}).(*connInfo)
		s.knownBefore = ci != nil && ci.noPush.Load()
		if p, ok := w.(http.Pusher); ok {
			s.err = p.Push("/a.css", nil)
		}
		_, s.flusher = w.(http.Flusher)
		s.deadlineErr = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
		results <- s
		io.WriteString(w, "ok")
	})
	r := start(t, h, ServerOptions{TLS: testTLSConfig(t), Coalesce: true})
	client := &http.Client{Transport: &http.Transport{ // net/http's client sends SETTINGS_ENABLE_PUSH=0
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	for i, wantKnown := range []bool{false, true} {
		resp, err := client.Get(r.url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("request %d over %s", i, resp.Proto)
		}
		s := <-results
		if !errors.Is(s.err, http.ErrNotSupported) {
			t.Errorf("request %d: Push = %v, want http.ErrNotSupported", i, s.err)
		}
		if s.knownBefore != wantKnown {
			t.Errorf("request %d: connection knew of the refusal before: %v, want %v", i, s.knownBefore, wantKnown)
		}
		if !s.flusher || s.deadlineErr != nil {
			t.Errorf("request %d: Flusher %v, SetWriteDeadline %v", i, s.flusher, s.deadlineErr)
		}
	}
}
