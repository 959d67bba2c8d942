package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"herald/internal/relay"
	"herald/internal/testsite"
	"herald/serve"

	"github.com/chromedp/chromedp"
)

// TestChromiumReport serves the Python docs with herald serve --tls (live
// reload on, as on any loopback address), loads the index in headless
// Chromium, and reads the page's report at /_herald/: the page sent its
// Resource Timing back, and each of the index's 14 critical assets is
// marked as taken through the 103, none unused, no render-blocking fetch
// left unhinted. Chromium trusts herald's localhost certificate through
// its public key (it ignores 103s over a certificate it does not trust)
// and talks to herald through a relay adding 5 ms each way: on bare
// loopback a page and its 103 land in the same instant.
func TestChromiumReport(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	dir := testsite.Dir(t, "python")
	bin := buildHerald(t)
	cmd := exec.Command(bin, "serve", dir, "--tls", "--addr", "127.0.0.1:0", "--http3=off")
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	run := start(t, cmd)
	addr := run.url.Host

	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	conn.Close()

	base := "https://" + relay.Start(t, addr, 5*time.Millisecond)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Poll[any](`window.heraldReport`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the page sent no report: %v\n%s", err, run.stderr.String())
	}
	reload, err := chromedp.Run(ctx, chromedp.Poll[string](`window.heraldLiveReload`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if status != float64(http.StatusNoContent) || reload != "open" {
		t.Fatalf("beacon status %v, live reload %v; want 204 and open", status, reload)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + addr + "/_herald/page?path=/&format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r serve.PageReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Assets) != 14 || r.Browser == nil {
		t.Fatalf("%d assets, browser %v; want the index's 14 and a load", len(r.Assets), r.Browser)
	}
	for _, a := range r.Assets {
		if a.Verdict != serve.VerdictEarlyHints {
			t.Errorf("%s: %s (%+v), want %s", a.Path, a.Verdict, a.Fetched, serve.VerdictEarlyHints)
		}
	}
	if b := r.Browser; b.EarlyHints != 14 || b.Unused != 0 || len(b.Missed) != 0 || b.Protocol != "h2" {
		t.Errorf("browser: %+v; want 14 through early hints over h2, none unused or missed", b)
	}
	if d := r.Served; d == nil || d.Hints != 14 || d.Protocol != "HTTP/2.0" {
		t.Errorf("served: %+v; want a 103 with 14 Link values over HTTP/2", d)
	}
	t.Log(fmt.Sprintf("%+v", *r.Browser))
}
