package manifest

import (
	"cmp"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// Budget bounds what one page may ask for early. Zero means no bound.
type Budget struct {
	MaxBytes  int64
	MaxAssets int
	// BytesFlag and AssetsFlag name the settings that raise the bounds,
	// in the messages; empty means herald check's --max-bytes and
	// --max-assets.
	BytesFlag, AssetsFlag string
}

// flags returns the names of the settings that raise b's bounds.
func (b Budget) flags() (bytes, assets string) {
	return cmp.Or(b.BytesFlag, "--max-bytes"), cmp.Or(b.AssetsFlag, "--max-assets")
}

// Finding is one thing a site's owner must fix.
type Finding struct {
	// Kind is "stale", "missing", "budget" or "unreadable".
	Kind string `json:"kind"`
	// Page is the page concerned (or the file, for unreadable ones).
	Page string `json:"page,omitempty"`
	// File and Line locate the reference, for missing assets.
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`

	// cause is what the pages of one group share, when Message alone is
	// page-specific (budgets): Group's key. weight is the page's bytes or
	// assets over the budget, assets what makes the bytes.
	cause  string
	weight int64
	assets []AssetWeight
}

// Key identifies a finding across builds: the same kind, page and cause,
// wherever the reference moved and whatever the page now weighs.
func (f Finding) Key() string { return f.Kind + "\x00" + f.Page + "\x00" + f.Cause() }

// Cause is what is wrong, without the page or the advice: "stylesheet
// /a.css does not exist", "over the byte budget".
func (f Finding) Cause() string {
	switch f.cause {
	case "":
		return f.Message
	case "max-bytes":
		return "over the byte budget"
	case "max-assets":
		return "over the asset budget"
	}
	return f.cause
}

func (f Finding) String() string {
	loc := f.Page
	if f.File != "" {
		loc = f.File
	}
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, f.Line)
	}
	if loc == "" {
		return f.Message
	}
	return loc + ": " + f.Message
}

// Check compares a fresh build of a site with the manifest stored beside it
// (nil when there is none) and lists what must be fixed: a stale manifest,
// critical assets that do not exist, pages over the budget, and files that
// could not be read. Findings come sorted by page.
func Check(built, stored *Manifest, problems []Problem, budget Budget) []Finding {
	var out []Finding
	bytesFlag, assetsFlag := budget.flags()
	if stored != nil {
		out = append(out, stale(built, stored)...)
	}
	for _, p := range sortedPages(built) {
		page := built.Pages[p]
		for _, m := range page.Missing {
			cause := fmt.Sprintf("%s %s does not exist", whatIs(m.Why), m.Path)
			out = append(out, Finding{Kind: "missing", Page: p, File: m.From, Line: m.Line,
				Message: cause + ": fix the reference or add the file", cause: cause})
		}
		var bytes int64
		weights := make([]AssetWeight, len(page.Assets))
		for i, a := range page.Assets {
			bytes += a.Size
			weights[i] = AssetWeight{Path: a.Path, Bytes: a.Size}
		}
		if budget.MaxBytes > 0 && bytes > budget.MaxBytes {
			out = append(out, Finding{Kind: "budget", Page: p,
				Message: fmt.Sprintf("critical assets weigh %d bytes, over the budget of %d: load some later (defer, async, media) or raise %s", bytes, budget.MaxBytes, bytesFlag),
				cause:   "max-bytes", weight: bytes, assets: weights})
		}
		if budget.MaxAssets > 0 && len(page.Assets) > budget.MaxAssets {
			out = append(out, Finding{Kind: "budget", Page: p,
				Message: fmt.Sprintf("%d critical assets, over the budget of %d: combine or defer some, or raise %s", len(page.Assets), budget.MaxAssets, assetsFlag),
				cause:   "max-assets", weight: int64(len(page.Assets)), assets: weights})
		}
	}
	for _, pr := range problems {
		if !pr.Warning {
			out = append(out, Finding{Kind: "unreadable", Page: pr.Path, Message: pr.Err.Error()})
		}
	}
	return out
}

// stale lists how a stored manifest differs from a fresh build.
func stale(built, stored *Manifest) []Finding {
	var out []Finding
	add := func(page, format string, args ...any) {
		out = append(out, Finding{Kind: "stale", Page: page,
			Message: fmt.Sprintf(format, args...) + ": the manifest is stale, run herald build"})
	}
	if stored.Origin != built.Origin {
		add("", "the manifest was built for origin %q, not %q", stored.Origin, built.Origin)
	}
	for _, p := range sortedPages(built) {
		old, ok := stored.Pages[p]
		if !ok {
			add(p, "page is not in the manifest")
			continue
		}
		staleAssets(p, old.Assets, built.Pages[p].Assets, add)
	}
	for _, p := range sortedPages(stored) {
		if _, ok := built.Pages[p]; !ok {
			add(p, "page is in the manifest but no longer in the site")
		}
	}
	var changed []string
	for p, f := range built.Files {
		if old, ok := stored.Files[p]; !ok || old != f {
			changed = append(changed, p)
		}
	}
	for p := range stored.Files {
		if _, ok := built.Files[p]; !ok {
			changed = append(changed, p)
		}
	}
	if len(out) == 0 && len(changed) > 0 {
		sort.Strings(changed)
		names := strings.Join(changed[:min(3, len(changed))], ", ")
		if len(changed) > 3 {
			names += ", ..."
		}
		add("", "%d files were added, changed or removed since it was built (%s)", len(changed), names)
	}
	if len(out) == 0 {
		if built.Hash != stored.Hash { // both set when built or read
			add("", "it differs from a fresh build (order or details of assets)")
		}
	}
	return out
}

func staleAssets(page string, old, now []Asset, add func(page, format string, args ...any)) {
	was := map[string]Asset{}
	for _, a := range old {
		was[a.Path] = a
	}
	for _, a := range now {
		o, ok := was[a.Path]
		switch {
		case !ok:
			add(page, "needs %s, which the manifest lacks", a.Path)
		case o.Hash != a.Hash || o.Size != a.Size:
			add(page, "%s changed (%d bytes, was %d)", a.Path, a.Size, o.Size)
		}
		delete(was, a.Path)
	}
	for _, a := range old {
		if _, ok := was[a.Path]; ok {
			add(page, "no longer needs %s", a.Path)
		}
	}
}

func whatIs(why Why) string {
	switch why {
	case WhyLink, WhyImport, WhyBodyStyle:
		return "stylesheet"
	case WhyHeadScript, WhyBodyScript:
		return "script"
	case WhyFontFace:
		return "font"
	case WhyPreload, WhyModulePreload:
		return "preloaded file"
	}
	return "file"
}

func sortedPages(m *Manifest) []string {
	keys := make([]string, 0, len(m.Pages))
	for k := range m.Pages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Stale says why m no longer describes the site in fsys ("" when it does)
// without reading a file: a file was added, removed, resized or changed
// after since (when m was written). It lists the files with Build's walk,
// through the same fsys, so a file the build leaves out (hidden, or a link
// an os.Root refuses) is left out here too. Names, sizes and times only:
// Check, after a build, is the thorough comparison.
func Stale(fsys fs.FS, m *Manifest, since time.Time) string {
	seen, why := 0, ""
	b := &Builder{fsys: fsys}
	b.walk(".", func(name string) {
		info, err := fs.Stat(fsys, name) // follows links, as the build does
		if why != "" || err != nil || !info.Mode().IsRegular() {
			return // not in a manifest either
		}
		u := urlPath(name)
		f, ok := m.Files[u]
		switch {
		case !ok:
			why = "is out of date (" + u + " is new)"
		case f.Size != info.Size():
			why = "is out of date (" + u + " changed size)"
		case info.ModTime().After(since):
			why = "is out of date (" + u + " changed since)"
		}
		seen++
	}, func(Problem) {}) // a file the build cannot read is not in m either
	if why == "" && seen != len(m.Files) {
		why = "is out of date (files were removed)"
	}
	return why
}
