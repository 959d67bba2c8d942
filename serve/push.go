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
// browser), and of HTTP/1. held counts the assets left out because the
// digest says the client has them, where the client takes push: not when
// it refused, nor when nothing was asked and its connection has not
// accepted a push before (whether a client takes push is known only by
// pushing; a browser, which does not, has the digest cookie too).
func (h *Handler) push(w http.ResponseWriter, r *http.Request, plan *pagePlan, have digest, sent []uint16) (_ []uint16, held int) {
	if h.opts.Push != PushAuto || r.Method != http.MethodGet || r.ProtoMajor < 2 || len(plan.order) == 0 {
		return sent, 0
	}
	pusher, ok := w.(http.Pusher)
	if !ok {
		return sent, 0
	}
	var opts *http.PushOptions
	var bytes int64
	count, asked := 0, false
	for _, i := range plan.order {
		a := &plan.assets[i]
		if have.has(a.key) {
			held++
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
		asked = true
		if err := pusher.Push(a.path, opts); err != nil {
			if errors.Is(err, http.ErrNotSupported) {
				return sent, 0
			}
			h.logger.Debug("push refused", "page", r.URL.Path, "asset", a.path, "err", err)
			return sent, held
		}
		count++
		bytes += a.size
		sent = append(sent, a.key)
	}
	if held > 0 && !asked && !pushAccepted(r) {
		held = 0
	}
	return sent, held
}
