// Package browser is what the first-paint benchmarks (cmd/paint,
// cmd/h3paint) share: a headless Chromium in a fresh profile that trusts
// the bench certificate, a wait for what a page reports, and the median of
// the loads.
package browser

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"
)

// ReadCert reads the first certificate of a PEM file.
func ReadCert(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM block", file)
	}
	return x509.ParseCertificate(b.Bytes)
}

// SPKI is the hash of cert's public key that Chromium's
// --ignore-certificate-errors-spki-list takes: with it, Chromium treats
// the certificate as trusted, and uses 103 Early Hints over it.
func SPKI(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Open starts chromium in a new profile (nothing cached, no connection
// kept) that trusts the key spki names, with the options of extra, and
// navigates to url once the browser is up and settle has passed (the work
// of its start-up, which goes on after its first page, then competes less
// with the load). ctx ends after 60 s; done ends the browser and removes
// the profile.
func Open(chromium, spki, url string, settle time.Duration, extra ...chromedp.ExecAllocatorOption) (ctx context.Context, done func(), err error) {
	profile, err := os.MkdirTemp("", "paint-profile-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(profile),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	done = func() {
		cancel()
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil { // the browser is up
		done()
		return nil, nil, err
	}
	time.Sleep(settle)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		done()
		return nil, nil, err
	}
	return ctx, done, nil
}

// Poll evaluates js in the page of ctx every 100 ms until ready holds for
// its value, and returns that value.
func Poll[T any](ctx context.Context, js string, ready func(T) bool) (T, error) {
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
		if err != nil || ready(v) {
			return v, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Median is the median of xs; 0 when there is none.
func Median(xs []float64) float64 {
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
