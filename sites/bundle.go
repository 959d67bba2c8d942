package sites

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	hcompress "herald/compress"
	"herald/manifest"
)

// A bundle is an executable with a site appended to it:
//
//	[ the herald executable ][ zip archive ][ trailer ]
//
// The zip holds the site's files at their paths and the push manifest at
// manifest.FileName (a name the server never serves), every entry STORED,
// so each file is a plain run of bytes of the executable and can be served
// with seeks and ranges straight from it. The trailer, at the very end, is
//
//	sha256 of the zip (32 bytes) | zip length (8 bytes, big endian) | bundleMagic
//
// so a bundle is found by reading the last bytes of os.Executable, and one
// that lost bytes or had some changed is refused rather than served in part.
const (
	bundleMagic = "HERALD\x00\x01"
	trailerLen  = sha256.Size + 8 + len(bundleMagic)
)

// ErrNoBundle reports an executable that carries no site.
var ErrNoBundle = errors.New("no site is bundled in this executable")

// BundleOptions tune MakeBundle.
type BundleOptions struct {
	// Precompress adds .zst, .br and .gz siblings of compressible files (when they
	// are smaller), made once here rather than on every request.
	Precompress bool
	// Manifest is how the site's manifest is built.
	Manifest manifest.Options
}

// BundleStats tells what MakeBundle wrote.
type BundleStats struct {
	Files      int   // the site's files
	Compressed int   // .zst, .br and .gz siblings added
	SiteBytes  int64 // the site's files, as on disk
	Appended   int64 // zip and trailer
	Executable int64 // the executable the site was appended to
	Problems   []manifest.Problem
	Manifest   *manifest.Manifest
}

// MakeBundle writes to out a copy of the executable exe (without any site
// it already carries) with the site in dir and its manifest appended. The
// output is written to a temporary file beside out and renamed into place,
// executable, only once complete. When ctx ends first (the user pressed
// Ctrl-C), MakeBundle stops between files, removes the temporary file and
// returns ctx's error: out is left as it was.
func MakeBundle(ctx context.Context, exe, dir, out string, opts BundleOptions) (*BundleStats, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer root.Close()
	fsys := root.FS()
	m, problems, err := manifest.Build(fsys, opts.Manifest)
	if err != nil {
		return nil, fmt.Errorf("bundle: build the manifest of %s: %w", dir, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(m.Files) == 0 {
		return nil, emptySite(dir, problems)
	}

	src, err := os.Open(exe)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer src.Close()
	exeLen, err := executableLen(src)
	if err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", exe, err)
	}

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	defer tmp.Close()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := io.Copy(w, io.NewSectionReader(src, 0, exeLen)); err != nil {
		return nil, fmt.Errorf("bundle: copy %s: %w", exe, err)
	}

	stats := &BundleStats{Executable: exeLen, Problems: problems, Manifest: m}
	sum := sha256.New()
	counted := &countWriter{w: io.MultiWriter(w, sum)}
	zw := zip.NewWriter(counted)
	if err := writeSite(ctx, zw, fsys, m, opts.Precompress, stats); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bundle: %s: %w", dir, err)
	}
	// The manifest goes last: it lists the precompressed forms just made,
	// which the server finds through it.
	mbytes, err := manifest.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := storeEntry(zw, manifest.FileName, time.Now(), mbytes); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	trailer := make([]byte, 0, trailerLen)
	trailer = sum.Sum(trailer)
	trailer = binary.BigEndian.AppendUint64(trailer, uint64(counted.n))
	trailer = append(trailer, bundleMagic...)
	if _, err := w.Write(trailer); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	stats.Appended = counted.n + int64(trailerLen)
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("bundle: write %s: %w", out, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("bundle: write %s: %w", out, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the last moment to leave out as it was
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return stats, nil
}

// emptySite is the error for a site with no file to serve. An executable
// that answers 404 to everything is a mistake, not a site: the wrong
// folder, or one not built yet. Refused, so that a script stops there
// rather than publish it.
func emptySite(dir string, problems []manifest.Problem) error {
	msg := fmt.Sprintf("bundle: %s has no files to serve (dotfiles, dot folders and %s never are), so nothing was written: "+
		"give the folder that holds the site, or build the site into it first", dir, manifest.FileName)
	if len(problems) > 0 {
		msg += fmt.Sprintf("; %d files could not be read: herald build %s lists them", len(problems), dir)
	}
	return errors.New(msg)
}

// writeSite stores every file of the manifest, in path order, and, when
// asked, their compressed siblings (compressed in parallel, written in order).
// It stops between files when ctx ends, and returns ctx's error.
func writeSite(ctx context.Context, zw *zip.Writer, fsys fs.FS, m *manifest.Manifest, precompress bool, stats *BundleStats) error {
	names := make([]string, 0, len(m.Files))
	for p := range m.Files {
		names = append(names, strings.TrimPrefix(p, "/"))
	}
	slices.Sort(names)
	types := make([]string, len(names)) // read here: the loop below adds to m.Files
	for i, name := range names {
		types[i] = m.Files["/"+name].Type
	}
	type result struct {
		data  []byte
		forms [3][]byte // as precompressed
		mod   time.Time
		err   error
	}
	results := make([]chan result, len(names))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	// Workers read (and compress) ahead; this goroutine writes in order.
	// The semaphore bounds how many files are held in memory at once. On
	// return, cancel stops the goroutine starting workers, which would
	// otherwise wait for the semaphore for ever.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	go func() {
		for i, name := range names {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				var r result
				if r.err = ctx.Err(); r.err != nil {
					results[i] <- r
					return
				}
				r.data, r.mod, r.err = readFile(fsys, name)
				if r.err == nil && precompress && hcompress.Compressible(types[i]) {
					r.forms = compress(r.data)
				}
				results[i] <- r
			}()
		}
	}()
	for i, name := range names {
		var r result
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-sem
		if r.err != nil {
			return r.err
		}
		if err := storeEntry(zw, name, r.mod, r.data); err != nil {
			return err
		}
		stats.Files++
		stats.SiteBytes += int64(len(r.data))
		for j, data := range r.forms {
			ext := precompressed[j].Ext()
			if data == nil || m.Files["/"+name+ext] != (manifest.File{}) {
				continue // not worth it, or the site has its own
			}
			if err := storeEntry(zw, name+ext, r.mod, data); err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			m.Files["/"+name+ext] = manifest.File{Size: int64(len(data)),
				Type: manifest.ContentType(name + ext), Hash: hex.EncodeToString(sum[:])}
			stats.Compressed++
		}
	}
	return nil
}

