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
// visit.
//
// Ranges apply to the form sent, as nginx's gzip_static does: each form
// has its own strong ETag (compress.ETag), so If-Range never mixes two.

// encoded returns e's form in coding c, or nil to send the file itself (the
// form is not worth it, or the file cannot be read or changed since the
// manifest).
func (h *Handler) encoded(s *state, e *fileEntry, c compress.Coding) []byte {
	data, err := h.compressed.Get(e.hash, c, func() ([]byte, error) {
		f, err := s.open(e)
		if err != nil {
			return nil, err
		}
		if f.close != nil {
			defer f.close()
		}
		return io.ReadAll(f.r)
	})
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
	job := func(e *fileEntry) compress.Job {
		return compress.Job{Hash: e.hash, Src: func() ([]byte, error) {
			f, err := s.fsys.Open(e.name)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return io.ReadAll(f)
		}}
	}
	var critical []compress.Job
	for _, page := range s.m.Pages {
		if page == nil {
			continue
		}
		for _, a := range page.Assets {
			if e := s.files[a.Path]; e != nil && e.codedEtag[compress.Zstd] != nil {
				critical = append(critical, job(e))
			}
		}
	}
	h.opts.Compressed.Warm(h, critical, nil)
}
