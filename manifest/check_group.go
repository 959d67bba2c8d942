package manifest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A Report is Check's findings grouped by cause, so that one stylesheet
// edit or one budget over a whole site reads as one line, not one per page.
type Report struct {
	Summary  Summary `json:"summary"`
	Findings []Group `json:"findings"`
}

// Summary counts a Report's groups.
type Summary struct {
	Findings      int            `json:"findings"`       // groups
	ByKind        map[string]int `json:"by_kind"`        // groups per kind
	PagesAffected int            `json:"pages_affected"` // distinct pages named by some group
	Pages         int            `json:"pages"`          // pages in the site
}

// Group is one cause and the pages it affects.
type Group struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Pages affected (files, for unreadable ones), sorted; Refs the
	// file:line of each reference, for missing assets.
	Pages []string `json:"pages"`
	Refs  []string `json:"refs,omitempty"`
	// For budgets: the heaviest page, its weight (bytes or assets), and
	// the assets of the affected pages, heaviest first, each with the
	// number of affected pages that need it.
	Largest string        `json:"largest,omitempty"`
	Weight  int64         `json:"weight,omitempty"`
	Assets  []AssetWeight `json:"assets,omitempty"`
}

// AssetWeight is one critical asset and its size.
type AssetWeight struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Pages int    `json:"pages,omitempty"`
}

// Summarize groups findings by cause: budget findings by the bound they
// exceed, the others by kind and message (a message without its page names
// the cause: "/a.css changed", "script /gone.js does not exist"). Groups keep
// the order of their first finding. pages is the number of pages in the site.
func Summarize(findings []Finding, budget Budget, pages int) Report {
	r := Report{Findings: []Group{}, Summary: Summary{ByKind: map[string]int{}, Pages: pages}}
	index := map[[2]string]int{}
	members := map[int][]Finding{}
	affected := map[string]bool{}
	for _, f := range findings {
		key := [2]string{f.Kind, cmp.Or(f.cause, f.Message)}
		i, ok := index[key]
		if !ok {
			i = len(r.Findings)
			index[key] = i
			r.Findings = append(r.Findings, Group{Kind: f.Kind, Message: f.Message, Pages: []string{}})
		}
		members[i] = append(members[i], f)
		if f.Page != "" && f.Kind != "unreadable" {
			affected[f.Page] = true
		}
	}
	for i := range r.Findings {
		g := &r.Findings[i]
		for _, f := range members[i] {
			if f.Page != "" {
				g.Pages = append(g.Pages, f.Page)
			}
			if f.File != "" {
				g.Refs = append(g.Refs, fmt.Sprintf("%s:%d", f.File, f.Line))
			}
		}
		slices.Sort(g.Pages)
		g.Pages = slices.Compact(g.Pages)
		if g.Kind == "budget" {
			weigh(g, members[i], budget)
		}
		r.Summary.ByKind[g.Kind]++
	}
	r.Summary.Findings = len(r.Findings)
	r.Summary.PagesAffected = len(affected)
	return r
}

// weigh fills a budget group: its message, heaviest page and assets.
func weigh(g *Group, fs []Finding, budget Budget) {
	heaviest := fs[0]
	count := map[string]*AssetWeight{}
	for _, f := range fs {
		if f.weight > heaviest.weight {
			heaviest = f
		}
		for _, a := range f.assets {
			if w, ok := count[a.Path]; ok {
				w.Pages++
			} else {
				count[a.Path] = &AssetWeight{Path: a.Path, Bytes: a.Bytes, Pages: 1}
			}
		}
	}
	g.Largest, g.Weight = heaviest.Page, heaviest.weight
	g.Assets = make([]AssetWeight, 0, len(count))
	for _, w := range count {
		g.Assets = append(g.Assets, *w)
	}
	slices.SortFunc(g.Assets, func(a, b AssetWeight) int {
		return cmp.Or(cmp.Compare(b.Bytes*int64(b.Pages), a.Bytes*int64(a.Pages)), strings.Compare(a.Path, b.Path))
	})
	var top []string
	for _, a := range g.Assets[:min(3, len(g.Assets))] {
		top = append(top, fmt.Sprintf("%s %s in %d %s", a.Path, Human(a.Bytes), a.Pages, plural(a.Pages, "page")))
	}
	if len(g.Assets) > 3 {
		top = append(top, fmt.Sprintf("+%d more", len(g.Assets)-3))
	}
	n := len(g.Pages)
	bytesFlag, assetsFlag := budget.flags()
	if heaviest.cause == "max-assets" {
		g.Message = fmt.Sprintf("%d %s over %d critical assets (most: %s with %d; heaviest: %s): combine or defer some, or raise %s",
			n, plural(n, "page"), budget.MaxAssets, g.Largest, g.Weight, strings.Join(top, ", "), assetsFlag)
		return
	}
	g.Message = fmt.Sprintf("%d %s over %s of critical assets (largest: %s with %s; heaviest: %s): load some later (defer, async, media) or raise %s",
		n, plural(n, "page"), Human(budget.MaxBytes), g.Largest, Human(g.Weight), strings.Join(top, ", "), bytesFlag)
}

// Text writes a report for a person: one line per group, naming at most a
// few of its pages, then a summary line.
func (r Report) Text() string {
	var b strings.Builder
	for _, g := range r.Findings {
		b.WriteString(g.Text())
		b.WriteByte('\n')
	}
	s := r.Summary
	kinds := make([]string, 0, len(s.ByKind))
	for _, k := range slices.Sorted(maps.Keys(s.ByKind)) {
		kinds = append(kinds, fmt.Sprintf("%d %s", s.ByKind[k], k))
	}
	fmt.Fprintf(&b, "check: %d %s (%s) affecting %d of %d pages\n", s.Findings, plural(s.Findings, "finding"), strings.Join(kinds, ", "), s.PagesAffected, s.Pages)
	return b.String()
}

// Text is the group as Report.Text writes it, on one line.
func (g Group) Text() string {
	s := g.Kind + ": " + g.Message
	switch {
	case len(g.Refs) > 0:
		s += "; referenced from " + few(g.Refs)
	case g.Kind == "unreadable":
		s += "; in " + few(g.Pages)
	case g.Kind == "budget":
		s += "; e.g. " + few(g.Pages)
	case len(g.Pages) > 0:
		s += fmt.Sprintf("; affects %d %s: %s", len(g.Pages), plural(len(g.Pages), "page"), few(g.Pages))
	}
	return s
}

// Few names at most three of a list, and how many more there are.
func Few(list []string) string { return few(list) }

func few(list []string) string {
	const show = 3
	if len(list) <= show {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(list[:show], ", "), len(list)-show)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Human writes a byte count as people read it: 407 KiB, 1.2 MiB, 80 B.
func Human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
