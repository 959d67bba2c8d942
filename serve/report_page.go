package serve

import (
	"fmt"
	"html/template"
	"strings"
)

// pageView is a PageReport ready for its HTML table.
type pageView struct {
	*PageReport
	Max  int64  // the largest asset: the full width of a bar
	Note string // what herald sent with the last request
}

func newPageView(r *PageReport) pageView {
	v := pageView{PageReport: r, Note: deliveryNote(r.Served)}
	for _, a := range r.Assets {
		v.Max = max(v.Max, a.Size)
	}
	return v
}

// deliveryNote says what the last request of a page got, and what to do
// when that was no early hints because of the protocol.
func deliveryNote(d *Delivery) string {
	switch {
	case d == nil:
		return "Not requested since herald started."
	case d.Hints > 0:
		return fmt.Sprintf("Last served over %s: 103 Early Hints with %d Link values, then the page with %d; %d pushed.",
			d.Protocol, d.Hints, d.Preload, d.Pushed)
	case strings.HasPrefix(d.Protocol, "HTTP/1"):
		return fmt.Sprintf("Last served over %s: the page's Link: rel=preload header with %d values, no 103: "+
			"browsers take early hints over HTTP/2 and HTTP/3 only (herald serve --tls).", d.Protocol, d.Preload)
	}
	return fmt.Sprintf("Last served over %s: no 103 (hints off, or not a navigation); Link header with %d values; %d pushed.",
		d.Protocol, d.Preload, d.Pushed)
}

