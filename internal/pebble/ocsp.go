package pebble

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ocspValidity is how long a response is valid: short, so that a staple
// is refreshed within a test (certmagic does so halfway through it).
const ocspValidity = 6 * time.Second

// ocspResponder answers OCSP requests (RFC 6960, GET and POST) about the
// certificates of one Pebble, from Pebble's own record of them.
type ocspResponder struct {
	url    string
	pebble atomic.Pointer[Server] // set once Pebble answers
}

// startOCSP listens on a free loopback port until the test ends; it
// answers 503 until its Pebble is set.
func startOCSP(t testing.TB) *ocspResponder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &ocspResponder{url: "http://" + ln.Addr().String() + "/"}
	srv := &http.Server{Handler: o}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

func (o *ocspResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := o.pebble.Load()
	if s == nil {
		http.Error(w, "pebble is not up yet", http.StatusServiceUnavailable)
		return
	}
	var der []byte
	var err error
	switch r.Method {
	case http.MethodPost:
		der, err = io.ReadAll(io.LimitReader(r.Body, 1<<16))
	case http.MethodGet:
		var p string
		if p, err = url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/")); err == nil {
			der, err = base64.StdEncoding.DecodeString(p)
		}
	default:
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		return
	}
	if err != nil {
		w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	resp, err := o.respond(s, req)
	if err != nil {
		w.Write(ocsp.InternalErrorErrorResponse)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(resp)
}

// respond signs the status Pebble gives for the request's serial: Good
// for a certificate it issued, Revoked for one revoked, Unknown else.
func (o *ocspResponder) respond(s *Server, req *ocsp.Request) ([]byte, error) {
	issuer, err := s.cert("/intermediates/0")
	if err != nil {
		return nil, err
	}
	block, err := s.mgmtPEM("/intermediate-keys/0")
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pebble's intermediate key: %w (is keyAlgorithm rsa?)", err)
	}
	now := time.Now().Truncate(time.Second)
	tmpl := ocsp.Response{Status: ocsp.Unknown, SerialNumber: req.SerialNumber,
		ThisUpdate: now, NextUpdate: now.Add(ocspValidity)}
	resp, err := s.client.Get(s.mgmt + "/cert-status-by-serial/" + req.SerialNumber.Text(16))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		var st struct{ Status string }
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return nil, err
		}
		switch st.Status {
		case "Valid":
			tmpl.Status = ocsp.Good
		case "Revoked":
			tmpl.Status, tmpl.RevokedAt = ocsp.Revoked, now
		}
	}
	return ocsp.CreateResponse(issuer, issuer, tmpl, key)
}
