package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// The file as decoded. Leaves are `any` so that a value of the wrong type
// is reported here, with its line, rather than by the decoder.
type rawConfig struct {
	Server rawServer `toml:"server"`
	Site   []rawSite `toml:"site"`
}

type rawServer struct {
	Listen            any     `toml:"listen"`
	ReadHeaderTimeout any     `toml:"read_header_timeout"`
	ReadTimeout       any     `toml:"read_timeout"`
	WriteTimeout      any     `toml:"write_timeout"`
	IdleTimeout       any     `toml:"idle_timeout"`
	MaxHeaderBytes    any     `toml:"max_header_bytes"`
	AccessLog         any     `toml:"access_log"`
	Coalesce          any     `toml:"coalesce"`
	HTTP3             any     `toml:"http3"`
	LocalCertDir      any     `toml:"local_cert_dir"`
	Metrics           any     `toml:"metrics"`
	ACME              rawACME `toml:"acme"`
}

type rawACME struct {
	Email      any `toml:"email"`
	Directory  any `toml:"directory"`
	CARoot     any `toml:"ca_root"`
	Storage    any `toml:"storage"`
	HTTPListen any `toml:"http_listen"`
}

type rawSite struct {
	Name      any      `toml:"name"`
	Hosts     any      `toml:"hosts"`
	Root      any      `toml:"root"`
	Bundle    any      `toml:"bundle"`
	Origin    any      `toml:"origin"`
	Listen    any      `toml:"listen"`
	NotFound  any      `toml:"not_found"`
	TLS       rawTLS   `toml:"tls"`
	Push      rawPush  `toml:"push"`
	Cache     rawCache `toml:"cache"`
	Headers   any      `toml:"headers"`
	Compress  any      `toml:"compress"`
	CleanURLs any      `toml:"clean_urls"`
	SPA       any      `toml:"spa"`
	Listing   any      `toml:"listing"`
}

type rawTLS struct {
	Cert  any `toml:"cert"`
	Key   any `toml:"key"`
	Local any `toml:"local"`
	ACME  any `toml:"acme"`
}

type rawPush struct {
	Mode     any `toml:"mode"`
	Hints    any `toml:"hints"`
	Preload  any `toml:"preload"`
	MaxBytes any `toml:"max_bytes"`
	MaxCount any `toml:"max_count"`
}

type rawCache struct {
	HTML      any `toml:"html"`
	Assets    any `toml:"assets"`
	Immutable any `toml:"immutable"`
}

// tableExamples shows how to write each table of the file, for the
// message about a value where a table belongs.
var tableExamples = map[string]string{
	"server":      "[server]\n\tlisten = [\":443\"]",
	"server.acme": "[server.acme]\n\temail = \"admin@example.com\"",
	"site":        "[[site]]\n\troot = \"public\"",
	"site.tls":    "[site.tls]\n\tcert = \"cert.pem\"\n\tkey = \"key.pem\"",
	"site.push":   "[site.push]\n\tmode = \"auto\"",
	"site.cache":  "[site.cache]\n\thtml = \"no-cache\"",
}

// shape checks that the keys holding tables hold tables: [server] and its
// [server.acme], the [[site]] list, and each site's [site.tls], [site.push] and [site.cache].
func (p *parser) shape(doc map[string]any) {
	table := func(key, name string, v any) {
		if _, ok := v.(map[string]any); !ok && v != nil {
			p.errorf(key, "%s: write a table, such as\n\t%s", valueIs(v), tableExamples[name])
		}
	}
	table("server", "server", doc["server"])
	if server, ok := doc["server"].(map[string]any); ok {
		table("server.acme", "server.acme", server["acme"])
	}
	var list []map[string]any
	switch v := doc["site"].(type) {
	case nil:
	case []map[string]any:
		list = v
	case []any:
		for _, s := range v {
			m, ok := s.(map[string]any)
			if !ok {
				p.errorf("site", "%s in the list of sites: write each site as a table, such as\n\t%s", valueIs(s), tableExamples["site"])
				return
			}
			list = append(list, m)
		}
	default:
		p.errorf("site", "%s: write each site as a table, such as\n\t%s", valueIs(v), tableExamples["site"])
	}
	for i, s := range list {
		for _, k := range []string{"tls", "push", "cache"} {
			table(fmt.Sprintf("site[%d].%s", i, k), "site."+k, s[k])
		}
	}
}

// tables names the keys each table may hold, for the message about an
// unknown key.
var tables = map[string]reflect.Type{
	"":            reflect.TypeFor[rawConfig](),
	"server":      reflect.TypeFor[rawServer](),
	"server.acme": reflect.TypeFor[rawACME](),
	"site":        reflect.TypeFor[rawSite](),
	"site.tls":    reflect.TypeFor[rawTLS](),
	"site.push":   reflect.TypeFor[rawPush](),
	"site.cache":  reflect.TypeFor[rawCache](),
}

// keysOf holds validKeys of each table, worked out once.
var keysOf = func() map[string][]string {
	m := map[string][]string{}
	for table, t := range tables {
		for f := range t.Fields() {
			if tag := f.Tag.Get("toml"); tag != "" {
				m[table] = append(m[table], tag)
			}
		}
	}
	return m
}()

func validKeys(table string) []string { return keysOf[table] }

func (p *parser) unknown(keys []toml.Key) {
	reported := map[string]int{}
	valid := map[string]string{} // table: its valid keys, as listed in the message
	for _, k := range keys {
		key := k.String()
		table := strings.Join(k[:len(k)-1], ".")
		if table == "site.headers" {
			continue // reported by the header checks, as a value of the wrong type
		}
		// The indexed path of this occurrence: the first not yet reported
		// among those that read the same without indexes.
		indexed := key
		if same := p.c.lines.same[key]; reported[key] < len(same) {
			indexed = same[reported[key]]
		}
		reported[key]++
		names := validKeys(table)
		msg := "unknown key"
		if table == "" {
			msg += " at the top of the file"
		} else {
			msg += " in [" + table + "]"
		}
		if near := closest(k[len(k)-1], names); near != "" {
			msg += "; did you mean " + near + "?"
		}
		if names != nil {
			list, ok := valid[table]
			if !ok {
				list = " (valid: " + strings.Join(names, ", ") + ")"
				valid[table] = list
			}
			msg += list
		}
		p.errs = append(p.errs, &Error{File: p.c.File, Line: p.c.lines.line(indexed), Key: key, Msg: msg})
	}
}
