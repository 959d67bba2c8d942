// Package sites says where a site's files come from (a folder, the example
// site built into herald, a bundle appended to the executable) and how
// several sites share one server (TOML configuration).
package sites

import (
	"embed"
	"io/fs"
)

//go:embed example
var example embed.FS

// Example returns the small site herald serves when given no folder.
func Example() fs.FS {
	sub, err := fs.Sub(example, "example")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	return sub
}
