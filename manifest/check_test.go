package manifest

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCheckOrder: a stored manifest that lists a page's assets in another
// order than a fresh build is stale (the order is the order of the hints),
// though every asset, size and hash agrees; one written by the same build
// is not.
func TestCheckOrder(t *testing.T) {
	site := fstest.MapFS{
		"index.html": {Data: []byte("<link rel=stylesheet href=/a.css><link rel=stylesheet href=/b.css>")},
		"a.css":      {Data: []byte("p{}")}, "b.css": {Data: []byte("q{}")},
	}
	built, _ := mustBuild(t, site)
	data, err := Marshal(built)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if found := Check(built, stored, nil, Budget{}); len(found) > 0 {
		t.Errorf("the manifest as written is stale: %v", found)
	}
	slices.Reverse(stored.Pages["/index.html"].Assets)
	if _, err := Marshal(stored); err != nil { // as written by a build that ordered them so
		t.Fatal(err)
	}
	found := Check(built, stored, nil, Budget{})
	if len(found) != 1 || !strings.Contains(found[0].Message, "differs from a fresh build") {
		t.Errorf("assets reordered: %v, want one finding that it differs from a fresh build", found)
	}
}