// reportTemplates are the report's pages: plain HTML with its own style,
// nothing loaded from anywhere.
var reportTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"size": formatSize,
	"pct": func(n, of int64) int64 {
		if of <= 0 || n <= 0 {
			return 0
		}
		return max(1, n*100/of)
	},
	"join": strings.Join,
}).Parse(`{{define "head"}}<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · herald</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f5f5f5; position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bars { width: 14em; }
.bar { display: block; height: .55em; background: #4a7fd6; margin: .15em 0; }
.bar.c { background: #9bbcf0; }
.chan { display: inline-block; padding: 0 .4em; margin-right: .2em; border-radius: .3em; background: #eef; font-size: .9em; }
.early-hints { color: #176b2c; font-weight: 600; }
.fetched { color: #555; }
.unused, .missed { color: #b3261e; font-weight: 600; }
.not-fetched { color: #8a6d00; }
.note { background: #fff8e0; padding: .5em .8em; border-left: 3px solid #e0b400; }
code, .path { font-family: ui-monospace, monospace; font-size: .95em; }
h1.path { font-size: 1.4em; }
small { color: #666; }
</style>
{{end}}

{{define "index"}}{{template "head" "what each page gets"}}
<h1>What each page gets</h1>
<p>Channels on: {{.Options}}. Pages a browser loaded come first; open a page for its assets, sizes and what the browser did with each.</p>
<table>
<thead><tr><th>page<th>assets<th class="bars">critical bytes<th>loads<th>through 103<th>unused<th>missed<th>last served over</tr></thead>
<tbody>
{{range .Pages}}<tr><td class="path"><a href="page?path={{.Page}}">{{.Page}}</a>
<td class="n">{{.Assets}}<td><span class="bar" style="width: {{pct .Bytes $.MaxBytes}}%"></span><small>{{size .Bytes}}</small>
{{$n := .Assets}}{{with .Browser}}<td class="n">{{.Loads}}<td class="n{{if .EarlyHints}} early-hints{{end}}">{{.EarlyHints}} of {{$n}}
<td class="n{{if .Unused}} unused{{end}}">{{.Unused}}<td class="n{{if .Missed}} missed{{end}}">{{.Missed}}
{{else}}<td><td><td><td>{{end}}<td>{{.Protocol}}</tr>
{{end}}</tbody>
</table>
{{end}}

{{define "page"}}{{template "head" .Page}}
<h1 class="path">{{.Page}}</h1>
<p><a href="./">all pages</a> · <a href="{{.Page}}">open the page</a> · <a href="page?path={{.Page}}&amp;format=json">JSON</a></p>
<p class="note">{{.Note}}</p>
<p>{{len .Assets}} assets: {{size .Bytes}} as stored, {{size .Br}} in br, {{size .Gzip}} in gzip.
{{with .Browser}}The latest of {{.Loads}} loads reported ({{.Protocol}}): <span class="{{if .EarlyHints}}early-hints{{end}}">{{.EarlyHints}} taken through early hints</span>,
<span class="{{if .Unused}}unused{{end}}">{{.Unused}} unused</span>, {{.NotFetched}} not fetched,
<span class="{{if .Missed}}missed{{end}}">{{len .Missed}} render-blocking and not hinted</span>.
{{else}}No load reported yet: open the page, which reports what the browser did once it has loaded, and reload this one.{{end}}</p>
<table>
<thead><tr><th>#<th>asset<th>why<th>as<th class="bars">size: stored, br<th>stored<th>br<th>gzip<th>channels<th>browser<th>transfer<th>verdict</tr></thead>
<tbody>
{{range $i, $a := .Assets}}<tr><td class="n">{{$i}}<td class="path">{{.Path}}<td>{{.Why}}<td>{{.As}}
<td><span class="bar" style="width: {{pct .Size $.Max}}%"></span>{{if ge .Br 0}}<span class="bar c" style="width: {{pct .Br $.Max}}%"></span>{{end}}
<td class="n">{{size .Size}}<td class="n">{{if ge .Br 0}}{{size .Br}}{{else}}—{{end}}<td class="n">{{if ge .Gzip 0}}{{size .Gzip}}{{else}}—{{end}}
<td>{{range .Channels}}<span class="chan">{{.}}</span>{{end}}
<td>{{with .Fetched}}{{.Initiator}}{{if .Blocking}}, {{.Blocking}}{{end}}{{end}}
<td class="n">{{with .Fetched}}{{size .Transfer}}{{end}}
<td class="{{.Verdict}}">{{.Verdict}}{{if and $.Browser (gt $.Browser.Kept 1)}} <small>103 in {{.EarlyHints}} of {{$.Browser.Kept}}</small>{{end}}</tr>
{{else}}<tr><td colspan="12">No critical assets: nothing to send early.</tr>
{{end}}</tbody>
</table>
{{with .Browser}}{{if .Missed}}<h2>Render-blocking, not hinted</h2>
<table><thead><tr><th>resource<th>initiator<th>transfer</tr></thead><tbody>
{{range .Missed}}<tr><td class="path missed">{{.Name}}<td>{{.Initiator}}<td class="n">{{size .Transfer}}</tr>
{{end}}</tbody></table>{{end}}{{end}}
{{if .Deferred}}<p>Deferred (in the body: block parsing, not the first paint; never hinted): <span class="path">{{join .Deferred ", "}}</span></p>{{end}}
{{if .External}}<p>On other origins (not hinted): <span class="path">{{join .External ", "}}</span></p>{{end}}
{{if .Missing}}<p class="missed">Missing: {{range .Missing}}<span class="path">{{.Path}}</span> ({{.From}}:{{.Line}}) {{end}}</p>{{end}}
<p><small>Channels: <b>push</b> HTTP/2 server push, to clients that accept it (no current browser does);
<b>103</b> a Link of the 103 Early Hints, sent on HTTP/2 and HTTP/3 navigations; <b>link</b> the Link: rel=preload
header of the page; <b>after</b> a preload of the page itself, hinted after the critical assets, never pushed;
<b>none</b> past the bound of Link values. Browser: Resource Timing's initiatorType and renderBlockingStatus;
transfer 0: from the cache, or (Chromium) through the 103. Verdicts: <b>early-hints</b> fetched through the 103 and used; <b>fetched</b>
fetched otherwise (the Link header, the parser, CSS); <b>unused</b> fetched and not used by the document;
<b>not-fetched</b> the browser did not fetch it.</small></p>
{{end}}`))

// formatSize writes a byte count for people: 930 B, 14.2 KiB, 1.3 MiB.
func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
