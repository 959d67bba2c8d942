// Command h3paint measures Chromium's first paint of one page over HTTP/2
// and over HTTP/3: each load in a fresh browser with a fresh profile
// (nothing cached, no connection kept), the two protocols alternated load by
// load, the order swapped each round; it prints each load and the medians.
//
//	h3paint -cert cert.pem -n 7 https://127.0.0.1:28744/index.html
//
// HTTP/2 loads run with --disable-quic; HTTP/3 loads with
// --origin-to-force-quic-on for the page's origin, so the first request
// already goes over QUIC (no Alt-Svc round). The certificate's key is
// trusted by its SPKI hash (--ignore-certificate-errors-spki-list), which
// Chromium treats as a trusted certificate: it takes 103 Early Hints over it.
//
// Each load is checked: the page's nextHopProtocol must be the protocol
// asked for (else h3paint stops), and every asset the server's 103 names
// with rel=preload (asked once, before the loads, with Go's client) must
// have come through early hints (Resource Timing initiatorType
// "early-hints") over that protocol; a load where one did not is marked,
// counted, and makes the exit status 1 after the medians.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"herald/scripts/bench/browser"

	"github.com/chromedp/chromedp"
)

func main() {
	certFile := flag.String("cert", "", "PEM certificate the server uses, trusted by its public key")
	n := flag.Int("n", 7, "loads per protocol")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	if *certFile == "" || flag.NArg() != 1 {
		log.Fatal("usage: h3paint -cert CERT [-n N] [-chromium PATH] URL")
	}
	page := flag.Arg(0)
	u, err := url.Parse(page)
	if err != nil || u.Scheme != "https" {
		log.Fatalf("%q: want an https URL", page)
	}
	cert, err := browser.ReadCert(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	spki := browser.SPKI(cert)
	hinted, err := hintedAssets(cert, u)
	if err != nil {
		log.Fatal(err)
	}
	if len(hinted) == 0 {
		log.Fatalf("%s: no 103 with rel=preload links: nothing to check early hints against", page)
	}
	times := map[string][]float64{}
	missed := map[string]int{}
	for i := range *n {
		order := []string{"h2", "h3"}
		if i%2 == 1 {
			order = []string{"h3", "h2"}
		}
		for _, proto := range order {
			l, err := load(*chromium, spki, u, proto)
			if err != nil {
				log.Fatalf("%s load %d: %v", proto, i+1, err)
			}
			if l.Protocol != proto {
				log.Fatalf("%s load %d: the page came over %q", proto, i+1, l.Protocol)
			}
			var notHinted []string
			for _, a := range hinted {
				if e, ok := l.Resources[a]; !ok || e.InitiatorType != "early-hints" || e.Protocol != proto {
					notHinted = append(notHinted, fmt.Sprintf("%s (%s over %q)", a, e.InitiatorType, e.Protocol))
				}
			}
			mark := fmt.Sprintf("%d/%d hinted assets through early hints", len(hinted), len(hinted))
			if len(notHinted) > 0 {
				missed[proto]++
				mark = "NOT through early hints: " + strings.Join(notHinted, ", ")
			}
			fmt.Printf("load %d\t%s\t%.0f ms\t%s\n", i+1, proto, l.FirstPaint, mark)
			times[proto] = append(times[proto], l.FirstPaint)
		}
	}
	h2, h3 := browser.Median(times["h2"]), browser.Median(times["h3"])
	fmt.Printf("median\th2 %.0f ms\th3 %.0f ms\th3/h2 %.2f\t(%d loads each; loads missing early hints: h2 %d, h3 %d)\n",
		h2, h3, h3/h2, *n, missed["h2"], missed["h3"])
	if missed["h2"]+missed["h3"] > 0 {
		os.Exit(1)
	}
}

// hintedAssets asks for u over HTTP/2 and returns, as absolute URLs, the
// targets of the rel=preload links in its 103 responses.
func hintedAssets(cert *x509.Certificate, u *url.URL) ([]string, error) {
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	var links []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			links = append(links, h.Values("Link")...)
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Sec-Fetch-Mode", "navigate") // hints are for navigations
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	var assets []string
	for _, v := range links {
		for l := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(l), ";")
			if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), "rel=preload") {
				continue
			}
			ref, err := u.Parse(strings.Trim(target, "<>"))
			if err != nil {
				return nil, fmt.Errorf("%s: Link %q: %v", u, l, err)
			}
			assets = append(assets, ref.String())
		}
	}
	return assets, nil
}

// timing is a Resource Timing entry.
type timing struct {
	Name          string `json:"name"`
	InitiatorType string `json:"initiatorType"`
	Protocol      string `json:"nextHopProtocol"`
}

// result is what one load measured.
type result struct {
	FirstPaint float64           // ms from the navigation's start
	Protocol   string            // the navigation's nextHopProtocol
	Resources  map[string]timing // by URL
}

// load opens u in a new browser with a new profile, over proto ("h2" or
// "h3"), waits for the first paint and the load event, and returns what it
// measured.
func load(chromium, spki string, u *url.URL, proto string) (result, error) {
	quic := []chromedp.ExecAllocatorOption{chromedp.Flag("disable-quic", true)}
	if proto == "h3" {
		quic = []chromedp.ExecAllocatorOption{chromedp.Flag("enable-quic", true), chromedp.Flag("origin-to-force-quic-on", u.Host)}
	}
	ctx, done, err := browser.Open(chromium, spki, u.String(), 0, quic...)
	if err != nil {
		return result{}, err
	}
	defer done()
	type state struct {
		FirstPaint float64  `json:"fp"`
		Complete   bool     `json:"complete"`
		Entries    []timing `json:"entries"`
	}
	r, err := browser.Poll(ctx, `({
		fp: (performance.getEntriesByName('first-paint')[0] || {startTime: -1}).startTime,
		complete: document.readyState == 'complete',
		entries: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e =>
			({name: e.entryType == 'navigation' ? 'navigation' : e.name, initiatorType: e.initiatorType, nextHopProtocol: e.nextHopProtocol})),
	})`, func(r state) bool { return r.FirstPaint >= 0 && r.Complete })
	if err != nil {
		return result{}, err
	}
	res := result{FirstPaint: r.FirstPaint, Resources: map[string]timing{}}
	for _, e := range r.Entries {
		if e.Name == "navigation" {
			res.Protocol = e.Protocol
		}
		res.Resources[e.Name] = e
	}
	return res, nil
}
