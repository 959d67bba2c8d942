package serve

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"herald/manifest"
)

// LiveReload is a Reloader: the pages it is inserted into open an event
// stream (Server-Sent Events) at ReloadPath, telling which page they show,
// and Notify tells each of them what to do about a change:
//
//   - the page itself changed (or is gone), or a script, font, image or
//     other asset the manifest lists for it: reload;
//   - stylesheets changed: the page swaps those it uses (a <link>, or an
//     @import at any depth) for a fresh copy, without reloading;
//   - other files changed: the page reloads only if it loaded one of them
//     (its Resource Timing entries say), which covers what the manifest
//     does not list, such as images in the body.
//
// Once its stream is open, a page has window.heraldLiveReload set to
// "open". A page whose stream drops reconnects by itself; a hidden tab
// closes its stream and opens it again when shown. When a page connects
// again and finds a new server (it restarted) or changes it missed, it
// reloads.
//
// One goroutine, the hub, owns the set of open streams; streams join and
// leave, and notices arrive, through channels. Close stops the hub, ends
// every stream and waits.
type LiveReload struct {
	log      *slog.Logger
	instance string // tells a restarted server from the one a page knew
	// seq counts the notices; a page that knows the last one it saw can
	// tell, when it connects again, that it missed some. Written by the hub.
	seq  atomic.Int64
	ping time.Duration

	// streams counts the open streams; past maxStreams a new one is
	// refused. A stream ends after lifetime, and the page opens a new one.
	streams    atomic.Int32
	maxStreams int32
	lifetime   time.Duration

	join   chan *tab
	leave  chan *tab
	notice chan notice
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// tab is one open stream: a page in a browser tab.
type tab struct {
	page string // the page's location.pathname, as sent
	send chan message
	// behind is closed by the hub when send is full: the stream ends, and
	// the page, connecting again, finds it missed a change and reloads.
	behind chan struct{}
}

type message struct {
	event string
	data  string
}

type notice struct {
	changed []string
	m       *manifest.Manifest
}

// NewLiveReload starts the hub. Call Close when done.
func NewLiveReload(logger *slog.Logger) *LiveReload {
	if logger == nil {
		logger = slog.Default()
	}
	var id [8]byte
	rand.Read(id[:])
	lr := &LiveReload{log: logger, instance: hex.EncodeToString(id[:]), ping: 25 * time.Second,
		maxStreams: reloadMaxStreams, lifetime: reloadLifetime,
		join: make(chan *tab), leave: make(chan *tab), notice: make(chan notice), done: make(chan struct{})}
	lr.wg.Add(1)
	go lr.hub()
	return lr
}

// Close ends every stream and stops the hub, and waits for them.
func (lr *LiveReload) Close() error {
	lr.once.Do(func() { close(lr.done) })
	lr.wg.Wait()
	return nil
}

// Notify tells every open page what the change of the given URL paths
// ("/a/index.html", as in watch.Change.Paths) means for it; m is the manifest
// now in service. It returns once the hub has the notice.
func (lr *LiveReload) Notify(changed []string, m *manifest.Manifest) {
	if len(changed) == 0 || m == nil {
		return
	}
	select {
	case lr.notice <- notice{changed, m}:
	case <-lr.done:
	}
}

// hub owns the open tabs.
func (lr *LiveReload) hub() {
	defer lr.wg.Done()
	tabs := map[*tab]bool{}
	for {
		select {
		case <-lr.done:
			return
		case t := <-lr.join:
			tabs[t] = true
		case t := <-lr.leave:
			delete(tabs, t)
		case n := <-lr.notice:
			seq := lr.seq.Add(1)
			for t := range tabs {
				msg := decide(t.page, n.changed, n.m, seq)
				select {
				case t.send <- msg:
				default:
					// The stream is not being read fast enough: rather than
					// drop this change (a reload, perhaps), end the stream.
					// The page connects again, sees that it missed changes,
					// and reloads.
					lr.log.Warn("live reload: a page is not reading its events; its stream is closed", "page", t.page)
					close(t.behind)
					delete(tabs, t)
				}
			}
		}
	}
}

// decide is what a tab showing page must do about change number seq:
// reload, an update (stylesheets to swap, assets to check), or nothing but
// note seq.
func decide(page string, changed []string, m *manifest.Manifest, seq int64) message {
	p := pageFile(page, m)
	set := make(map[string]bool, len(changed))
	u := update{CSS: []string{}, Assets: []string{}, Seq: seq}
	for _, c := range changed {
		set[c] = true
		switch {
		case manifest.IsPage(c):
			// another page: not this tab's business
		case isCSS(c):
			u.CSS = append(u.CSS, c)
		default:
			u.Assets = append(u.Assets, c)
		}
	}
	reload := set[p]
	if pg := m.Pages[p]; pg != nil && !reload {
		for _, a := range slices.Concat(pg.Assets, pg.Deferred) {
			if f := assetFile(a.Path); set[f] && !isCSS(f) {
				reload = true
				break
			}
		}
	}
	switch {
	case reload:
		// The browser reloads a page's scripts and images from its cache
		// while they are fresh: the page fetches the changed ones first.
		data, _ := json.Marshal(refresh{Refresh: append(slices.Clip(u.CSS), u.Assets...), Seq: seq})
		return message{event: "reload", data: string(data)}
	case len(u.CSS) == 0 && len(u.Assets) == 0:
		return message{event: "seq", data: strconv.FormatInt(seq, 10)}
	}
	data, _ := json.Marshal(u)
	return message{event: "update", data: string(data)}
}

// refresh is the data of a "reload" event: the files to fetch again,
// bypassing the browser's cache, before reloading.
type refresh struct {
	Refresh []string `json:"refresh"`
	Seq     int64    `json:"seq"`
}

// update is the data of an "update" event.
type update struct {
	CSS    []string `json:"css"`
	Assets []string `json:"assets"`
	Seq    int64    `json:"seq"`
}

// pageFile maps the path a tab shows (escaped, as in location.pathname) to
// the manifest's page key: "/docs/" is "/docs/index.html", and a path
// served without its ".html" or its "/index.html" is found too.
func pageFile(page string, m *manifest.Manifest) string {
	p, err := url.PathUnescape(page)
	if err != nil {
		p = page
	}
	dir := strings.HasSuffix(p, "/")
	p = path.Clean("/" + p)
	if dir || p == "/" {
		return strings.TrimSuffix(p, "/") + "/index.html"
	}
	if _, ok := m.Files[p]; ok {
		return p
	}
	for _, alt := range []string{p + ".html", p + "/index.html"} {
		if _, ok := m.Files[alt]; ok {
			return alt
		}
	}
	return p
}

// assetFile is the URL path of the file an asset's request path names.
func assetFile(request string) string {
	if i := strings.IndexByte(request, '?'); i >= 0 {
		request = request[:i]
	}
	p, err := url.PathUnescape(request)
	if err != nil {
		return request
	}
	return p
}

func isCSS(p string) bool { return strings.EqualFold(path.Ext(p), ".css") }

// Bounds of the event streams. A developer's browser holds one stream per
// visible tab (hidden tabs close theirs), so 256 is ample; each costs about
// 25 KB, and 5,000 were all accepted before. A stream ends after
// reloadLifetime: the page's EventSource opens a new one a second later
// (its retry), and reloads only if it missed a change meanwhile. An event
// that the client does not take within reloadWriteTimeout ends the stream.
const (
	reloadMaxStreams   = 256
	reloadLifetime     = 10 * time.Minute
	reloadWriteTimeout = 10 * time.Second
)

// ServeHTTP serves the event stream of one page: GET ReloadPath?page=PATH.
func (lr *LiveReload) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ReloadPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if lr.streams.Add(1) > lr.maxStreams {
		lr.streams.Add(-1)
		http.Error(w, "503 too many live reload streams are open", http.StatusServiceUnavailable)
		return
	}
	defer lr.streams.Add(-1)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // the stream waits between events: each write sets its own deadline
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy in front must not hold the events back

	t := &tab{page: r.URL.Query().Get("page"), send: make(chan message, 8), behind: make(chan struct{})}
	select {
	case lr.join <- t:
	case <-lr.done:
		http.Error(w, "live reload stopped", http.StatusServiceUnavailable)
		return
	}
	defer func() {
		select {
		case lr.leave <- t:
		case <-lr.done:
		}
	}()
	// The hub knows the tab now: what changes from here on reaches it.
	hello, _ := json.Marshal(struct {
		Instance string `json:"instance"`
		Seq      int64  `json:"seq"`
	}{lr.instance, lr.seq.Load()})
	if !lr.write(w, rc, "retry: 1000\n", message{"hello", string(hello)}) {
		return
	}
	ping := time.NewTicker(lr.ping)
	defer ping.Stop()
	end := time.NewTimer(lr.lifetime)
	defer end.Stop()
	for {
		select {
		case <-end.C:
			return
		case msg := <-t.send:
			if !lr.write(w, rc, "", msg) {
				return
			}
		case <-ping.C:
			if !lr.write(w, rc, ": ping\n\n", message{}) {
				return
			}
		case <-t.behind:
			return
		case <-r.Context().Done():
			return
		case <-lr.done:
			return
		}
	}
}

