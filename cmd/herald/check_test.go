package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/internal/testsite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run %s -update to refresh):\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

// groupedSite is a site of four pages sharing a stylesheet, two of them
// with the same broken reference, built, then the stylesheet edited: one
// stale cause, one missing, one budget over several pages.
func groupedSite(t *testing.T) string {
	t.Helper()
	page := `<link rel=stylesheet href=/a.css><script src=/big.js></script>`
	dir := site(t, map[string]string{
		"index.html": page, "b.html": page,
		"c.html":  page + "\n<script src=/gone.js></script>",
		"d.html":  page + "\n\n<script src=/gone.js></script>",
		"e.html":  `<link rel=stylesheet href=/a.css>`,
		"a.css":   `body{}`,
		"big.js":  strings.Repeat("x", 2000),
		"x/f.css": `p{}`,
	})
	if code, out, errs := herald(t, "build", dir); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, "a.css"), []byte("body{color:red}"), 0o644)
	return dir
}

// TestCheckGrouped: a cause shared by pages is one line (or one JSON
// finding) naming its pages, with a summary; budgets say what weighs.
func TestCheckGrouped(t *testing.T) {
	dir := groupedSite(t)
	code, out, errs := herald(t, "check", dir, "--max-bytes", "1KiB")
	if code != exitFindings || errs != "" {
		t.Errorf("text: exit %d, stderr %q", code, errs)
	}
	golden(t, "check.txt", out)

	code, out, _ = herald(t, "check", dir, "--max-bytes", "1KiB", "--format", "json")
	if code != exitFindings {
		t.Errorf("json: exit %d", code)
	}
	golden(t, "check.json", out)
	var r struct {
		Summary struct {
			Findings      int
			PagesAffected int            `json:"pages_affected"`
			ByKind        map[string]int `json:"by_kind"`
		}
		Findings []struct {
			Kind   string
			Pages  []string
			Assets []struct {
				Path  string
				Bytes int64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Summary.ByKind["stale"] != 1 || r.Summary.ByKind["budget"] != 1 || r.Summary.ByKind["missing"] != 1 || r.Summary.PagesAffected != 5 || r.Summary.Findings != 3 {
		t.Errorf("summary %+v", r.Summary)
	}
	for _, f := range r.Findings {
		if f.Kind == "budget" && (len(f.Pages) != 4 || len(f.Assets) != 2 || f.Assets[0].Path != "/big.js" || f.Assets[0].Bytes != 2000) {
			t.Errorf("budget finding %+v: want 4 pages, /big.js 2000 bytes first", f)
		}
	}
}

// TestCheckNoManifest: --no-manifest checks links and budgets of a site
// that was never built, and reports no staleness.
func TestCheckNoManifest(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `p{}`})
	code, out, errs := herald(t, "check", dir, "--no-manifest")
	if code != 0 || out != "ok: 1 pages, links and budgets hold (no manifest checked)\n" {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, "b.html"), []byte(`<script src=gone.js></script>`), 0o644)
	code, out, _ = herald(t, "check", dir, "--no-manifest", "--max-assets", "1")
	if code != exitFindings || strings.Contains(out, "stale") || !strings.Contains(out, "missing: script /gone.js") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestCheckUsageErrors: a budget that cannot be one is a mistake in the
// call (exit 2) naming the flag, not a check that passes.
func TestCheckUsageErrors(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<h1>hi</h1>`})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative assets", []string{"--max-assets", "-1"}, "herald: error: --max-assets -1: give a number of assets, 0 for no bound"},
		{"negative bytes", []string{"--max-bytes", "-5"}, `herald: error: --max-bytes: "-5" is not a size`},
		{"garbage bytes", []string{"--max-bytes", "garbage"}, `herald: error: --max-bytes: "garbage" is not a size`},
		{"manifest and no manifest", []string{"--no-manifest", "--manifest", "m.json"}, "herald: error: --no-manifest and --manifest: give one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := herald(t, append([]string{"check", dir}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errs, tt.want) || out != "" {
				t.Errorf("exit %d (want %d), stderr %q (want %q), stdout %q", code, exitUsage, errs, tt.want, out)
			}
		})
	}
}

// TestCheckPythonDocsIsShort: a budget all 530 pages of the python docs
// exceed, with no manifest on disk, reads as a handful of lines.
func TestCheckPythonDocsIsShort(t *testing.T) {
	dir := testsite.Dir(t, "python")
	for _, args := range [][]string{
		{"check", dir, "--max-bytes", "300KiB"},
		{"check", dir, "--max-bytes", "300KiB", "--max-assets", "10", "--no-manifest"},
	} {
		code, out, errs := herald(t, args...)
		lines := strings.Count(out, "\n")
		if code != exitFindings || lines > 4 || !strings.Contains(out, "budget: 530 pages over 300 KiB") {
			t.Errorf("herald %v: exit %d, %d lines (want at most 4):\n%.2000s\n%s", args[2:], code, lines, out, errs)
		}
	}
}
