package manifest_test

import (
	"context"
	"io/fs"
	"os"
	"testing"

	"herald/audit"
	"herald/internal/testsite"
	"herald/manifest"
	"herald/sites"
)

// TestAgainstChromium checks the rules that imitate a browser against a real
// one (package audit): on each page the manifest's critical assets are
// exactly what Chromium treated as critical, the stylesheets and scripts it
// reports render-blocking, the web fonts it loads and the image of its
// largest contentful paint.
func TestAgainstChromium(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	type site struct {
		name  string
		fsys  func(t *testing.T) fs.FS
		paths []string
	}
	for _, s := range []site{
		{"example", func(*testing.T) fs.FS { return sites.Example() }, []string{"/index.html"}},
		{"python", dirFS("python"), []string{"/index.html", "/library/os.html", "/library/hashlib.html", "/using/windows.html"}},
		{"postgres", dirFS("postgres"), []string{"/sql-select.html"}},
		{"reveal.js", dirFS("reveal.js"), []string{"/demo.html"}},
		{"swagger-ui-dist", dirFS("swagger-ui-dist"), []string{"/index.html"}},
	} {
		t.Run(s.name, func(t *testing.T) {
			fsys := s.fsys(t)
			m, _, err := manifest.Build(fsys, manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := audit.Run(context.Background(), fsys, m, audit.Options{Chromium: chromium, Paths: s.paths})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Pages {
				for _, x := range p.Ignored {
					t.Logf("%s: chromium took %s, a deferred resource of the body, for render-blocking", p.Path, x)
				}
				if len(p.Extra)+len(p.Missed) > 0 {
					t.Errorf("%s: chromium needed %q\nmanifest lists %q", p.Path, p.Needed, p.Listed)
				}
			}
		})
	}
}

func dirFS(name string) func(t *testing.T) fs.FS {
	return func(t *testing.T) fs.FS {
		root, err := os.OpenRoot(testsite.Dir(t, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { root.Close() })
		return root.FS()
	}
}
