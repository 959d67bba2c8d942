package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestUpdateLinks: a link that is added or changed updates the manifest and
// its problems as a build from scratch has them: a link to a folder is not
// followed (a warning), a broken link and a link out of the site are
// problems, a link to a file is that file.
func TestUpdateLinks(t *testing.T) {
	tests := []struct {
		name   string
		target string // what the link at "link" points to
	}{
		{"to a folder", "dir"},
		{"to a file", "dir/a.html"},
		{"broken", "nowhere.html"},
		{"out of the site", "/etc/hostname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "dir"), 0o755)
			os.WriteFile(filepath.Join(dir, "dir", "a.html"), []byte(`<p>`), 0o644)
			os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<p>`), 0o644)
			root, b := diskBuilder(t, dir)
			if err := os.Symlink(tt.target, filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			b.Update("/link")
			got, _ := Marshal(b.Manifest())
			full, err := NewBuilder(root.FS(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Marshal(full.Manifest())
			if !bytes.Equal(got, want) {
				t.Errorf("manifest after Update differs from a build:\n got %s\nwant %s", got, want)
			}
			if g, w := fmt.Sprint(b.Problems()), fmt.Sprint(full.Problems()); g != w {
				t.Errorf("problems after Update: %s\nafter a build: %s", g, w)
			}
		})
	}
}
