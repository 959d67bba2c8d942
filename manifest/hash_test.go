package manifest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestEncodePage holds the page encoder that seal uses to encoding/json's
// indented output, for every field, empty and odd ones too.
func TestEncodePage(t *testing.T) {
	odd := "a \"b\"\\<&>\u2028\x01é"
	a := Asset{Path: "/" + odd, As: "style", Type: "text/css", Size: 12, Hash: "ab", Why: WhyLink}
	b := Asset{Path: "/f.woff2", As: "font", Why: WhyFontFace, CrossOrigin: "anonymous", Media: odd}
	for name, p := range map[string]*Page{
		"nil assets":   {},
		"empty assets": {Assets: []Asset{}, Preload: []Asset{}},
		"every field": {Assets: []Asset{a, b}, Preload: []Asset{b}, Deferred: []Asset{a},
			External: []string{"https://x.example/" + odd, "b"},
			Missing:  []Missing{{Path: odd, Why: WhyImport, From: "/a.css", Line: 3}, {Path: "/b", Why: WhyHero}}},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("  ", " ")
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		if got := encodePage(p); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want.Bytes())
		}
	}
}
