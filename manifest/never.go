package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Never is a set of files that are never site content wherever a site holds
// them: the files a server's configuration names (TLS private keys and
// certificates, bundles, the configuration itself, the local CA's folder).
// Hidden decides by name; Never by what the file is. A file of the site is
// left out when it is one of them (os.SameFile: the file itself, a hard
// link to it, or a link inside the site that leads to it) or holds the same
// bytes (a copy), and a folder when it is one of theirs. Build reports each
// one left out as a Problem, so that a check fails until it is moved.
type Never struct {
	files []neverFile
}

type neverFile struct {
	name string // as the configuration names it
	info os.FileInfo
	hash string // sha256 of its bytes; "" when not read (a folder, or large)
}

// neverHashMax is the largest file of a Never set whose bytes are compared:
// keys, certificates and configuration files are a few KB.
const neverHashMax = 1 << 20

// NewNever makes the set of the named files and folders. A name that does
// not exist is left out: no site holds it.
func NewNever(names ...string) *Never {
	n := &Never{}
	for _, name := range names {
		info, err := os.Stat(name)
		if err != nil {
			continue
		}
		f := neverFile{name: name, info: info}
		if info.Mode().IsRegular() && info.Size() > 0 && info.Size() <= neverHashMax {
			f.hash = hashFile(name)
		}
		n.files = append(n.files, f)
	}
	return n
}

func hashFile(name string) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, neverHashMax)); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Match says why a file of a site, of info (as the open file reports it,
// links followed) and content hash (hex sha256; "" for a folder), is one of
// the set, or returns nil.
func (n *Never) Match(info fs.FileInfo, hash string) error {
	if n == nil {
		return nil
	}
	for _, f := range n.files {
		switch {
		case info != nil && os.SameFile(f.info, info):
			return fmt.Errorf("it is %s, which herald is configured with: never served; move it out of the site's folder", f.name)
		case hash != "" && hash == f.hash:
			return fmt.Errorf("it holds the same bytes as %s, which herald is configured with: never served; remove it from the site", f.name)
		}
	}
	return nil
}

// Filter returns m without the files whose hash Match finds in the set, and
// the problem of each: for a site whose manifest was made elsewhere (a
// bundle), where only the bytes can tell.
func (n *Never) Filter(m *Manifest) (*Manifest, []Problem) {
	var problems []Problem
	var kept map[string]File
	for p, f := range m.Files {
		if err := n.Match(nil, f.Hash); err != nil {
			if kept == nil {
				kept = make(map[string]File, len(m.Files))
				for q, g := range m.Files {
					kept[q] = g
				}
			}
			delete(kept, p)
			problems = append(problems, Problem{Path: p, Err: err})
		}
	}
	if kept == nil {
		return m, nil
	}
	out := *m
	out.Files = kept
	return seal(&out), problems
}
