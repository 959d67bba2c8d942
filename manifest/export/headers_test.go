package export

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"herald/manifest"
)

// syntheticSite returns a manifest of pages spread over folders, each
// page's stylesheet chosen by set(folder, page).
func syntheticSite(folders, pages int, set func(folder, page int) string) *manifest.Manifest {
	m := &manifest.Manifest{Hash: "synthetic", Pages: map[string]*manifest.Page{}, Files: map[string]manifest.File{}}
	for f := range folders {
		for p := range pages {
			name := fmt.Sprintf("/d%d/p%d.html", f, p)
			m.Pages[name] = &manifest.Page{Assets: []manifest.Asset{{Path: set(f, p), As: "style", Why: "link"}}}
			m.Files[name] = manifest.File{}
		}
	}
	return m
}

// TestCloudflareLimits: large sites fit where their pages share hints by
// folder; where they cannot, the export fails with the number of rules it
// needs, and a Link line over the host's limit fails too.
func TestCloudflareLimits(t *testing.T) {
	tests := []struct {
		name  string
		m     *manifest.Manifest
		rules int // written; 0 when the export must fail
		need  int // with ErrTooManyRules
		err   string
	}{
		{name: "20,000 pages in 40 folders, 3 sets, 4 pages apart",
			m: syntheticSite(40, 500, func(f, p int) string {
				if p == 7 && f%10 == 0 {
					return "/odd.css"
				}
				return fmt.Sprintf("/s%d.css", f%3)
			}),
			// /* with the set of 14 folders, one rule for each of the 26
			// others, and the 2 URLs of each page apart.
			rules: 1 + 26 + 4*2},
		{name: "101 pages, each its own hints", m: syntheticSite(1, 101, func(_, p int) string { return fmt.Sprintf("/s%d.css", p) }),
			need: 1 + 100*2},
		{name: "a Link line over 2,000 characters", m: syntheticSite(1, 1, func(_, _ int) string { return "/" + strings.Repeat("a", 2000) + ".css" }),
			err: "over Cloudflare Pages' limit of 2000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Export(tt.m, "cloudflare")
			var tooMany *ErrTooManyRules
			switch {
			case tt.need > 0:
				if !errors.As(err, &tooMany) || tooMany.Need != tt.need || !strings.Contains(err.Error(), fmt.Sprintf("%d rules needed", tt.need)) {
					t.Fatalf("err = %v, want %d rules needed", err, tt.need)
				}
				return
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			rules := checkHeadersFile(t, tt.m, out, "cloudflare")
			if len(rules) != tt.rules {
				t.Errorf("%d rules, want %d", len(rules), tt.rules)
			}
		})
	}
}
