package manifest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/internal/testsite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRealSites pins what herald finds on pages of real sites nobody here
// wrote (Debian's documentation packages, npm's reveal.js and swagger-ui-dist).
// The golden files list "why as path" per critical, preloaded and deferred asset;
// sizes and hashes are left out so a package update of the same pages does
// not break them. Refresh with go test -update after checking the diff.
func TestRealSites(t *testing.T) {
	pages := []struct{ site, page string }{
		{"python", "/index.html"},
		{"python", "/library/os.html"},
		{"python", "/search.html"},
		{"postgres", "/index.html"},
		{"postgres", "/sql-select.html"},
		{"reveal.js", "/index.html"},
		{"reveal.js", "/demo.html"},
		{"swagger-ui-dist", "/index.html"},
	}
	built := map[string]*Manifest{}
	for _, p := range pages {
		t.Run(p.site+p.page, func(t *testing.T) {
			m := built[p.site]
			if m == nil {
				root, err := os.OpenRoot(testsite.Dir(t, p.site))
				if err != nil {
					t.Fatal(err)
				}
				defer root.Close()
				var problems []Problem
				m, problems, err = Build(root.FS(), Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, pr := range problems {
					if !pr.Warning {
						t.Errorf("problem: %v", pr)
					}
				}
				sealed(t, p.site, m)
				built[p.site] = m
			}
			page := m.Pages[p.page]
			if page == nil {
				t.Fatalf("no page %s", p.page)
			}
			var b strings.Builder
			for _, a := range page.Assets {
				b.WriteString(string(a.Why) + " " + a.As + " " + a.Path + "\n")
			}
			for _, a := range page.Preload {
				b.WriteString("preload: " + string(a.Why) + " " + a.As + " " + a.Path + "\n")
			}
			for _, a := range page.Deferred {
				b.WriteString("deferred: " + string(a.Why) + " " + a.As + " " + a.Path + "\n")
			}
			for _, e := range page.External {
				b.WriteString("external: " + e + "\n")
			}
			for _, x := range page.Missing {
				b.WriteString("missing: " + x.Path + "\n")
			}
			golden(t, filepath.Join("testdata", "golden", p.site+strings.ReplaceAll(p.page, "/", "_")+".txt"), b.String())
		})
	}
}

// TestCorpusVersions: the prepared sites are the package versions the golden
// files were made from (testdata/golden/VERSIONS; scripts/testsites.sh packs
// the npm ones at those versions and records the Debian ones it copied in
// the sites folder's VERSIONS). Another version may change the golden
// files for reasons of its own: prepare the pinned ones, or refresh the
// golden files and VERSIONS with -update and read the diff.
func TestCorpusVersions(t *testing.T) {
	path := filepath.Join("testdata", "golden", "VERSIONS")
	prepared := filepath.Join(testsite.Root(), "VERSIONS")
	if _, err := os.Stat(prepared); err != nil {
		testsite.Dir(t, "VERSIONS") // skips, or fails under CI
	}
	got, err := os.ReadFile(prepared)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		golden(t, path, string(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the sites in %s are\n%s\nthe golden files were made from\n%s\nrun make testsites in a fresh .cache, or refresh with -update",
			testsite.Root(), got, want)
	}
}

// TestPythonIndex states the figures the python docs' front page is known
// for: 5 stylesheets (two linked, three behind a chain of @imports) and 9
// head scripts, 407 KiB in all.
func TestPythonIndex(t *testing.T) {
	root, err := os.OpenRoot(testsite.Dir(t, "python"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, _, err := Build(root.FS(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[Why]int{}
	var size int64
	for _, a := range m.Pages["/index.html"].Assets {
		count[a.Why]++
		size += a.Size
	}
	// The README's push budget section quotes this size.
	if kib := (size + 512) >> 10; kib != 407 {
		t.Errorf("python /index.html: critical assets of %d KiB (%d bytes), want 407 KiB", kib, size)
	}
	if count[WhyLink] != 2 || count[WhyImport] != 3 || count[WhyHeadScript] != 9 || len(m.Pages["/index.html"].Assets) != 14 {
		t.Errorf("python /index.html: got %v, want 2 link, 3 import, 9 head-script", count)
	}
	if len(m.Pages) != 530 {
		t.Errorf("python docs: %d pages, want 530", len(m.Pages))
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
