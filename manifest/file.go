package manifest

import (
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
// same bytes: map keys are sorted and slices keep their order.
func Marshal(m *Manifest) ([]byte, error) {
	m.Hash = ""
	body, err := encode(m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	m.Hash = hex.EncodeToString(sum[:])
	// The hash is the second field: write it into the bytes rather than
	// encoding the whole manifest again.
	empty := []byte(`"hash": ""`)
	i := bytes.Index(body, empty)
	if i < 0 {
		return encode(m)
	}
	out := make([]byte, 0, len(body)+len(m.Hash))
	out = append(out, body[:i+len(empty)-1]...)
	out = append(out, m.Hash...)
	return append(out, body[i+len(empty)-1:]...), nil
}

func encode(m *Manifest) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	return b.Bytes(), nil
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
