package sites

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
)

// Live serves a Running that a reload replaces without stopping the
// listeners. Its handlers and certificate callbacks read the current
// Running through an atomic pointer, so a request or handshake uses the
// sites of one configuration from start to end.
//
// The listen addresses, and whether each speaks TLS, are those of the
// first Running: a reload keeps them. A new configuration that adds an
// address is applied without it (Swap reports the address as needing a
// restart); an address it drops answers 404 until herald restarts; a
// listener that would change between plain HTTP and TLS refuses the
// reload, which needs a restart.
//
// Each Running is closed once it is replaced and its last request ended:
// a request in flight keeps reading the folder it started from.
type Live struct {
	cur   atomic.Pointer[generation]
	addrs []*Listener // the listeners of the first Running, fixed
}

// generation is one Running being served, with a count of its users: the
// Live itself (until replaced) and each request in flight.
type generation struct {
	r      *Running
	byAddr map[string]*Listener
	refs   atomic.Int64
}

func newGeneration(r *Running) *generation {
	g := &generation{r: r, byAddr: map[string]*Listener{}}
	for _, l := range r.Listeners {
		g.byAddr[l.Addr] = l
	}
	g.refs.Store(1)
	return g
}

// acquire counts one more user, unless the generation was already let go.
func (g *generation) acquire() bool {
	for {
		n := g.refs.Load()
		if n == 0 {
			return false
		}
		if g.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release counts one user less; the last one closes the Running.
func (g *generation) release() {
	if g.refs.Add(-1) == 0 {
		g.r.Close()
	}
}

// NewLive serves r. The Live owns it from now on: Close closes it.
func NewLive(r *Running) *Live {
	lv := &Live{addrs: r.Listeners}
	lv.cur.Store(newGeneration(r))
	return lv
}

// Listeners are the listen addresses served, fixed when the Live was made;
// their Router fields are those of the first Running (use Handler and
// TLSConfig to serve).
func (lv *Live) Listeners() []*Listener { return lv.addrs }

// Running is the configuration served now.
func (lv *Live) Running() *Running { return lv.cur.Load().r }

// acquire returns the current generation, counted as used, or nil once
// the Live is closed.
func (lv *Live) acquire() *generation {
	for {
		g := lv.cur.Load()
		if g.acquire() {
			return g
		}
		if lv.cur.Load() == g { // let go and not replaced: closed
			return nil
		}
	}
}

// Handler serves the requests of listen address addr with the sites the
// current configuration puts there.
func (lv *Live) Handler(addr string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := lv.acquire()
		if g == nil {
			http.Error(w, "503 service unavailable: herald is stopping", http.StatusServiceUnavailable)
			return
		}
		defer g.release()
		l := g.byAddr[addr]
		if l == nil {
			http.Error(w, "404 not found: no site is served on this address since the configuration was reloaded", http.StatusNotFound)
			return
		}
		l.Router.ServeHTTP(w, r)
	})
}

// TLSConfig is the TLS configuration of listen address addr, nil for plain
// HTTP; its certificates are chosen from the current configuration.
func (lv *Live) TLSConfig(addr string) *tls.Config {
	i := slices.IndexFunc(lv.addrs, func(l *Listener) bool { return l.Addr == addr })
	if i < 0 || lv.addrs[i].TLS == nil {
		return nil
	}
	cfg := lv.addrs[i].TLS.Clone()
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		l := lv.cur.Load().byAddr[addr]
		if l == nil || l.TLS == nil {
			return nil, errors.New("no site is served on this address since the configuration was reloaded")
		}
		return l.TLS.GetCertificate(hello)
	}
	return cfg
}

// Swap serves r instead of the current Running, which is closed once its
// requests end. It refuses r (and closes it) if a listener would change
// between plain HTTP and TLS. Applied, it returns what r asks that a
// reload cannot do: listen addresses added or dropped.
func (lv *Live) Swap(r *Running) (needRestart []string, err error) {
	old := map[string]bool{}
	for _, l := range lv.addrs {
		old[l.Addr] = l.TLS != nil
	}
	for _, l := range r.Listeners {
		isTLS, ok := old[l.Addr]
		switch {
		case !ok:
			needRestart = append(needRestart, fmt.Sprintf("listen address %s is new: it is not listened on until herald restarts", l.Addr))
		case isTLS != (l.TLS != nil):
			r.Close()
			return nil, fmt.Errorf("listen address %s changes between plain HTTP and TLS: restart herald to apply the configuration", l.Addr)
		}
		delete(old, l.Addr)
	}
	for _, l := range lv.addrs {
		if _, dropped := old[l.Addr]; dropped {
			needRestart = append(needRestart, fmt.Sprintf("listen address %s is no longer in the configuration: it answers 404 until herald restarts", l.Addr))
		}
	}
	prev := lv.cur.Swap(newGeneration(r))
	prev.release()
	return needRestart, nil
}

// Close closes the Running served, once its requests end.
func (lv *Live) Close() { lv.cur.Load().release() }
