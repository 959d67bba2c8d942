// Command paint measures Chromium's first paint of pages from several
// servers: each load in a fresh browser with a fresh profile (nothing
// cached, no connection kept), the servers alternated load by load, and
// prints each load and the median per server.
//
//	paint -cert cert.pem -n 7 herald=https://127.0.0.1:28544/ nginx=https://127.0.0.1:28545/
//
// The certificate's key is trusted by its SPKI hash
// (--ignore-certificate-errors-spki-list), which Chromium treats as a
// trusted certificate: it uses 103 Early Hints over it.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	certFile := flag.String("cert", "", "PEM certificate the servers use, trusted by its public key")
	n := flag.Int("n", 7, "loads per server")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	if *certFile == "" || flag.NArg() == 0 {
		log.Fatal("usage: paint -cert CERT [-n N] NAME=URL...")
	}
	spki, err := spkiHash(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	type target struct{ name, url string }
	var targets []target
	for _, a := range flag.Args() {
		name, url, ok := strings.Cut(a, "=")
		if !ok {
			log.Fatalf("%q: want NAME=URL", a)
		}
		targets = append(targets, target{name, url})
	}
	times := map[string][]float64{}
	for i := range *n {
		for j := range targets {
			t := targets[(i+j)%len(targets)] // the order rotates each round
			ms, err := firstPaint(*chromium, spki, t.url)
			if err != nil {
				log.Fatalf("%s: %v", t.name, err)
			}
			fmt.Printf("load %d\t%s\t%.0f ms\n", i+1, t.name, ms)
			times[t.name] = append(times[t.name], ms)
		}
	}
	base := median(times[targets[0].name])
	for _, t := range targets {
		m := median(times[t.name])
		fmt.Printf("median\t%s\t%.0f ms\t%.2fx %s\n", t.name, m, m/base, targets[0].name)
	}
}

func spkiHash(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return "", fmt.Errorf("%s: no PEM block", file)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// firstPaint loads url in a new browser with a new profile and returns
// the first-paint time of the page, in ms from the navigation's start.
func firstPaint(chromium, spki, url string) (float64, error) {
	profile, err := os.MkdirTemp("", "paint-profile-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(profile),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil { // the browser is up
		return 0, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, err
	}
	for {
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName('first-paint')[0] || {startTime: -1}).startTime`))
		if err != nil {
			return 0, err
		}
		if ms >= 0 {
			return ms, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
