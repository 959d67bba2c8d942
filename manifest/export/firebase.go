package export

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"herald/manifest"
)

// firebaseConfig is the part of firebase.json the export fills.
type firebaseConfig struct {
	Hosting struct {
		Headers []firebaseRule `json:"headers"`
	} `json:"hosting"`
}

// firebaseRule is one entry of hosting.headers: a glob (source) or an RE2
// expression (regex) over the request path, and the headers to add.
type firebaseRule struct {
	Source  string           `json:"source,omitempty"`
	Regex   string           `json:"regex,omitempty"`
	Headers []firebaseHeader `json:"headers"`
}

type firebaseHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// firebaseGlob holds the characters Firebase's globs read as patterns.
const firebaseGlob = `*?[]{}()!+@\`

// writeFirebase writes firebase.json's hosting.headers, one entry per URL
// of each page with its Link values joined in one header. A path holding a
// glob character is matched by an anchored regex instead.
func writeFirebase(b *strings.Builder, m *manifest.Manifest, rules []rule) ([]string, error) {
	header(b, "//", "firebase", m,
		`Merge "headers" into the "hosting" section of firebase.json (the Firebase CLI`,
		"reads firebase.json with comments allowed).")
	var c firebaseConfig
	c.Hosting.Headers = []firebaseRule{}
	for _, r := range rules {
		h := []firebaseHeader{{Key: "Link", Value: strings.Join(r.links, ", ")}}
		for _, u := range r.urls {
			fr := firebaseRule{Source: u, Headers: h}
			if strings.ContainsAny(u, firebaseGlob) {
				fr = firebaseRule{Regex: "^" + regexp.QuoteMeta(u) + "$", Headers: h}
			}
			c.Hosting.Headers = append(c.Hosting.Headers, fr)
		}
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false) // keep Link's <> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("export: firebase: %w", err)
	}
	return nil, nil
}
