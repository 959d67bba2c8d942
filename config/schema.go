package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"herald/serve"

	"github.com/BurntSushi/toml"
)

// The file as decoded, less [server] and the serve.Settings of each
// [[site]], which are read from the decoded document (parser.serverSettings,
// parser.settings). Leaves are `any` so that a value of the wrong type is
// reported here, with its line, rather than by the decoder.
type rawConfig struct {
	Site []rawSite `toml:"site"`
}

// rawSite holds the keys of a [[site]] other than serve.Settings.
type rawSite struct {
	Name   any    `toml:"name"`
	Hosts  any    `toml:"hosts"`
	Root   any    `toml:"root"`
	Bundle any    `toml:"bundle"`
	Origin any    `toml:"origin"`
	Listen any    `toml:"listen"`
	TLS    rawTLS `toml:"tls"`
}

type rawTLS struct {
	Cert  any `toml:"cert"`
	Key   any `toml:"key"`
	Local any `toml:"local"`
	ACME  any `toml:"acme"`
}

// tableExamples shows how to write each table of the file, for the
// message about a value where a table belongs; tableExample adds the
// tables of serve.Settings.
var tableExamples = map[string]string{
	"server":      "[server]\n\tlisten = [\":443\"]",
	"server.acme": "[server.acme]\n\temail = \"admin@example.com\"",
	"site":        "[[site]]\n\troot = \"public\"",
	"site.tls":    "[site.tls]\n\tcert = \"cert.pem\"\n\tkey = \"key.pem\"",
}

// shape checks that the keys holding tables hold tables: [server] and its
// [server.acme], the [[site]] list, and each site's [site.tls] and the
// tables of serve.Settings ([site.push], [site.cache]). It keeps the
// sites' tables, where their settings are read.
func (p *parser) shape(doc map[string]any) {
	table := func(key, name string, v any) {
		if _, ok := v.(map[string]any); !ok && v != nil {
			p.errorf(key, "%s: write a table, such as\n\t%s", valueIs(v), tableExample(name))
		}
	}
	table("server", "server", doc["server"])
	if server, ok := doc["server"].(map[string]any); ok {
		for _, k := range tablesOf("server") {
			table("server."+k, "server."+k, server[k])
		}
		p.server = server
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
		for _, k := range append([]string{"tls"}, tablesOf("site")...) {
			table(fmt.Sprintf("site[%d].%s", i, k), "site."+k, s[k])
		}
	}
	p.sites = list
}

// settingKeys are the keys of each table read from the decoded document
// rather than by the typed decode: ServerSettings in [server],
// serve.Settings in a [[site]]; dotted in a table of theirs.
var settingKeys = func() map[string][]string {
	m := map[string][]string{}
	for _, s := range ServerSettings {
		m["server"] = append(m["server"], s.Key)
	}
	for _, s := range serve.Settings {
		m["site"] = append(m["site"], s.Key)
	}
	return m
}()

// tablesOf lists the tables of scope ("server", "site") that its
// settingKeys are in, such as "push" for push.mode in a [[site]].
func tablesOf(scope string) []string {
	var list []string
	for _, k := range settingKeys[scope] {
		if table, _, ok := strings.Cut(k, "."); ok && !slices.Contains(list, table) {
			list = append(list, table)
		}
	}
	return list
}

// tableExample shows how to write the table name: from tableExamples, or
// a table of serve.Settings with its first key and that key's default,
// such as [site.push] mode = "auto".
func tableExample(name string) string {
	if ex, ok := tableExamples[name]; ok {
		return ex
	}
	for _, s := range serve.Settings {
		if table, leaf, ok := strings.Cut(s.Key, "."); ok && "site."+table == name {
			return fmt.Sprintf("[%s]\n\t%s = %s", name, leaf, tomlValue(settingDefault(s)))
		}
	}
	return "[" + name + "]"
}

// settingDefault is the value of s in serve.DefaultOptions as the file
// writes it.
func settingDefault(s serve.Setting) any {
	d := serve.DefaultOptions()
	switch f := s.Field(&d).(type) {
	case *bool:
		return *f
	case *int:
		return *f
	case *int64:
		return *f
	case *string:
		return *f
	case *serve.PushMode:
		return string(*f)
	}
	return nil
}

// isSetting reports whether a key of scope (split at its dots) is one of
// its settingKeys, or is a value inside of one (a header of
// [site.headers], a key of an inline table given where a string belongs):
// the check of that setting reports it.
func isSetting(scope string, key []string) bool {
	for n := 1; n <= len(key); n++ {
		if slices.Contains(settingKeys[scope], strings.Join(key[:n], ".")) {
			return true
		}
	}
	return false
}

// tables names the keys each table may hold, for the message about an
// unknown key; keysOf adds [server] and settingKeys.
var tables = map[string]reflect.Type{
	"":         reflect.TypeFor[rawConfig](),
	"site":     reflect.TypeFor[rawSite](),
	"site.tls": reflect.TypeFor[rawTLS](),
}

// keysOf holds validKeys of each table, worked out once.
var keysOf = func() map[string][]string {
	m := map[string][]string{"": {"server"}}
	for table, t := range tables {
		for f := range t.Fields() {
			if tag := f.Tag.Get("toml"); tag != "" {
				m[table] = append(m[table], tag)
			}
		}
	}
	for scope, keys := range settingKeys {
		for _, k := range keys {
			table, leaf, ok := strings.Cut(k, ".")
			if !ok {
				m[scope] = append(m[scope], k)
				continue
			}
			if !slices.Contains(m[scope], table) {
				m[scope] = append(m[scope], table)
			}
			m[scope+"."+table] = append(m[scope+"."+table], leaf)
		}
	}
	return m
}()

func validKeys(table string) []string { return keysOf[table] }

// known reports whether a key the typed decode left is [server], one of
// settingKeys, a table of them, or inside one's value: read from the
// decoded document, not unknown.
func known(k toml.Key) bool {
	switch {
	case len(k) == 1:
		return k[0] == "server"
	case k[0] != "server" && k[0] != "site":
		return false
	case isSetting(k[0], k[1:]):
		return true
	}
	return len(k) == 2 && slices.Contains(tablesOf(k[0]), k[1])
}

func (p *parser) unknown(keys []toml.Key) {
	// A key inside an unknown key's value or table (storage.a of
	// storage = {a = 1}) is not named again: the message about its
	// parent says it all.
	unknownKeys := map[string]bool{}
	for _, k := range keys {
		if !known(k) {
			unknownKeys[k.String()] = true
		}
	}
	inUnknown := func(k toml.Key) bool {
		for i := 1; i < len(k); i++ {
			if unknownKeys[k[:i].String()] {
				return true
			}
		}
		return false
	}
	reported := map[string]int{}
	valid := map[string]string{} // table: its valid keys, as listed in the message
	for _, k := range keys {
		if known(k) || inUnknown(k) {
			continue
		}
		key := k.String()
		table := strings.Join(k[:len(k)-1], ".")
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
