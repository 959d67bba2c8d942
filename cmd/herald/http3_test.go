package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// TestHTTP3Flag runs herald serve and a bundle with a certificate: both
// answer over HTTP/3 on the port they print and announce it with Alt-Svc
// on HTTP/2; with --http3=off neither does.
func TestHTTP3Flag(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<!doctype html><link rel=stylesheet href=a.css><p>hi", "a.css": "p{}"})
	tmp := t.TempDir()
	bundle := filepath.Join(tmp, "site")
	if out, err := exec.Command(bin, "bundle", dir, "-o", bundle).CombinedOutput(); err != nil {
		t.Fatalf("herald bundle: %v\n%s", err, out)
	}
	certFile, keyFile, pool := testCert(t, tmp, "localhost")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"serve", []string{bin, "serve", dir}},
		{"bundle", []string{bundle}},
	} {
		for _, off := range []bool{false, true} {
			args := append(tc.args[1:], "--addr", "127.0.0.1:0", "--cert", certFile, "--key", keyFile)
			if off {
				args = append(args, "--http3=off")
			}
			base := startServer(t, tc.args[0], args...)
			u, _ := url.Parse(base)
			resp, err := h2Client(pool, "localhost", u.Host).Get(base)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := `h3=":` + u.Port() + `"; ma=86400`
			if off {
				want = ""
			}
			if got := resp.Header.Get("Alt-Svc"); got != want {
				t.Errorf("%s %v: Alt-Svc %q, want %q", tc.name, args, got, want)
			}
			tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
				QUICConfig: &quic.Config{HandshakeIdleTimeout: time.Second}}
			resp, err = (&http.Client{Transport: tr}).Get(base)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != 3 || len(body) == 0 {
					t.Errorf("%s %v: %s %s %q over HTTP/3", tc.name, args, resp.Proto, resp.Status, body)
				}
			}
			tr.Close()
			if off != (err != nil) {
				t.Errorf("%s %v: HTTP/3 request error %v", tc.name, args, err)
			}
		}
	}
}
