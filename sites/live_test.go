package sites

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"herald/config"
	"herald/internal/testsite"
)

// openTOML opens a configuration given as text.
func openTOML(t *testing.T, text string) *Running {
	t.Helper()
	cfg, err := config.Parse("herald.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(cfg, fileBackend)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLiveSwap: a Running replaced stays open while a request that began
// on it runs and is closed after; the new one serves new requests; a new
// listen address is reported, a dropped one answers 404, and a listener
// turning from HTTP to TLS refuses the swap.
func TestLiveSwap(t *testing.T) {
	root := testsite.WriteDir(t, map[string]string{"index.html": "one"})
	root2 := testsite.WriteDir(t, map[string]string{"index.html": "two"})
	site := func(root, addr string) string {
		return fmt.Sprintf("[[site]]\nroot = %q\nlisten = [%q]\n", root, addr)
	}
	get := func(h http.Handler) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		return w.Code, w.Body.String()
	}
	first := openTOML(t, site(root, "127.0.0.1:1")+site(root, "127.0.0.1:2"))
	lv := NewLive(first)
	defer lv.Close()
	if code, body := get(lv.Handler("127.0.0.1:1")); code != 200 || body != "one" {
		t.Fatalf("first: %d %q", code, body)
	}

	inFlight := lv.acquire() // a request that began before the swap
	restart, err := lv.Swap(openTOML(t, site(root2, "127.0.0.1:1")+site(root2, "127.0.0.1:3")))
	if err != nil {
		t.Fatal(err)
	}
	if len(restart) != 2 || !strings.Contains(restart[0], "127.0.0.1:3 is new") || !strings.Contains(restart[1], "127.0.0.1:2 is no longer") {
		t.Errorf("needs a restart: %q", restart)
	}
	if code, body := get(lv.Handler("127.0.0.1:1")); code != 200 || body != "two" {
		t.Errorf("after the swap: %d %q, want 200 \"two\"", code, body)
	}
	if code, _ := get(lv.Handler("127.0.0.1:2")); code != 404 {
		t.Errorf("a dropped address answers %d, want 404", code)
	}
	if _, err := first.Sites[0].FS.Open("index.html"); err != nil {
		t.Errorf("the Running replaced is closed under a request in flight: %v", err)
	}
	inFlight.release()
	if _, err := first.Sites[0].FS.Open("index.html"); err == nil {
		t.Errorf("the Running replaced is still open after its last request")
	}

	certFile, keyFile, _ := writeTestCert(t, t.TempDir(), "a.test")
	withTLS := site(root, "127.0.0.1:1") + fmt.Sprintf("[site.tls]\ncert = %q\nkey = %q\n", certFile, keyFile)
	if _, err := lv.Swap(openTOML(t, withTLS)); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("a listener turning to TLS: %v, want an error asking for a restart", err)
	}
	if code, body := get(lv.Handler("127.0.0.1:1")); code != 200 || body != "two" {
		t.Errorf("after a refused swap: %d %q, want 200 \"two\"", code, body)
	}
	if !slices.EqualFunc(lv.Listeners(), first.Listeners, func(a, b *Listener) bool { return a.Addr == b.Addr }) {
		t.Errorf("the listeners changed")
	}
}
