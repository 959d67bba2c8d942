package manifest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"herald/internal/atomicfile"
)

// Marshal returns the manifest's canonical JSON and sets m.Hash to the sha256
// of that JSON taken with Hash empty: the hash a manifest has when it is
// built, again for one changed since. The same manifest always gives the
// same bytes: map keys are sorted and slices keep their order. The JSON is
// what encoding/json writes, indented by one space, with no HTML escapes;
// the error is always nil.
func Marshal(m *Manifest) ([]byte, error) {
	// The hash is the second field, written in once the rest is hashed: the
	// JSON goes after room for it, and what comes before the hash moves
	// back into that room. One buffer of about the right size holds it all.
	const room = 2 * sha256.Size
	b := bytes.NewBuffer(make([]byte, room, room+sizeHint(m)))
	bw := bufio.NewWriterSize(b, 32<<10)
	writeCanonical(bw, m, encodePage)
	bw.Flush() // a bytes.Buffer's Write never fails
	out, body := b.Bytes(), b.Bytes()[room:]
	sum := sha256.Sum256(body)
	m.Hash = hex.EncodeToString(sum[:])
	before := `"hash": "`
	i := bytes.Index(body, []byte(before)) + len(before)
	copy(out, body[:i])
	copy(out[i:], m.Hash)
	return out, nil
}

// Unmarshal parses a manifest and checks its version and its own hash.
func Unmarshal(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m.Version != Version {
		return nil, fmt.Errorf("version %d, this herald reads version %d", m.Version, Version)
	}
	want := m.Hash
	if _, err := Marshal(&m); err != nil {
		return nil, err
	}
	if m.Hash != want {
		return nil, errors.New("its content does not match its hash (edited by hand or cut short)")
	}
	if m.Pages == nil {
		m.Pages = map[string]*Page{}
	}
	if m.Files == nil {
		m.Files = map[string]File{}
	}
	return &m, nil
}

// Read loads the manifest at path.
func Read(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("manifest: %s does not exist: run herald build first: %w", path, err)
		}
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("manifest: read %q: %w: run herald build again", path, err)
	}
	return m, nil
}

// Write stores the manifest at path atomically: a reader sees the old file
// or the new one, never part of either.
func Write(path string, m *Manifest) error {
	data, err := Marshal(m)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}
