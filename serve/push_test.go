package serve

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"herald/manifest"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client speaks HTTP/2 frame by frame, so a test sees exactly what the
// server sends: PUSH_PROMISE frames, 103 responses, headers.
type h2Client struct {
	t      testing.TB
	conn   *tls.Conn
	fr     *http2.Framer
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	host   string
	nextID uint32
}

// dialH2 opens an HTTP/2 connection to a TLS test server, announcing
// whether it accepts push, with windows large enough that the server never
// waits for the client.
func dialH2(t testing.TB, srv *httptest.Server, push bool) *h2Client {
	t.Helper()
	addr := strings.TrimPrefix(srv.URL, "https://")
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second)) // a hung server fails the test instead of hanging it
	c := &h2Client{t: t, conn: conn, host: addr, nextID: 1}
	c.fr = http2.NewFramer(conn, conn)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	c.fr.MaxHeaderListSize = 1 << 20
	c.enc = hpack.NewEncoder(&c.encBuf)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	enable := uint32(0)
	if push {
		enable = 1
	}
	if err := c.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: enable},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteWindowUpdate(0, 1<<30); err != nil {
		t.Fatal(err)
	}
	return c
}

// h2Response is what the server sent for one request.
type h2Response struct {
	status  string
	header  map[string][]string // of the final response
	early   [][]string          // Link values of each 103 response
	pushes  []string            // promised paths, in order
	pushed  map[string]map[string][]string
	body    []byte
	pushIDs map[uint32]string
}

// get sends a GET with the given extra headers and reads frames until the
// response ends, gathering the pushes it promised and their responses'
// headers.
func (c *h2Client) get(path string, extra ...string) *h2Response {
	c.t.Helper()
	id := c.nextID
	c.nextID += 2
	c.encBuf.Reset()
	fields := []string{":method", "GET", ":scheme", "https", ":authority", c.host, ":path", path}
	for _, kv := range [][]string{fields, extra} {
		for i := 0; i+1 < len(kv); i += 2 {
			c.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.encBuf.Bytes(),
		EndStream: true, EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
	resp := &h2Response{header: map[string][]string{}, pushed: map[string]map[string][]string{}, pushIDs: map[uint32]string{}}
	open := map[uint32]bool{id: true}
	for len(open) > 0 {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("reading frames: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.fr.WriteSettingsAck()
			}
		case *http2.PushPromiseFrame:
			if !f.HeadersEnded() {
				c.t.Fatal("PUSH_PROMISE split over CONTINUATION frames: not handled by this client")
			}
			hf, err := c.fr.ReadMetaHeaders.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				c.t.Fatal(err)
			}
			for _, h := range hf {
				if h.Name == ":path" {
					resp.pushes = append(resp.pushes, h.Value)
					resp.pushIDs[f.PromiseID] = h.Value
				}
			}
			open[f.PromiseID] = true
		case *http2.MetaHeadersFrame:
			hdr := map[string][]string{}
			for _, h := range f.Fields {
				hdr[h.Name] = append(hdr[h.Name], h.Value)
			}
			if f.StreamID == id {
				if hdr[":status"][0] == "103" {
					resp.early = append(resp.early, hdr["link"])
				} else {
					resp.status, resp.header = hdr[":status"][0], hdr
				}
			} else {
				resp.pushed[resp.pushIDs[f.StreamID]] = hdr
			}
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.DataFrame:
			if f.StreamID == id {
				resp.body = append(resp.body, f.Data()...)
			}
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.RSTStreamFrame:
			c.t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY: %v", f.ErrCode)
		}
	}
	return resp
}

// cookie returns the digest cookie the response set, as a request sends it.
func (r *h2Response) cookie() string {
	for _, sc := range r.header["set-cookie"] {
		if strings.HasPrefix(sc, digestCookie+"=") {
			v, _, _ := strings.Cut(sc, ";")
			return v
		}
	}
	return ""
}

func newTLSServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

var browserHeaders = []string{"accept", "text/html,application/xhtml+xml", "accept-encoding", "gzip, deflate, br, zstd",
	"sec-fetch-mode", "navigate", "sec-fetch-dest", "document", "user-agent", "herald-test"}

// TestPushConversation is a real HTTP/2 conversation with a client that
// accepts push: the first visit is promised exactly the page's critical
// assets, stylesheets first, and the pushed requests carry the page
// request's Accept-Encoding; a second visit that sends the cookie back is
// promised nothing but still hinted everything (the digest gates push only:
// a hint of a cached asset costs nothing, one left out costs round trips
// when the cookie outlives the cache); once an asset changes, only it is
// pushed again.
func TestPushConversation(t *testing.T) {
	fsys := testSite()
	h := newHandler(t, fsys, DefaultOptions())
	srv := newTLSServer(t, h)
	c := dialH2(t, srv, true)

	first := c.get("/", browserHeaders...)
	if ce := first.header["content-encoding"]; !slices.Equal(ce, []string{"br"}) {
		t.Errorf("page: content-encoding %v, want br", ce)
	}
	if first.status != "200" || string(decodeBrotli(t, first.body)) != pageHTML {
		t.Fatalf("first visit: status %s, body %q", first.status, first.body)
	}
	if want := []string{"/a.css", "/b.css", "/app.js"}; !slices.Equal(first.pushes, want) {
		t.Fatalf("first visit pushed %v, want %v", first.pushes, want)
	}
	if ce := first.pushed["/a.css"]["content-encoding"]; !slices.Equal(ce, []string{"br"}) {
		t.Errorf("pushed /a.css has content-encoding %v, want br (the page request accepts it)", ce)
	}
	wantLinks := []string{"</a.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script", "</b.css>; rel=preload; as=style"}
	if len(first.early) != 1 || !slices.Equal(first.early[0], wantLinks) {
		t.Errorf("first visit: early hints %q, want one with %q", first.early, wantLinks)
	}
	if !slices.Equal(first.header["link"], wantLinks) {
		t.Errorf("first visit: Link %q, want %q", first.header["link"], wantLinks)
	}
	cookie := first.cookie()
	if cookie == "" {
		t.Fatalf("first visit set no digest cookie: %v", first.header["set-cookie"])
	}

	second := c.get("/", append(browserHeaders, "cookie", "theme=dark; "+cookie)...)
	if second.status != "200" || len(second.pushes) != 0 {
		t.Fatalf("second visit: status %s, pushes %v; want 200 and nothing pushed", second.status, second.pushes)
	}
	if len(second.early) != 1 || !slices.Equal(second.early[0], wantLinks) || !slices.Equal(second.header["link"], wantLinks) {
		t.Errorf("second visit: early hints %q, Link %q; want every asset hinted and preloaded", second.early, second.header["link"])
	}
	if second.cookie() != "" {
		t.Errorf("second visit set the cookie again: nothing new was sent")
	}

	// b.css changes: a new manifest, a new hash.
	fsys["b.css"] = &fstest.MapFile{Data: []byte("h1 { font-weight: 900 }\n"), ModTime: time.Now()}
	m, _, err := manifest.Build(fsys, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.SetManifest(m)
	third := c.get("/", append(browserHeaders, "cookie", cookie)...)
	if !slices.Equal(third.pushes, []string{"/b.css"}) {
		t.Fatalf("after b.css changed: pushed %v, want [/b.css]", third.pushes)
	}
	if len(third.early) != 1 || !slices.Equal(third.early[0], wantLinks) {
		t.Errorf("after b.css changed: early hints %q, want %q", third.early, wantLinks)
	}
	next := third.cookie()
	if next == "" || next == cookie {
		t.Fatalf("after b.css changed: cookie %q, want a new one", next)
	}
	fourth := c.get("/", append(browserHeaders, "cookie", next)...)
	if len(fourth.pushes) != 0 || len(fourth.early) != 1 {
		t.Errorf("with the new cookie: pushes %v, early hints %v, want no push and the hints", fourth.pushes, fourth.early)
	}
}

// TestPushChannels checks the switches and the budget on real HTTP/2
// connections.
func TestPushChannels(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(*Options)
		push     bool     // the client accepts push
		headers  []string // nil: browserHeaders
		pushes   []string
		early    int
		links    int
		noCookie bool
	}{
		{name: "defaults", push: true, pushes: []string{"/a.css", "/b.css", "/app.js"}, early: 1, links: 3},
		{name: "client refuses push", push: false, early: 1, links: 3},
		{name: "push off: no cookie", opts: func(o *Options) { o.Push = PushOff }, push: true, early: 1, links: 3, noCookie: true},
		{name: "hints off", opts: func(o *Options) { o.Hints = false }, push: true, pushes: []string{"/a.css", "/b.css", "/app.js"}, links: 3},
		{name: "preload off", opts: func(o *Options) { o.Preload = false }, push: false, early: 1},
		{name: "all off", opts: func(o *Options) { o.Push, o.Hints, o.Preload = PushOff, false, false }, push: true, noCookie: true},
		{name: "count budget", opts: func(o *Options) { o.PushMaxCount = 2 }, push: true, pushes: []string{"/a.css", "/b.css"}, early: 1, links: 3},
		{name: "byte budget skips what does not fit", opts: func(o *Options) { o.PushMaxBytes = int64(len(aCSS)) - 1 },
			push: true, pushes: []string{"/b.css", "/app.js"}, early: 1, links: 3},
		{name: "not a navigation: no early hints", push: true, headers: []string{"accept", "*/*"},
			pushes: []string{"/a.css", "/b.css", "/app.js"}, links: 3},
		{name: "fetch metadata: not a navigation", push: false,
			headers: []string{"accept", "text/html", "sec-fetch-mode", "cors", "sec-fetch-dest", "empty"}, links: 3, noCookie: true},
		{name: "accept text/html without fetch metadata", push: false, headers: []string{"accept", "text/html"}, early: 1, links: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			srv := newTLSServer(t, newHandler(t, testSite(), opts))
			hdrs := tt.headers
			if hdrs == nil {
				hdrs = browserHeaders
			}
			r := dialH2(t, srv, tt.push).get("/", hdrs...)
			if r.status != "200" {
				t.Fatalf("status %s", r.status)
			}
			if !slices.Equal(r.pushes, tt.pushes) {
				t.Errorf("pushed %v, want %v", r.pushes, tt.pushes)
			}
			if len(r.early) != tt.early {
				t.Errorf("%d early hints responses, want %d", len(r.early), tt.early)
			}
			if len(r.header["link"]) != tt.links {
				t.Errorf("%d Link values, want %d", len(r.header["link"]), tt.links)
			}
			if got := r.cookie() == ""; got != tt.noCookie {
				t.Errorf("cookie %q, want none: %v", r.cookie(), tt.noCookie)
			}
		})
	}
}

// TestNoPushForAssetsOrHead checks that only a GET of a page pushes.
func TestNoPushForAssetsOrHead(t *testing.T) {
	srv := newTLSServer(t, newHandler(t, testSite(), DefaultOptions()))
	c := dialH2(t, srv, true)
	if r := c.get("/a.css", browserHeaders...); len(r.pushes) != 0 || len(r.early) != 0 || len(r.header["link"]) != 0 {
		t.Errorf("asset request: pushes %v, early %v, links %v", r.pushes, r.early, r.header["link"])
	}
}

// decodeBrotli returns b decoded as brotli, the coding Chromium's
// Accept-Encoding gets.
func decodeBrotli(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("brotli: %v", err)
	}
	return out
}
