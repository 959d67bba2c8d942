package watch

import (
	"slices"
	"testing"
	"time"

	"herald/manifest"
)

// TestHostRuleFiles: _redirects and _headers are never in the manifest,
// but writing one is a change, so that the server reads it again.
func TestHostRuleFiles(t *testing.T) {
	s := startSite(t, baseFiles, Options{Rule: fastRule}, hooks{})
	for _, name := range []string{"_redirects", "_headers"} {
		s.write(name, "/a /b\n")
		timeout := time.After(20 * time.Second)
		for {
			var c Change
			select {
			case c = <-s.changes:
			case <-timeout:
				t.Fatalf("writing %s: no change; log:\n%s", name, s.log.String())
			}
			if slices.Contains(c.Paths, "/"+name) {
				if _, in := c.Manifest.Files["/"+name]; in {
					t.Errorf("%s in the manifest", name)
				}
				break
			}
		}
	}
	s.write("docs/_redirects", "not a rule file")
	s.await("docs/_redirects served as a file", func(m *manifest.Manifest) bool { _, ok := m.Files["/docs/_redirects"]; return ok })
}
