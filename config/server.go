package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"
	"time"

	"herald/localca"
	"herald/serve"
)

// Server holds the settings shared by every site and listener: [server]
// and its [server.acme]. Each field a user sets is one of ServerSettings.
// A zero timeout or limit means the server's default.
type Server struct {
	serve.Limits                       // the listeners' timeouts and header size
	AccessLog    serve.AccessLogFormat // "" or off: none
	Coalesce     bool                  // gather each connection's TLS records into fewer writes
	HTTP3        bool                  // serve HTTP/3 over UDP beside each TLS listener
	// Listen is where sites that give no listen addresses listen.
	Listen []string
	// LocalCertDir keeps the local development CA of sites with
	// tls.local = true; empty means localca.DefaultDir. Read it with
	// CertDir.
	LocalCertDir string
	// Metrics is the address of the Prometheus metrics endpoint; empty:
	// none.
	Metrics string
	// ACME is where the sites with tls.acme = true get their certificates.
	ACME ACME
}

// ACME is [server.acme]: the certificate authority of the sites with
// tls.acme = true, and herald's plain-HTTP listener for them.
type ACME struct {
	Email     string // the account's contact address
	Directory string // the directory URL; "": Let's Encrypt (acme.LetsEncrypt)
	CARoot    string // PEM roots to trust for the directory's own TLS; "": the system's
	Storage   string // accounts, keys and certificates; "": acme.DefaultStorage
	// HTTPListen answers HTTP-01 challenges and redirects every other
	// request to HTTPS, when a site uses ACME.
	HTTPListen string
}

// DefaultACMEHTTPListen is the plain-HTTP listener of ACME sites: the
// authority validates HTTP-01 on port 80.
const DefaultACMEHTTPListen = ":80"

// DefaultServer is [server] as a file that leaves out every key has it.
func DefaultServer() Server {
	return Server{Coalesce: true, HTTP3: true, ACME: ACME{HTTPListen: DefaultACMEHTTPListen}}
}

// CertDir is the folder of the local certificate authority: LocalCertDir,
// or the one herald serve --tls uses.
func (s *Server) CertDir() (string, error) {
	if s.LocalCertDir != "" {
		return s.LocalCertDir, nil
	}
	return localca.DefaultDir()
}

// ServerSetting is one key of [server] (or of its [server.acme]) and,
// when it has one, its flag of herald serve and of a bundle. The schema of
// [server], the messages about its unknown keys, the flags, their
// defaults (from DefaultServer) and the message that sends a flag to the
// file under --config are all made from ServerSettings: a new key is a
// field of Server, an entry here and a line of the README's example
// configuration.
type ServerSetting struct {
	// Key is where [server] sets it, dotted when it is in a table of
	// [server]: "acme.email" is email in [server.acme].
	Key string
	// Flag is its flag, without dashes; "" when only the file sets it.
	Flag string
	// Usage is the flag's help; a word in back quotes names its value.
	Usage string
	// Field points at the setting in s. Its type says how it is written:
	//
	//	*bool                  true or false; a switch on the command line
	//	*time.Duration         a duration: "30s", "1m30s"
	//	*int                   a size in bytes: "64KiB", "1MB" or a number
	//	*string                a string Check accepts; "" leaves the default
	//	*[]string              listen addresses: [":443", "127.0.0.1:8080"]
	//	*serve.AccessLogFormat true, false, "text", "json" or "off"
	Field func(s *Server) any
	// Path marks a *string that names a file or folder: relative to the
	// configuration file's folder, ~/ the home folder.
	Path bool
	// Check refuses a string value, even "", saying what to write; nil
	// takes any.
	Check func(string) error
}

