// Package metrics counts what herald serves, for Prometheus: requests by
// status and protocol, bytes, pushes, early hint links, cache digest hits,
// the compression cache, watch rebuilds and certificate expiry, with the Go
// runtime and process metrics beside them, in a registry of its own (not
// the global default one), served in the text format by Handler.
//
// It is fed, never imported: serve and watch know nothing of Prometheus.
// A handler reports each request through serve.Options.Observe (the record
// its access log also reads), a watcher each rebuild through its OnChange
// callback (cmd/herald calls Rebuilt), the compression cache is read at
// each scrape (serve.CompressStats), and so are the certificates served
// (Certificates).
//
// Labels are bounded: a site's name (from the configuration), a status
// code, a protocol, a certificate's name; never a path or a host sent by a
// client.
package metrics

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"herald/compress"
	"herald/serve"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where Handler serves the metrics.
const Path = "/metrics"

// Metrics are one process's metrics. Its methods are safe for concurrent
// use.
type Metrics struct {
	reg   *prometheus.Registry
	sites bool // requests carry the label site

	requests                          *prometheus.CounterVec // [site,] code, protocol
	bytes, pushes, hinted, digestHits *prometheus.CounterVec // [site]
	duration                          *prometheus.HistogramVec
	rebuilds                          *prometheus.CounterVec // kind
	rebuildSeconds                    prometheus.Histogram

	certs    atomic.Pointer[func() []Cert]
	compress atomic.Pointer[func() compress.Stats]
}

// New returns the metrics of a process. With sites, the request metrics
// carry a label site, the name of the configured site (herald serve
// --config); without, they have none (one site: herald serve DIR, a bundle).
func New(sites bool) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), sites: sites}
	var siteLabel []string
	if sites {
		siteLabel = []string{"site"}
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "herald", Name: name, Help: help},
			append(siteLabel[:len(siteLabel):len(siteLabel)], labels...))
	}
	m.requests = counter("http_requests_total", "HTTP requests served, by status code and protocol (pushed streams count as requests).", "code", "protocol")
	m.bytes = counter("http_response_bytes_total", "Bytes of response bodies written.")
	m.pushes = counter("pushes_total", "Assets pushed with HTTP/2 server push (PUSH_PROMISE sent).")
	m.hinted = counter("early_hint_links_total", "Links sent in 103 Early Hints responses.")
	m.digestHits = counter("digest_hits_total", "Critical assets not pushed because the client's cache digest cookie says it has them.")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "herald", Name: "http_request_duration_seconds",
		Help: "Time to serve a request, from its headers read to its handler's return.", Buckets: prometheus.DefBuckets}, siteLabel)
	m.rebuilds = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "herald", Name: "watch_rebuilds_total",
		Help: "Manifests put in service by the watcher after files changed: kind update (the changed files) or full (a rebuild)."}, []string{"kind"})
	m.rebuildSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "herald", Name: "watch_rebuild_duration_seconds",
		Help:    "Time from a batch of file changes handed over to its manifest in service.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.reg.MustRegister(m.requests, m.bytes, m.pushes, m.hinted, m.digestHits, m.duration, m.rebuilds, m.rebuildSeconds,
		compressCollector{m}, certCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics are in, for tests and for more
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics at Path in Prometheus' text format (or
// OpenMetrics, when the scraper asks for it), at most 4 scrapes at once.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry: m.reg, MaxRequestsInFlight: 4, EnableOpenMetrics: true,
	}))
	return mux
}

// Observer returns the serve.Options.Observe of a site's handler; site is
// its name, ignored without sites (see New).
func (m *Metrics) Observer(site string) func(*http.Request, serve.Record) {
	var lv []string
	if m.sites {
		lv = []string{site}
	}
	o := &observer{m: m, site: lv,
		bytes: m.bytes.WithLabelValues(lv...), pushes: m.pushes.WithLabelValues(lv...),
		hinted: m.hinted.WithLabelValues(lv...), digestHits: m.digestHits.WithLabelValues(lv...),
		duration: m.duration.WithLabelValues(lv...)}
	o.byCode.Store(&map[codeKey]prometheus.Counter{})
	return o.observe
}

