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
//
// Where the time goes: -timing FILE keeps each load's Navigation and
// Resource Timing entries (which assets came from early hints, when each
// was asked for and arrived, which blocked rendering) and prints the median
// of each step of a load (the 103, the page, the render-blocking assets,
// DOMContentLoaded, the paint); -netlog DIR keeps Chromium's net log of each
// load (each HTTP/2 frame sent and received, for the order of the bytes).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"herald/scripts/bench/browser"

	"github.com/chromedp/chromedp"
)

func main() {
	certFile := flag.String("cert", "", "PEM certificate the servers use, trusted by its public key")
	n := flag.Int("n", 7, "loads per server")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	timing := flag.String("timing", "", "append each load's Navigation and Resource Timing to this file, a JSON object a line, and print the median time of each step of a load")
	netlog := flag.String("netlog", "", "write each load's Chromium net log into this folder (NAME-LOAD.json)")
	settle := flag.Duration("settle", 0, "wait this long between the browser's start and the load")
	flag.Parse()
	if *certFile == "" || flag.NArg() == 0 {
		log.Fatal("usage: paint -cert CERT [-n N] NAME=URL...")
	}
	cert, err := browser.ReadCert(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	spki := browser.SPKI(cert)
	type target struct{ name, url string }
	var targets []target
	for _, a := range flag.Args() {
		name, url, ok := strings.Cut(a, "=")
		if !ok {
			log.Fatalf("%q: want NAME=URL", a)
		}
		targets = append(targets, target{name, url})
	}
	var timingOut *os.File
	if *timing != "" {
		if timingOut, err = os.OpenFile(*timing, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			log.Fatal(err)
		}
		defer timingOut.Close()
	}
	times := map[string][]float64{}
	steps := map[string][][]float64{} // per server, the steps of each load (with -timing)
	for i := range *n {
		for j := range targets {
			t := targets[(i+j)%len(targets)] // the order rotates each round
			var logFile string
			if *netlog != "" {
				logFile = filepath.Join(*netlog, fmt.Sprintf("%s-%d.json", t.name, i+1))
			}
			ms, entries, err := firstPaint(*chromium, spki, t.url, logFile, *settle, timingOut != nil)
			if err != nil {
				log.Fatalf("%s: %v", t.name, err)
			}
			if timingOut != nil {
				fmt.Fprintf(timingOut, "{\"server\":%q,\"load\":%d,\"paint\":%.1f,\"entries\":%s}\n", t.name, i+1, ms, entries)
				st, err := loadSteps(entries)
				if err != nil {
					log.Fatalf("%s: %v", t.name, err)
				}
				steps[t.name] = append(steps[t.name], append(st, ms))
			}
			fmt.Printf("load %d\t%s\t%.0f ms\n", i+1, t.name, ms)
			times[t.name] = append(times[t.name], ms)
		}
	}
	base := browser.Median(times[targets[0].name])
	for _, t := range targets {
		m := browser.Median(times[t.name])
		fmt.Printf("median\t%s\t%.0f ms\t%.2fx %s\n", t.name, m, m/base, targets[0].name)
	}
	for _, t := range targets {
		if loads := steps[t.name]; len(loads) > 0 {
			fmt.Printf("steps\t%s\t", t.name)
			for k, name := range stepNames {
				col := make([]float64, len(loads))
				for i, l := range loads {
					col[i] = l[k]
				}
				fmt.Printf(" %s %.0f", name, browser.Median(col))
			}
			fmt.Println(" (medians, ms)")
		}
	}
}

// stepNames are the steps of a load that -timing reports, in ms from the
// navigation's start: the 103 (0 without one), the page's first and last
// byte, the first request of a render-blocking asset, the first byte of
// one, the last byte of the last one, DOMContentLoaded and the first paint.
var stepNames = []string{"103", "html", "html-end", "asset-req", "asset", "assets-end", "dcl", "paint"}

// loadSteps reads the steps of stepNames but the paint from a load's
// performance entries (entriesJS).
func loadSteps(entries string) ([]float64, error) {
	var es []struct {
		EntryType            string  `json:"entryType"`
		RenderBlockingStatus string  `json:"renderBlockingStatus"`
		FirstInterim         float64 `json:"firstInterimResponseStart"`
		RequestStart         float64 `json:"requestStart"`
		ResponseStart        float64 `json:"responseStart"`
		ResponseEnd          float64 `json:"responseEnd"`
		DCL                  float64 `json:"domContentLoadedEventStart"`
	}
	if err := json.Unmarshal([]byte(entries), &es); err != nil {
		return nil, fmt.Errorf("performance entries: %v", err)
	}
	st := make([]float64, len(stepNames)-1)
	st[3], st[4] = -1, -1
	for _, e := range es {
		switch {
		case e.EntryType == "navigation":
			st[0], st[1], st[2], st[6] = e.FirstInterim, e.ResponseStart, e.ResponseEnd, e.DCL
		case e.EntryType == "resource" && e.RenderBlockingStatus == "blocking":
			if st[3] < 0 || e.RequestStart < st[3] {
				st[3] = e.RequestStart
			}
			if st[4] < 0 || e.ResponseStart < st[4] {
				st[4] = e.ResponseStart
			}
			st[5] = max(st[5], e.ResponseEnd)
		}
	}
	return st, nil
}

// entriesJS is the page's Navigation Timing, Resource Timing and paint
// entries, as JSON, once the page has loaded (null before).
const entriesJS = `document.readyState != 'complete' ? null :
	JSON.stringify(performance.getEntries().map(e => e.toJSON ? e.toJSON() : e))`

// firstPaint loads url in a new browser with a new profile and returns
// the first-paint time of the page, in ms from the navigation's start, and
// with timing, the page's performance entries once it has loaded (JSON).
// With netlog set, Chromium writes its net log to that file (the frames
// of each HTTP/2 stream, when each request went out).
func firstPaint(chromium, spki, url, netlog string, settle time.Duration, timing bool) (float64, string, error) {
	extra := []chromedp.ExecAllocatorOption{chromedp.Flag("disable-quic", true)}
	if netlog != "" {
		extra = append(extra, chromedp.Flag("log-net-log", netlog))
	}
	ctx, done, err := browser.Open(chromium, spki, url, settle, extra...)
	if err != nil {
		return 0, "", err
	}
	defer done()
	ms, err := browser.Poll(ctx, `(performance.getEntriesByName('first-paint')[0] || {startTime: -1}).startTime`,
		func(ms float64) bool { return ms >= 0 })
	if err != nil || !timing {
		return ms, "", err
	}
	entries, err := browser.Poll(ctx, entriesJS, func(s string) bool { return s != "" })
	return ms, entries, err
}
