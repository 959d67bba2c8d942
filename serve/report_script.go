package serve

import "strconv"

// reportSnippet is added before </body> of pages when the report is on.
// Once the page has loaded and its fonts are ready (and half a second
// more, for what loads late), it POSTs to the report what the browser did:
// the page's same-origin Resource Timing entries (initiatorType is
// "early-hints" for what the 103 brought; renderBlockingStatus says what
// held the first paint), and the files the document uses, so that a hint
// the page never used shows (Chromium's "preloaded but not used" warning
// is for the console only): its stylesheets with their imports, scripts,
// images and the background images of the first elements, and the sources
// of the @font-face rules whose face loaded (matched by family, weight and
// style). The report's own paths are left out.
var reportSnippet = []byte(`<script>/* herald report */(function () {
if (!window.fetch || !window.URL || !window.performance || !performance.getEntriesByType) return;
var max = ` + strconv.Itoa(beaconMaxResources) + `;
function same(href, base) {
	try {
		var u = new URL(href, base || location.href);
		return u.origin === location.origin ? u.pathname + u.search : "";
	} catch (err) { return ""; }
}
function own(p) { return p.indexOf(` + jsString(ReportPath) + `) === 0 || p.indexOf("/.herald/") === 0; }
function norm(s) { return String(s || "").replace(/["']/g, "").trim().toLowerCase(); }
function weight(w) { w = norm(w) || "400"; return w === "normal" ? "400" : w === "bold" ? "700" : w; }
function key(family, w, style) { return norm(family) + "|" + weight(w) + "|" + (norm(style) || "normal"); }
function send() {
	var nav = performance.getEntriesByType("navigation")[0] || {};
	var resources = [];
	performance.getEntriesByType("resource").forEach(function (e) {
		var p = same(e.name);
		if (!p || own(p) || resources.length >= max) return;
		resources.push({name: p, initiator: String(e.initiatorType || ""),
			blocking: String(e.renderBlockingStatus || ""),
			transfer: Math.round(e.transferSize || 0), encoded: Math.round(e.encodedBodySize || 0)});
	});
	var used = {}, faces = [];
	function use(href, base) { var p = same(href, base); if (p) used[p] = true; }
	function sheet(s) {
		if (s.href) use(s.href);
		var rules;
		try { rules = s.cssRules; } catch (err) { return; }
		for (var i = 0; i < rules.length; i++) {
			var r = rules[i];
			if (r.styleSheet) sheet(r.styleSheet);
			else if (window.CSSFontFaceRule && r instanceof CSSFontFaceRule) faces.push({style: r.style, base: s.href || location.href});
		}
	}
	for (var i = 0; i < document.styleSheets.length; i++) sheet(document.styleSheets[i]);
	Array.prototype.forEach.call(document.scripts, function (s) { if (s.src) use(s.src); });
	Array.prototype.forEach.call(document.images, function (img) { if (img.currentSrc) use(img.currentSrc); });
	var urls = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)/g, m;
	Array.prototype.slice.call(document.body ? document.body.querySelectorAll("*") : [], 0, 40).forEach(function (el) {
		var bg = getComputedStyle(el).backgroundImage || "";
		while ((m = urls.exec(bg))) use(m[1] || m[2] || m[3]);
	});
	if (document.fonts) {
		var loaded = {};
		document.fonts.forEach(function (f) { if (f.status === "loaded") loaded[key(f.family, f.weight, f.style)] = true; });
		faces.forEach(function (f) {
			if (!loaded[key(f.style.getPropertyValue("font-family"), f.style.getPropertyValue("font-weight"), f.style.getPropertyValue("font-style"))]) return;
			var src = f.style.getPropertyValue("src");
			while ((m = urls.exec(src))) use(m[1] || m[2] || m[3], f.base);
		});
	}
	var body = JSON.stringify({page: location.pathname, protocol: String(nav.nextHopProtocol || ""),
		resources: resources, used: Object.keys(used).filter(function (p) { return !own(p); }).slice(0, max)});
	fetch(` + jsString(reportBeaconPath) + `, {method: "POST", headers: {"Content-Type": "application/json"},
		body: body, keepalive: true, credentials: "same-origin"}).then(function (r) {
		window.heraldReport = r.status;
	}, function () { window.heraldReport = "failed"; });
}
function later() {
	var ready = document.fonts ? document.fonts.ready : Promise.resolve();
	ready.then(function () { setTimeout(send, 500); });
}
if (document.readyState === "complete") later(); else addEventListener("load", later);
})();</script>
`)
