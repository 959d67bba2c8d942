package serve

import (
	"errors"
	"net/http"
)

// pushedHeaders are copied from the page's request to every pushed request,
// so the pushed response is the one the browser's own request would get
// (the same precompressed form, the same language).
var pushedHeaders = []string{"Accept-Encoding", "Accept-Language", "User-Agent"}

// push promises the page's critical assets the client lacks, stylesheets
// first, within the page budget, and appends the digest keys of those
// promised to sent. It stops at the first refusal: http.ErrNotSupported is
// the normal answer of a client that turned push off (every current
// browser), and of HTTP/1.
func (h *Handler) push(w http.ResponseWriter, r *http.Request, plan *pagePlan, have digest, sent []uint16) []uint16 {
	if h.opts.Push != PushAuto || r.Method != http.MethodGet || r.ProtoMajor < 2 || len(plan.order) == 0 {
		return sent
	}
	pusher, ok := w.(http.Pusher)
	if !ok {
		return sent
	}
	var opts *http.PushOptions
	var bytes int64
	count := 0
	for _, i := range plan.order {
		a := &plan.assets[i]
		if have.has(a.key) {
			continue
		}
		if count >= h.opts.PushMaxCount {
			break
		}
		if bytes+a.size > h.opts.PushMaxBytes {
			continue // a smaller asset further on may still fit
		}
		if opts == nil {
			opts = &http.PushOptions{Method: http.MethodGet, Header: make(http.Header, len(pushedHeaders)+1)}
			for _, k := range pushedHeaders {
				if v := r.Header[k]; len(v) > 0 {
					opts.Header[k] = v
				}
			}
		}
		opts.Header["Accept"] = a.accept
		if err := pusher.Push(a.path, opts); err != nil {
			if !errors.Is(err, http.ErrNotSupported) {
				h.logger.Debug("push refused", "page", r.URL.Path, "asset", a.path, "err", err)
			}
			return sent
		}
		count++
		bytes += a.size
		sent = append(sent, a.key)
	}
	return sent
}