// ServerSettings lists every ServerSetting, in the order of the keys in
// the message about an unknown key of [server].
var ServerSettings = []ServerSetting{
	{Key: "listen", Field: func(s *Server) any { return &s.Listen }},
	{Key: "read_header_timeout", Field: func(s *Server) any { return &s.ReadHeaderTimeout }},
	{Key: "read_timeout", Field: func(s *Server) any { return &s.ReadTimeout }},
	{Key: "write_timeout", Field: func(s *Server) any { return &s.WriteTimeout }},
	{Key: "idle_timeout", Field: func(s *Server) any { return &s.IdleTimeout }},
	{Key: "max_header_bytes", Field: func(s *Server) any { return &s.MaxHeaderBytes }},
	{Key: "access_log", Flag: "access-log", Usage: "log every request on standard error: --access-log alone or =text a logfmt line, =json a JSON object, =off none (write the =)",
		Field: func(s *Server) any { return &s.AccessLog }},
	{Key: "coalesce", Field: func(s *Server) any { return &s.Coalesce }},
	{Key: "http3", Flag: "http3", Usage: "HTTP/3 over UDP on the same port, with TLS",
		Field: func(s *Server) any { return &s.HTTP3 }},
	{Key: "local_cert_dir", Path: true, Field: func(s *Server) any { return &s.LocalCertDir }},
	{Key: "metrics", Flag: "metrics", Usage: "serve Prometheus metrics at http://`HOST:PORT`/metrics, such as 127.0.0.1:9180",
		Field: func(s *Server) any { return &s.Metrics }, Check: checkMetrics},
	{Key: "acme.email", Flag: "acme-email", Usage: "the ACME account's contact `ADDRESS`",
		Field: func(s *Server) any { return &s.ACME.Email }, Check: checkEmail},
	{Key: "acme.directory", Flag: "acme-directory", Usage: "the ACME directory `URL`",
		Field: func(s *Server) any { return &s.ACME.Directory }, Check: checkDirectory},
	{Key: "acme.ca_root", Flag: "acme-ca-root", Usage: "PEM `FILE` of the roots to trust for the ACME server's own HTTPS", Path: true,
		Field: func(s *Server) any { return &s.ACME.CARoot }},
	{Key: "acme.storage", Flag: "acme-storage", Usage: "keep accounts and certificates in `DIR` (default ~/.config/herald/acme)", Path: true,
		Field: func(s *Server) any { return &s.ACME.Storage }},
	{Key: "acme.http_listen", Flag: "acme-http-addr", Usage: "answer HTTP-01 challenges and redirect to HTTPS on `HOST:PORT`",
		Field: func(s *Server) any { return &s.ACME.HTTPListen }, Check: checkACMEListen},
}

// Table is the table of [server] that s is in ("acme"), or "".
func (s ServerSetting) Table() string {
	table, _, _ := strings.Cut(s.Key, ".")
	if table == s.Key {
		return ""
	}
	return table
}

// FileKey says how herald.toml sets s: "http3 = true or false in
// [server]", "email in [server.acme]".
func (s ServerSetting) FileKey() string {
	_, leaf, ok := strings.Cut(s.Key, ".")
	table := "server"
	if ok {
		table += "." + s.Table()
	} else {
		leaf = s.Key
	}
	switch s.Field(&Server{}).(type) {
	case *bool:
		leaf += " = true or false"
	case *serve.AccessLogFormat:
		leaf += ` = true or "json"`
	}
	return leaf + " in [" + table + "]"
}

// serverSettings reads ServerSettings from doc, the [server] table as
// decoded (nil when the file has none), into the config's Server, which
// starts as DefaultServer.
func (p *parser) serverSettings(doc map[string]any) {
	s := &p.c.Server
	*s = DefaultServer()
	for _, st := range ServerSettings {
		v := lookup(doc, st.Key)
		if v == nil {
			continue
		}
		key := "server." + st.Key
		switch f := st.Field(s).(type) {
		case *bool:
			*f = p.boolean(key, v, *f)
		case *time.Duration:
			*f = p.duration(key, v, *f)
		case *int:
			*f = int(p.size(key, v, int64(*f)))
		case *[]string:
			*f = p.addrs(key, v)
		case *serve.AccessLogFormat:
			*f = p.accessLog(key, v)
		case *string:
			str := p.str(key, v)
			if st.Check != nil {
				if err := st.Check(str); err != nil {
					p.errorf(key, "%v", err)
				}
			}
			switch {
			case str == "":
			case st.Path:
				*f = p.path(str)
			default:
				*f = str
			}
		default:
			panic(fmt.Sprintf("config: ServerSettings %s: a field of type %T", st.Key, f))
		}
	}
}

func checkMetrics(a string) error {
	if a != "" && !ValidListenAddr(a) {
		return fmt.Errorf("%q is not a listen address: write host:port, such as \"127.0.0.1:9180\"", a)
	}
	return nil
}

func checkEmail(a string) error {
	if a != "" && !strings.Contains(a, "@") {
		return fmt.Errorf("%q is not an email address: write one such as \"admin@example.com\", where the authority can warn of certificates about to expire", a)
	}
	return nil
}

func checkDirectory(d string) error {
	if d == "" {
		return nil
	}
	if u, err := url.Parse(d); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an ACME directory URL: write the https:// URL of the directory, such as \"https://acme-v02.api.letsencrypt.org/directory\" (the default)", d)
	}
	return nil
}

// checkACMEListen refuses an address without a port, "" included: the
// authority connects to it.
func checkACMEListen(a string) error {
	if _, port, _ := net.SplitHostPort(a); !ValidListenAddr(a) || port == "0" {
		return fmt.Errorf("%q is not a listen address with a port: write host:port or :port, such as \":80\" (the default; the authority validates on port 80)", a)
	}
	return nil
}

// ChangedServerKeys lists the keys of ServerSettings whose values differ
// between a and b, as [server] writes them ("http3", "acme.email"), in the
// order of ServerSettings.
func ChangedServerKeys(a, b Server) []string {
	var keys []string
	for _, st := range ServerSettings {
		if !reflect.DeepEqual(st.Field(&a), st.Field(&b)) {
			keys = append(keys, st.Key)
		}
	}
	return keys
}
