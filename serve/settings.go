package serve

import (
	"fmt"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Setting is one of the Options a user writes: a key of a [[site]] in
// herald.toml and, when it has one, a flag of herald serve (and of herald
// show and a bundle). Everything else is made from Settings: package
// config reads the keys (their schema, the messages about unknown keys and
// values of the wrong type), and cmd/herald makes the flags, with their
// defaults from DefaultOptions, and the message that sends a flag to the
// file under --config. A new option is a field of Options, an entry here
// and a line of the README's example configuration.
type Setting struct {
	// Key is where a [[site]] sets it, dotted when it is in a table of
	// the site: "push.max_bytes" is max_bytes in [site.push].
	Key string
	// Flag is its flag, without dashes; "" when only the file sets it.
	Flag string
	// Usage is the flag's help; a word in back quotes names its value.
	Usage string
	// Field points at the option in o. Its type says how the option is
	// written, in the file and on the command line:
	//
	//	*bool              true or false; a switch on the command line: on or off
	//	*int               a count, 0 or more
	//	*int64             a size in bytes: "300KiB", "2MB" or a number
	//	*string            a string Check accepts; "" in the file leaves the default
	//	*PushMode          "auto" or "off" (ParsePushMode)
	//	*http.Header       a table of header names and values (the file only)
	//	*func(string) bool a regular expression (Go syntax) that a file's
	//	                   name matches (the file only)
	Field func(o *Options) any
	// Check refuses a string value, saying what to write; nil takes any.
	Check func(string) error
}

// Settings lists every Setting, in the order of the flags' help.
var Settings = []Setting{
	{Key: "push.mode", Flag: "push", Usage: "HTTP/2 server push: auto or off",
		Field: func(o *Options) any { return &o.Push }},
	{Key: "push.hints", Flag: "hints", Usage: "103 Early Hints",
		Field: func(o *Options) any { return &o.Hints }},
	{Key: "push.preload", Flag: "preload", Usage: "Link: rel=preload headers",
		Field: func(o *Options) any { return &o.Preload }},
	{Key: "compress", Flag: "compress", Usage: "send text files compressed (zstd, br, gzip), each once per content hash",
		Field: func(o *Options) any { return &o.Compress }},
	{Key: "push.max_bytes", Flag: "push-max-bytes", Usage: "push at most `SIZE` per page",
		Field: func(o *Options) any { return &o.PushMaxBytes }},
	{Key: "push.max_count", Flag: "push-max-count", Usage: "push at most `N` assets per page",
		Field: func(o *Options) any { return &o.PushMaxCount }},
	{Key: "clean_urls", Flag: "clean-urls", Usage: "serve /about from about.html, and redirect /about.html to /about (308)",
		Field: func(o *Options) any { return &o.CleanURLs }},
	{Key: "spa", Flag: "spa", Usage: "serve `PAGE` (such as /index.html) for navigations to paths without a file: a single-page app's routes",
		Field: func(o *Options) any { return &o.SPA }, Check: CheckPagePath},
	{Key: "listing", Flag: "listing", Usage: "list the files of folders without an index.html",
		Field: func(o *Options) any { return &o.Listing }},
	{Key: "not_found",
		Field: func(o *Options) any { return &o.NotFoundPage }, Check: checkNotFoundPage},
	{Key: "cache.html",
		Field: func(o *Options) any { return &o.HTMLCacheControl }, Check: CheckHeaderValue},
	{Key: "cache.assets",
		Field: func(o *Options) any { return &o.AssetCacheControl }, Check: CheckHeaderValue},
	{Key: "cache.immutable",
		Field: func(o *Options) any { return &o.Immutable }},
	{Key: "headers",
		Field: func(o *Options) any { return &o.Headers }},
}

// FileKey says how a [[site]] of herald.toml sets s: "hints = true or
// false in the site's [site.push]", "max_bytes in the site's [site.push]",
// "spa in the [[site]]".
func (s Setting) FileKey() string {
	table, leaf, ok := strings.Cut(s.Key, ".")
	if !ok {
		leaf = s.Key
	}
	switch s.Field(&Options{}).(type) {
	case *bool:
		leaf += " = true or false"
	case *PushMode:
		leaf += fmt.Sprintf(" = %q or %q", PushAuto, PushOff)
	}
	if ok {
		return fmt.Sprintf("%s in the site's [site.%s]", leaf, table)
	}
	return leaf + " in the [[site]]"
}

// checkNotFoundPage refuses a 404 page that is not a path in the site.
func checkNotFoundPage(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q: give the page's path in the site, starting with /, such as \"/404.html\"", p)
	}
	return nil
}

// CheckHeaderValue refuses what cannot be the value of a header field: a
// control character other than tab (RFC 9110 section 5.5).
func CheckHeaderValue(v string) error {
	if !httpguts.ValidHeaderFieldValue(v) {
		return fmt.Errorf("%q cannot be sent in a header: remove control characters and line breaks", v)
	}
	return nil
}
