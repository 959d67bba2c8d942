package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// HTTP/3 runs beside the TLS server: the same handler (with the same guard,
// so the same budgets and headers) and certificates, on the same address and
// port over UDP. The TCP responses announce it with Alt-Svc. There is no push
// in HTTP/3 (quic-go's writer is no http.Pusher): pages get their 103 Early
// Hints and Link header only, as on HTTP/2 without push.

// http3MaxStreams bounds the requests a QUIC connection has in flight, as
// net/http's HTTP/2 server bounds its streams (250 by default).
const http3MaxStreams = 250

// altSvcMaxAge is how long, in seconds, a client may remember the Alt-Svc
// announcement.
const altSvcMaxAge = 86400

// h3Server is an HTTP/3 server and the UDP socket it serves.
type h3Server struct {
	srv    *http3.Server
	conn   *net.UDPConn
	served chan error // the result of srv.Serve
	altSvc []string   // the Alt-Svc value announcing it
}

// listenHTTP3 listens over UDP on the address and port of the TCP listener
// at addr (so a port picked by ":0" is the same for both) and serves h over
// HTTP/3 with the TLS configuration of opts.
func listenHTTP3(h http.Handler, opts ServerOptions, addr net.Addr) (*h3Server, error) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("serve: HTTP/3 beside a %s listener", addr.Network())
	}
	ua := &net.UDPAddr{IP: ta.IP, Port: ta.Port, Zone: ta.Zone}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("serve: listen on %s over UDP for HTTP/3: %w", ua, err)
	}
	tlsConf := opts.TLS.Clone()
	tlsConf.MinVersion = tls.VersionTLS13 // QUIC's own
	idle := opts.IdleTimeout
	s := &h3Server{
		srv: &http3.Server{
			Handler:   guard(h, opts),
			TLSConfig: tlsConf,
			QUICConfig: &quic.Config{
				MaxIncomingStreams:   http3MaxStreams,
				MaxIdleTimeout:       idle, // 0 (no limit asked): quic-go's 30 s
				HandshakeIdleTimeout: opts.ReadHeaderTimeout,
			},
			MaxHeaderBytes: opts.MaxHeaderBytes,
			IdleTimeout:    idle,
			Logger:         opts.Logger,
		},
		conn:   conn,
		served: make(chan error, 1),
		altSvc: []string{`h3=":` + strconv.Itoa(ta.Port) + `"; ma=` + strconv.Itoa(altSvcMaxAge)},
	}
	go func() { s.served <- s.srv.Serve(conn) }()
	return s, nil
}

// announce adds the Alt-Svc header of s to the responses of h (HTTP/1.1 and
// HTTP/2: only the TCP server is given this handler).
func (s *h3Server) announce(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Alt-Svc"] = s.altSvc
		h.ServeHTTP(w, r)
	})
}

// shutdown stops s: it tells clients to go away (GOAWAY), waits for the
// requests in flight until ctx ends, then closes the connections and the
// socket.
func (s *h3Server) shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.conn.Close()
	if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && !errors.Is(serr, quic.ErrServerClosed) {
		return errors.Join(err, serr)
	}
	return err
}
