package main

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestServeUsageErrors checks that mistakes in herald serve's flags and
// folder exit 2 with a message naming the mistake, before anything listens.
func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testCert(t, t.TempDir(), "a.test")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"push", []string{"serve", "--push", "always"}, `--push: "always" is not a push mode`},
		{"hints", []string{"serve", "--hints=maybe"}, `--hints "maybe": use on or off`},
		{"watch", []string{"serve", dir, "--watch=yes"}, `--watch "yes": use true or false`},
		{"preload", []string{"serve", dir, "--preload=yes"}, `--preload "yes"`},
		{"http3", []string{"serve", dir, "--http3=no"}, `--http3 "no"`},
		{"budget size", []string{"serve", "--push-max-bytes", "lots"}, "--push-max-bytes"},
		{"budget NaN", []string{"serve", "--push-max-bytes", "NaN"}, `--push-max-bytes: "NaN" is not a size`},
		{"budget Inf", []string{"serve", "--push-max-bytes", "Inf"}, `--push-max-bytes: "Inf" is not a size`},
		{"budget count", []string{"serve", "--push-max-count", "-1"}, "--push-max-count"},
		{"cert without key", []string{"serve", "--cert", "c.pem"}, "--cert and --key go together"},
		{"tls with cert", []string{"serve", "--tls", "--cert", "c.pem", "--key", "k.pem"}, "--tls"},
		{"live reload with cert", []string{"serve", dir, "--cert", certFile, "--key", keyFile, "--addr", "0.0.0.0:0", "--live-reload"},
			"--live-reload does not apply with --cert"},
		{"report with config", []string{"serve", "--config", "herald.toml", "--report"}, "--report does not apply with --config"},
		{"missing folder", []string{"serve", dir + "/nope"}, "does not exist"},
		{"two folders", []string{"serve", dir, dir}, "one site folder"},
		{"origin", []string{"serve", "--origin", "docs.example.com"}, "--origin"},
		{"addr without port", []string{"serve", "--addr", "bogus"}, `--addr "bogus" is not a listen address: write HOST:PORT or :PORT, such as 127.0.0.1:8080`},
		{"addr port too large", []string{"serve", dir, "--addr", "127.0.0.1:99999"}, `--addr "127.0.0.1:99999" is not a listen address`},
		{"addr port not a number", []string{"serve", "--addr", "127.0.0.1:x"}, `--addr "127.0.0.1:x" is not a listen address`},
		{"log format", []string{"serve", dir, "--log-format", "logfmt"}, `--log-format "logfmt": use text or json`},
		{"metrics on the site's address", []string{"serve", dir, "--addr", "127.0.0.1:19501", "--metrics", "127.0.0.1:19501"},
			`--metrics "127.0.0.1:19501" takes the port of the listener on "127.0.0.1:19501", so one could not start`},
		{"metrics on every interface, same port", []string{"serve", dir, "--addr", "127.0.0.1:19501", "--metrics", ":19501"}, `--metrics ":19501" takes the port`},
		{"acme with tls", []string{"serve", dir, "--acme", "a.test", "--tls"}, "--acme obtains the certificate: leave out --tls"},
		{"acme with cert", []string{"serve", dir, "--acme", "a.test", "--cert", certFile, "--key", keyFile}, "--acme obtains the certificate: leave out --cert and --key"},
		{"acme with live reload", []string{"serve", dir, "--acme", "a.test", "--acme-storage", t.TempDir(), "--live-reload"}, "--live-reload does not apply with --cert or --acme"},
		{"acme-email without acme", []string{"serve", dir, "--acme-email", "a@b.c"}, "--acme-email goes with --acme HOSTS"},
		{"addr with a scheme", []string{"serve", "--addr", "http://127.0.0.1:19500"}, `--addr "http://127.0.0.1:19500" is not a listen address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"herald"}, tt.args...), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
}

// TestServeConfigRefusesFlags: with --config, a flag the file decides is a
// usage error naming the setting to use, not silently ignored.
func TestServeConfigRefusesFlags(t *testing.T) {
	cfg := "no-such-herald.toml" // the flags are checked before the file is read
	tests := []struct {
		flags []string
		want  string
	}{
		{[]string{"--addr", "127.0.0.1:19001"}, "--addr does not apply with --config: set listen = [...]"},
		{[]string{"--tls"}, "--tls does not apply with --config: set local = true in the site's [site.tls]"},
		{[]string{"--cert", "c.pem"}, "--cert does not apply with --config: set cert ="},
		{[]string{"--key", "k.pem"}, "--key does not apply with --config: set key ="},
		{[]string{"--push", "off"}, "--push does not apply with --config: set mode ="},
		{[]string{"--hints", "off"}, "--hints does not apply with --config: set hints ="},
		{[]string{"--preload=on"}, "--preload does not apply with --config: set preload ="},
		{[]string{"--http3=off"}, "--http3 does not apply with --config: set http3 = true or false in [server]"},
		{[]string{"--push-max-bytes", "1KiB"}, "set max_bytes in the site's [site.push] in " + cfg},
		{[]string{"--push-max-count", "0"}, "set max_count in the site's [site.push]"},
		{[]string{"--origin", "https://a.example"}, "--origin does not apply with --config: set origin ="},
		{[]string{"--access-log"}, "set access_log = true or \"json\" in [server]"},
		{[]string{"--watch=false"}, "--watch does not apply with --config: the sites of " + cfg + " are built once"},
		{[]string{"--live-reload"}, "--live-reload does not apply with --config"},
		{[]string{"--acme", "a.example"}, "--acme does not apply with --config: set acme = true in the site's [site.tls]"},
		{[]string{"--acme-http-addr", ":8080"}, "--acme-http-addr does not apply with --config: set http_listen in [server.acme]"},
	}
	for _, tt := range tests {
		t.Run(tt.flags[0], func(t *testing.T) {
			args := append([]string{"serve", "--config", cfg}, tt.flags...)
			code, _, stderr := herald(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("herald %v: exit %d, stderr %q; want %d and %q", args, code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestServeAddrInUse: an address that is well formed but cannot be listened
// on is a failure (exit 1), not a usage error; so is it in a bundle, whose
// malformed --addr is a usage error too.
func TestServeAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	code, _, stderr := herald(t, "serve", "--addr", addr)
	if code != exitFindings || !strings.Contains(stderr, "listen on "+addr) {
		t.Errorf("serve --addr %s (in use): exit %d, stderr %q; want %d", addr, code, stderr, exitFindings)
	}
	app := bundledApp(nil) // the address is checked before the bundle is used
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err = app.Run([]string{"mysite", "--addr", "bogus"})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), `--addr "bogus" is not a listen address`) {
		t.Errorf("a bundle's --addr bogus: %v, want a usage error", err)
	}
}
