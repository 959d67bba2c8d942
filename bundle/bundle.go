// Package bundle is the format of a bundle: an executable with a site
// appended to it. bundle.go writes one, read.go reads one, elf.go finds
// where an ELF program ends so that a bundle that lost its trailer is told
// from a program that carries no site.
package bundle

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	hcompress "herald/compress"
	"herald/internal/atomicfile"
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

// ErrNoSite reports an executable that carries no site.
var ErrNoSite = errors.New("no site is bundled in this executable")

// Options tune Make.
type Options struct {
	// Precompress adds .zst, .br and .gz siblings of compressible files (when they
	// are smaller), made once here rather than on every request.
	Precompress bool
	// Manifest is how the site's manifest is built.
	Manifest manifest.Options
}

// Stats tells what Make wrote.
type Stats struct {
	Files      int   // the site's files
	Compressed int   // .zst, .br and .gz siblings added
	SiteBytes  int64 // the site's files, as on disk
	Appended   int64 // zip and trailer
	Executable int64 // the executable the site was appended to
	Problems   []manifest.Problem
	Manifest   *manifest.Manifest
}

// Make writes to out a copy of the executable exe (without any site
// it already carries) with the site in dir and its manifest appended. The
// output is written to a temporary file beside out and renamed into place,
// executable, only once complete. When ctx ends first (the user pressed
// Ctrl-C), Make stops between files, removes the temporary file and
// returns ctx's error: out is left as it was.
func Make(ctx context.Context, exe, dir, out string, opts Options) (*Stats, error) {
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

	var stats *Stats
	err = atomicfile.Write(out, 0o755, func(f io.Writer) error {
		var err error
		if stats, err = appendSite(ctx, f, src, exeLen, fsys, m, opts); err != nil {
			return err
		}
		return ctx.Err() // the last moment to leave out as it was
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("bundle: %w", err)
	}
	stats.Problems = problems
	return stats, nil
}

// appendSite writes to f the first exeLen bytes of src (the program), then
// the site of fsys as a zip of stored entries, its manifest m last, and the
// trailer.
func appendSite(ctx context.Context, f io.Writer, src *os.File, exeLen int64, fsys fs.FS, m *manifest.Manifest, opts Options) (*Stats, error) {
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, io.NewSectionReader(src, 0, exeLen)); err != nil {
		return nil, fmt.Errorf("copy %s: %w", src.Name(), err)
	}
	stats := &Stats{Executable: exeLen, Manifest: m}
	sum := sha256.New()
	counted := &countWriter{w: io.MultiWriter(w, sum)}
	zw := zip.NewWriter(counted)
	if err := writeSite(ctx, zw, fsys, m, opts.Precompress, stats); err != nil {
		return nil, err
	}
	// The manifest goes last: it lists the precompressed forms just made,
	// which the server finds through it.
	mbytes, err := manifest.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := storeEntry(zw, manifest.FileName, time.Now(), mbytes); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	trailer := make([]byte, 0, trailerLen)
	trailer = sum.Sum(trailer)
	trailer = binary.BigEndian.AppendUint64(trailer, uint64(counted.n))
	trailer = append(trailer, bundleMagic...)
	if _, err := w.Write(trailer); err != nil {
		return nil, err
	}
	stats.Appended = counted.n + int64(trailerLen)
	return stats, w.Flush()
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
func writeSite(ctx context.Context, zw *zip.Writer, fsys fs.FS, m *manifest.Manifest, precompress bool, stats *Stats) error {
	names := make([]string, 0, len(m.Files))
	for p := range m.Files {
		names = append(names, strings.TrimPrefix(p, "/"))
	}
	slices.Sort(names)
	critical := m.CriticalFiles()       // their brotli forms at the best quality (compress.Encoder.Forms)
	types := make([]string, len(names)) // read here: the loop below adds to m.Files
	for i, name := range names {
		types[i] = m.Files["/"+name].Type
	}
	type result struct {
		data  []byte
		forms [len(hcompress.Siblings)][]byte
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
	enc := hcompress.NewEncoder(runtime.GOMAXPROCS(0))
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
					r.forms = enc.Forms(r.data, critical["/"+name])
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
			ext := hcompress.Siblings[j].Ext()
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

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
