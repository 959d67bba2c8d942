package serve

import (
	"io"

	"herald/compress"
)

// Text files go out compressed in the coding the client prefers among
// zstd, br and gzip (compress.Negotiate), as made by a compress.Cache: once
// per content hash and coding, kept in memory under a budget and on disk in
// the user's cache folder, so that neither a second request nor a restart
// compresses again. The process makes one and passes it to every handler
// (Options.Compressed), as it is keyed by hash whatever the site; a handler
// given none makes one of its own, in memory only and never warmed. A
// precompressed sibling on disk (a.css.br) is preferred to a form of the
// cache for its coding.
//
// After each manifest the warmer of Options.Compressed makes, in the
// background at low priority, the forms of every page's critical assets.
// A request for a form not made yet compresses it itself (concurrent
// requests of that form wait for that one compression): a form is small
// work (the python docs' largest critical asset, jquery.js at 90 KB, takes
// milliseconds), and the client gets its bytes compressed from its first
// visit. When the compressions under way already hold the memory the cache
// gives them (compress.Options.WorkMemory), as when a cold server meets
// many first requests at once, the request waits for it briefly
// (compress.MaxWait), then is sent the file as it is, and a later one gets
// the form.
//
// Once requests are quiet, the warmer also makes the brotli forms at best
// quality of the critical assets (compress.QuietFor), which then go out for
// br with their own ETag (compress.BestETag). A request that finds the
// memory of compressions taken gets a form already made in another coding
// it accepts (the gzip form the warmer made with the brotli one) before the
// file as it is (compress.Cache.Pick).
//
// Ranges apply to the form sent, as nginx's gzip_static does: each form
// has its own strong ETag (compress.ETag), so If-Range never mixes two.

// pick returns the form of e to send to a client that accepts the codings
// of order, its preferred first (compress.Ranked); its Data is nil to send
// the file itself (as encoded's).
func (h *Handler) pick(s *state, e *fileEntry, order []compress.Coding) compress.Form {
	form, err := h.compressed.Pick(e.compressFile(s), order...)
	if err != nil {
		h.logger.Debug("cannot compress a file", "file", e.name, "coding", order[0].String(), "err", err)
		return compress.Form{}
	}
	return form
}

// compressFile is e's file for the compress.Cache, read through s.open:
// from memory when it is cached there.
func (e *fileEntry) compressFile(s *state) compress.File {
	return compress.File{Hash: e.hash, Size: e.size, Open: func() (io.ReadCloser, error) {
		f, err := s.open(e)
		if err != nil {
			return nil, err
		}
		return readCloser{f.r, f.close}, nil
	}}
}

// encoded returns e's form in coding c, or nil to send the file itself (the
// form is not worth it, the memory of compressions is taken, or the file
// cannot be read or changed since the manifest). With wait, it waits for
// that memory rather than answer nil.
func (h *Handler) encoded(s *state, e *fileEntry, c compress.Coding, wait bool) []byte {
	get := h.compressed.Get
	if wait {
		get = h.compressed.Make
	}
	data, err := get(e.compressFile(s), c)
	if err != nil {
		h.logger.Debug("cannot compress a file", "file", e.name, "coding", c.String(), "err", err)
		return nil
	}
	return data
}

// warm queues the forms of every page's critical assets for the warmer.
// Other files are compressed on their first request: warming a whole site
// ahead (the python docs: 3,150 forms) spends CPU at start-up on files
// most of which are never asked for.
func (h *Handler) warm(s *state) {
	if !h.opts.Compress || h.opts.Compressed == nil {
		return
	}
	job := func(e *fileEntry) compress.File {
		return compress.File{Hash: e.hash, Size: e.size, Open: func() (io.ReadCloser, error) { return s.fsys.Open(e.name) }}
	}
	var critical []compress.File
	for _, page := range s.m.Pages {
		if page == nil {
			continue
		}
		for _, a := range page.Assets {
			// An asset's path may carry a query ("/style.css?v=3"): its
			// file is the path's (assetFile).
			if e := s.files[assetFile(a.Path)]; e != nil && e.codedEtag[compress.Zstd] != nil {
				critical = append(critical, job(e))
			}
		}
	}
	h.opts.Compressed.Warm(h, critical, nil)
}

// readCloser is the content of a file as an io.ReadCloser; close may be nil
// (a file in memory).
type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error {
	if r.close == nil {
		return nil
	}
	return r.close()
}
