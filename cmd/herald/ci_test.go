package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCIFlow: the README's CI steps — build, export the hints into the site
// for a static host, check — pass, and keep passing when run again: the
// exported _headers is the host's configuration, not site content, so it
// does not make the manifest stale.
func TestCIFlow(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href=a.css>`,
		"a.css":      `body{}`,
	})
	for round := range 2 {
		for _, args := range [][]string{
			{"build", dir},
			{"export", dir, "--to", "netlify", "-o", filepath.Join(dir, "_headers")},
			{"check", dir},
		} {
			if code, stdout, stderr := herald(t, args...); code != 0 {
				t.Fatalf("round %d: herald %s: exit %d\nstdout:\n%s\nstderr:\n%s", round, strings.Join(args, " "), code, stdout, stderr)
			}
		}
	}
}