// write sends raw text, then msg if it has an event, and flushes.
func (lr *LiveReload) write(w http.ResponseWriter, rc *http.ResponseController, raw string, msg message) bool {
	if msg.event != "" {
		raw += fmt.Sprintf("event: %s\ndata: %s\n\n", msg.event, msg.data)
	}
	rc.SetWriteDeadline(time.Now().Add(reloadWriteTimeout)) // not all writers support it
	if _, err := w.Write([]byte(raw)); err != nil {
		return false
	}
	if rc.Flush() != nil {
		return false
	}
	rc.SetWriteDeadline(time.Time{})
	return true
}

// Snippet returns the script inserted before </body> of HTML responses.
func (lr *LiveReload) Snippet() []byte { return snippet }

var snippet = []byte(`<script>/* herald live reload */(function () {
if (!window.EventSource || !window.URL) return;
// instance and seq are the server and the last change this page knows of:
// on connecting again, a page that missed changes reloads. A hidden tab
// closes its stream (browsers allow six connections per server over
// HTTP/1.1, and every open tab would hold one) and opens it when shown.
var instance = null, seq = null, src = null;
function connect() {
	src = new EventSource(` + jsString(ReloadPath) + ` + "?page=" + encodeURIComponent(location.pathname));
	src.addEventListener("hello", function (e) {
		var h = JSON.parse(e.data);
		if (instance !== null && (instance !== h.instance || seq !== h.seq)) { location.reload(); return; }
		instance = h.instance;
		seq = h.seq;
		window.heraldLiveReload = "open";
	});
	src.addEventListener("seq", function (e) { seq = JSON.parse(e.data); });
	src.addEventListener("reload", function (e) {
		var r = JSON.parse(e.data);
		seq = r.seq;
		reload(r.refresh);
	});
	src.addEventListener("update", function (e) {
		var u = JSON.parse(e.data);
		seq = u.seq;
		var loaded = {};
		performance.getEntriesByType("resource").forEach(function (r) { loaded[pathOf(r.name)] = true; });
		for (var i = 0; i < u.assets.length; i++) {
			if (loaded[u.assets[i]]) { reload(u.css.concat(u.assets)); return; }
		}
		if (u.css.length) swapStyles(u.css);
	});
}
connect();
document.addEventListener("visibilitychange", function () {
	if (document.hidden) {
		src.close();
		window.heraldLiveReload = "closed";
	} else if (src.readyState === EventSource.CLOSED) {
		connect();
	}
});
// reload fetches the changed files the page loaded again, past the
// browser's cache (which a reload would otherwise use for them while they
// are fresh), then reloads the page.
function reload(paths) {
	var changed = {}, urls = [];
	paths.forEach(function (p) { changed[p] = true; });
	performance.getEntriesByType("resource").forEach(function (r) {
		if (changed[pathOf(r.name)] && urls.indexOf(r.name) < 0) urls.push(r.name);
	});
	var fetches = urls.map(function (u) { return fetch(u, {cache: "reload"}).catch(function () {}); });
	var bound = new Promise(function (done) { setTimeout(done, 3000); });
	Promise.race([Promise.all(fetches), bound]).then(function () { location.reload(); });
}
function pathOf(href, base) {
	try {
		var x = new URL(href, base || location.href);
		return x.origin === location.origin ? decodeURIComponent(x.pathname) : "";
	} catch (err) { return ""; }
}
// busted maps each stylesheet swapped so far to the stamp of its latest
// copy: a sheet loaded later that imports it gets that copy too, not the
// old one the browser may still have cached.
var busted = {};
function fresh(href, base, stamp) {
	var x = new URL(href, base || location.href);
	x.searchParams.set("herald-reload", stamp);
	return x.href;
}
function stampOf(href, base) {
	try { return new URL(href, base || location.href).searchParams.get("herald-reload"); } catch (err) { return null; }
}
function swapStyles(paths) {
	var stamp = String(Date.now());
	paths.forEach(function (p) { busted[p] = stamp; });
	document.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
		var p = pathOf(link.href);
		if (busted[p] === stamp) {
			// The new copy goes in beside the old one, which leaves once the
			// new one has loaded: the page never shows unstyled.
			var next = link.cloneNode();
			next.href = fresh(link.href, null, stamp);
			next.onload = function () { link.remove(); if (next.sheet) swapImports(next.sheet); };
			next.onerror = function () { link.remove(); };
			link.after(next);
		} else if (link.sheet) {
			swapImports(link.sheet);
		}
	});
	document.querySelectorAll("style").forEach(function (s) { if (s.sheet) swapImports(s.sheet); });
}
// swapImports replaces each @import (at any depth) of a swapped stylesheet
// that does not load its latest copy.
function swapImports(sheet) {
	var rules;
	try { rules = sheet.cssRules; } catch (err) { return; }
	var base = sheet.href || location.href;
	for (var i = 0; i < rules.length; i++) {
		var r = rules[i];
		if (!(r instanceof CSSImportRule)) continue;
		var want = busted[pathOf(r.href, base)];
		if (want && stampOf(r.href, base) !== want) {
			var media = r.media && r.media.mediaText;
			sheet.deleteRule(i);
			sheet.insertRule('@import url("' + fresh(r.href, base, want) + '")' + (media ? " " + media : "") + ";", i);
		} else if (r.styleSheet) {
			swapImports(r.styleSheet);
		}
	}
}
})();</script>
`)

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
