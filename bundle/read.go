package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"herald/manifest"
)

// Bundle is a site read from an executable: its files and its manifest.
type Bundle struct {
	fsys     *bundleFS
	manifest *manifest.Manifest
	file     *os.File
}

// FS returns the bundled site's files; they implement io.Seeker and
// io.ReaderAt, so http.ServeContent serves ranges of them.
func (b *Bundle) FS() fs.FS { return b.fsys }

// Manifest returns the manifest built when the bundle was made.
func (b *Bundle) Manifest() *manifest.Manifest { return b.manifest }

// Close closes the executable the bundle is read from.
func (b *Bundle) Close() error { return b.file.Close() }

// OpenExecutable opens the site bundled in the running executable. It
// returns ErrNoSite when there is none, and an error saying what is wrong
// when the executable had a site appended that is truncated or corrupted.
func OpenExecutable() (*Bundle, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bundle: find the executable: %w", err)
	}
	return Open(exe)
}

// Open opens the site bundled in the executable at path, checking the
// sha256 of everything appended to it.
func Open(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	b, err := openBundle(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	return b, nil
}

func openBundle(f *os.File) (*Bundle, error) {
	start, length, want, err := findZip(f)
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(f, start, length)); err != nil {
		return nil, err
	}
	if !bytes.Equal(sum.Sum(nil), want) {
		return nil, errors.New("the bundled site is corrupted (its sha256 does not match): make the bundle again with herald bundle")
	}
	zr, err := zip.NewReader(io.NewSectionReader(f, start, length), length)
	if err != nil {
		return nil, fmt.Errorf("the bundled site cannot be read: %w", err)
	}
	b := &Bundle{file: f, fsys: &bundleFS{zr: zr, r: f, base: start, files: map[string]*zip.File{}}}
	for _, zf := range zr.File {
		if zf.Method != zip.Store || zf.Mode().IsDir() {
			continue
		}
		if _, err := zf.DataOffset(); err != nil {
			return nil, fmt.Errorf("the bundled site cannot be read: %s: %w", zf.Name, err)
		}
		b.fsys.files[zf.Name] = zf
	}
	data, err := fs.ReadFile(b.fsys, manifest.FileName)
	if err != nil {
		return nil, fmt.Errorf("the bundle has no manifest: %w", err)
	}
	if b.manifest, err = manifest.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("the bundled manifest: %w", err)
	}
	return b, nil
}

// findZip reads the trailer and returns where the zip starts, its length
// and its expected sha256. An executable with bytes after its own image but
// no trailer is a bundle that lost its end.
func findZip(f *os.File) (start, length int64, sum []byte, err error) {
	info, err := f.Stat()
	if err != nil {
		return 0, 0, nil, err
	}
	size := info.Size()
	t := make([]byte, trailerLen)
	if size >= int64(trailerLen) {
		if _, err := f.ReadAt(t, size-int64(trailerLen)); err != nil {
			return 0, 0, nil, err
		}
	}
	if size < int64(trailerLen) || string(t[len(t)-len(bundleMagic):]) != bundleMagic {
		if end, ok := imageEnd(f); ok && end < size {
			return 0, 0, nil, fmt.Errorf("%d bytes follow the program but end without a bundle trailer: "+
				"the bundle is truncated or corrupted, copy it again or make it again with herald bundle", size-end)
		}
		return 0, 0, nil, ErrNoSite
	}
	length = int64(binary.BigEndian.Uint64(t[sha256.Size:]))
	if length < 0 || length > size-int64(trailerLen) {
		return 0, 0, nil, fmt.Errorf("the bundle trailer claims %d bytes but the file has %d: the bundle is truncated or corrupted", length, size)
	}
	return size - int64(trailerLen) - length, length, t[:sha256.Size], nil
}

// executableLen returns the length of the program in f without any site
// appended to it.
func executableLen(f *os.File) (int64, error) {
	start, _, _, err := findZip(f)
	switch {
	case err == nil:
		return start, nil
	case errors.Is(err, ErrNoSite):
		info, err := f.Stat()
		if err != nil {
			return 0, err
		}
		return info.Size(), nil
	default:
		return 0, err
	}
}

// bundleFS serves the zip's stored files as sections of the executable, and
// everything else (folders) through the zip reader.
type bundleFS struct {
	zr    *zip.Reader
	r     io.ReaderAt
	base  int64 // where the zip starts in r
	files map[string]*zip.File
}

func (b *bundleFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	zf, ok := b.files[name]
	if !ok {
		return b.zr.Open(name)
	}
	off, _ := zf.DataOffset() // checked when the bundle was opened
	return &bundleFile{SectionReader: io.NewSectionReader(b.r, b.base+off, int64(zf.UncompressedSize64)), zf: zf}, nil
}

// bundleFile is one stored file: a seekable section of the executable.
type bundleFile struct {
	*io.SectionReader
	zf *zip.File
}

func (f *bundleFile) Stat() (fs.FileInfo, error) { return f.zf.FileInfo(), nil }

func (f *bundleFile) Close() error { return nil }