// observer counts one site's requests. The counter of each (status,
// protocol) is looked up once and kept: WithLabelValues on every request
// costs an allocation and a hash of the labels.
type observer struct {
	m                                 *Metrics
	site                              []string // the site's label value, if any
	bytes, pushes, hinted, digestHits prometheus.Counter
	duration                          prometheus.Observer

	byCode atomic.Pointer[map[codeKey]prometheus.Counter] // copied on write, under mu
	mu     sync.Mutex
}

type codeKey struct {
	status int
	proto  string
}

func (o *observer) observe(r *http.Request, rec serve.Record) {
	o.counter(rec.Status, protocol(r)).Inc()
	o.bytes.Add(float64(rec.Bytes))
	if rec.Pushed > 0 {
		o.pushes.Add(float64(rec.Pushed))
	}
	if rec.Hinted > 0 {
		o.hinted.Add(float64(rec.Hinted))
	}
	if rec.DigestHits > 0 {
		o.digestHits.Add(float64(rec.DigestHits))
	}
	o.duration.Observe(rec.Duration.Seconds())
}

func (o *observer) counter(status int, proto string) prometheus.Counter {
	k := codeKey{status, proto}
	if c, ok := (*o.byCode.Load())[k]; ok {
		return c
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.byCode.Load()
	if c, ok := old[k]; ok {
		return c
	}
	c := o.m.requests.WithLabelValues(append(o.site[:len(o.site):len(o.site)], strconv.Itoa(status), proto)...)
	next := make(map[codeKey]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[k] = c
	o.byCode.Store(&next)
	return c
}

// protocol is the request's protocol as the access log writes it, from a
// fixed list: a client cannot make a label of its own.
func protocol(r *http.Request) string {
	switch {
	case r.ProtoMajor == 1 && r.ProtoMinor == 1:
		return "HTTP/1.1"
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return "HTTP/1.0"
	case r.ProtoMajor == 2:
		return "HTTP/2.0"
	case r.ProtoMajor == 3:
		return "HTTP/3.0"
	}
	return "other"
}

// Rebuilt counts a manifest the watcher put in service (watch.Change's
// Full and Took).
func (m *Metrics) Rebuilt(full bool, took time.Duration) {
	kind := "update"
	if full {
		kind = "full"
	}
	m.rebuilds.WithLabelValues(kind).Inc()
	m.rebuildSeconds.Observe(took.Seconds())
}

// compressCollector reads the compression cache's counters at each scrape.
type compressCollector struct{ m *Metrics }

var (
	compressHits = prometheus.NewDesc("herald_compress_cache_hits_total",
		"Compressed forms a request found made: in memory or on disk (tier).", []string{"tier"}, nil)
	compressMisses = prometheus.NewDesc("herald_compress_cache_misses_total",
		"Compressed forms a request found not made: compressed for it, or waited for a compression under way.", nil, nil)
	compressBusy = prometheus.NewDesc("herald_compress_cache_busy_total",
		"Compressed forms a request found not made and went without, the memory of compressions being taken: the file went out as it is.", nil, nil)
	compressFallback = prometheus.NewDesc("herald_compress_cache_fallback_total",
		"Compressed forms a request found not made, the memory of compressions being taken, and for which a form of another coding it accepts, already made, went out.", nil, nil)
	compressBest = prometheus.NewDesc("herald_compress_best_made_total",
		"Brotli forms at best quality (11) the warmer made of critical assets, once requests were quiet.", nil, nil)
	compressBestPending = prometheus.NewDesc("herald_compress_best_pending",
		"Critical assets whose brotli form at best quality the warmer has yet to make or look for.", nil, nil)
	compressBytes = prometheus.NewDesc("herald_compress_cache_memory_bytes",
		"Bytes of compressed forms the cache holds in memory.", nil, nil)
)

func (compressCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- compressHits
	ch <- compressMisses
	ch <- compressBusy
	ch <- compressFallback
	ch <- compressBest
	ch <- compressBestPending
	ch <- compressBytes
}

func (c compressCollector) Collect(ch chan<- prometheus.Metric) {
	var s compress.Stats
	if stats := c.m.compress.Load(); stats != nil {
		s = (*stats)()
	}
	ch <- prometheus.MustNewConstMetric(compressHits, prometheus.CounterValue, float64(s.GetMemory), "memory")
	ch <- prometheus.MustNewConstMetric(compressHits, prometheus.CounterValue, float64(s.GetDisk), "disk")
	ch <- prometheus.MustNewConstMetric(compressMisses, prometheus.CounterValue, float64(s.GetMiss))
	ch <- prometheus.MustNewConstMetric(compressBusy, prometheus.CounterValue, float64(s.GetBusy))
	ch <- prometheus.MustNewConstMetric(compressFallback, prometheus.CounterValue, float64(s.GetFallback))
	ch <- prometheus.MustNewConstMetric(compressBest, prometheus.CounterValue, float64(s.BestMade))
	ch <- prometheus.MustNewConstMetric(compressBestPending, prometheus.GaugeValue, float64(s.BestPending))
	ch <- prometheus.MustNewConstMetric(compressBytes, prometheus.GaugeValue, float64(s.MemoryBytes))
}

// Compression sets what reads the counters of the cache of compressed
// forms the handlers share (compress.Cache.Stats), called at each scrape.
func (m *Metrics) Compression(stats func() compress.Stats) { m.compress.Store(&stats) }

// Cert is a certificate herald serves, under a name: the first of its
// host names.
type Cert struct {
	Name string
	Leaf *x509.Certificate
}

// CertOf is the Cert of a certificate as a tls.Config serves it (its Leaf,
// or its first certificate parsed); ok is false for none.
func CertOf(c *tls.Certificate) (_ Cert, ok bool) {
	if c == nil {
		return Cert{}, false
	}
	leaf := c.Leaf
	if leaf == nil {
		if len(c.Certificate) == 0 {
			return Cert{}, false
		}
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return Cert{}, false
		}
	}
	name := leaf.Subject.CommonName
	switch {
	case len(leaf.DNSNames) > 0:
		name = leaf.DNSNames[0]
	case name == "" && len(leaf.IPAddresses) > 0:
		name = leaf.IPAddresses[0].String()
	}
	return Cert{Name: name, Leaf: leaf}, true
}

// ConfigCerts is the certificate a TLS configuration serves to a client
// asking for serverName: its GetCertificate's answer, or its first
// certificate.
func ConfigCerts(cfg *tls.Config, serverName string) []Cert {
	var c *tls.Certificate
	switch {
	case cfg == nil:
		return nil
	case cfg.GetCertificate != nil:
		c, _ = cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: serverName})
	case len(cfg.Certificates) > 0:
		c = &cfg.Certificates[0]
	}
	if cert, ok := CertOf(c); ok {
		return []Cert{cert}
	}
	return nil
}

// Certificates sets what lists the certificates served, called at each
// scrape: certificates reloaded (SIGHUP, or renewed) are seen as they are
// served. A certificate listed under a name twice counts once, the one
// expiring first.
func (m *Metrics) Certificates(list func() []Cert) { m.certs.Store(&list) }

var certExpiry = prometheus.NewDesc("herald_certificate_expiry_seconds",
	"Seconds until the certificate served under the name expires (its NotAfter); negative once it has.", []string{"name"}, nil)

// certCollector reads the certificates served at each scrape.
type certCollector struct{ m *Metrics }

func (certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- certExpiry }

func (c certCollector) Collect(ch chan<- prometheus.Metric) {
	list := c.m.certs.Load()
	if list == nil {
		return
	}
	first := map[string]time.Time{}
	for _, cert := range (*list)() {
		if t, ok := first[cert.Name]; !ok || cert.Leaf.NotAfter.Before(t) {
			first[cert.Name] = cert.Leaf.NotAfter
		}
	}
	for name, t := range first {
		ch <- prometheus.MustNewConstMetric(certExpiry, prometheus.GaugeValue, time.Until(t).Seconds(), name)
	}
}