func readFile(fsys fs.FS, name string) ([]byte, time.Time, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, time.Time{}, err
	}
	var mod time.Time
	if info, err := fs.Stat(fsys, name); err == nil {
		mod = info.ModTime()
	}
	return data, mod, nil
}

// storeEntry writes one uncompressed entry: the bytes that follow its
// header are the file, read in place by the bundle. zip.Writer records the
// modification time (an MS-DOS date and an extended timestamp to the second).
func storeEntry(zw *zip.Writer, name string, mod time.Time, data []byte) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: mod})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// compress returns the zstd, brotli and gzip forms of data, as the server
// makes them (compress.Encode), each only when it is worth it.
func compress(data []byte) (forms [3][]byte) {
	for i, c := range precompressed {
		if b := hcompress.Encode(c, data); hcompress.Worth(len(b), len(data)) {
			forms[i] = b
		}
	}
	return forms
}

// precompressed are the codings of the siblings a bundle holds.
var precompressed = [3]hcompress.Coding{hcompress.Zstd, hcompress.Brotli, hcompress.Gzip}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

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
// returns ErrNoBundle when there is none, and an error saying what is wrong
// when the executable had a site appended that is truncated or corrupted.
func OpenExecutable() (*Bundle, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bundle: find the executable: %w", err)
	}
	return OpenBundle(exe)
}

// OpenBundle opens the site bundled in the executable at path, checking the
// sha256 of everything appended to it.
func OpenBundle(path string) (*Bundle, error) {
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
		return 0, 0, nil, ErrNoBundle
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
	case errors.Is(err, ErrNoBundle):
		info, err := f.Stat()
		if err != nil {
			return 0, err
		}
		return info.Size(), nil
	default:
		return 0, err
	}
}

// imageEnd returns where an ELF program's own bytes end (its section header
// table comes last), so that bytes after it are known to be appended. Other
// formats report false.
func imageEnd(f *os.File) (int64, bool) {
	ef, err := elf.NewFile(f)
	if err != nil {
		return 0, false
	}
	defer ef.Close()
	var hdr struct {
		shoff            int64
		shentsize, shnum int64
	}
	raw := make([]byte, 64)
	if _, err := f.ReadAt(raw, 0); err != nil {
		return 0, false
	}
	bo := ef.ByteOrder
	switch ef.Class {
	case elf.ELFCLASS64:
		hdr.shoff = int64(bo.Uint64(raw[40:]))
		hdr.shentsize, hdr.shnum = int64(bo.Uint16(raw[58:])), int64(bo.Uint16(raw[60:]))
	case elf.ELFCLASS32:
		hdr.shoff = int64(bo.Uint32(raw[32:]))
		hdr.shentsize, hdr.shnum = int64(bo.Uint16(raw[46:])), int64(bo.Uint16(raw[48:]))
	default:
		return 0, false
	}
	end := hdr.shoff + hdr.shentsize*hdr.shnum
	for _, s := range ef.Sections {
		if s.Type != elf.SHT_NOBITS {
			end = max(end, int64(s.Offset+s.FileSize))
		}
	}
	for _, p := range ef.Progs {
		end = max(end, int64(p.Off+p.Filesz))
	}
	return end, end > 0
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
func (f *bundleFile) Close() error               { return nil }
