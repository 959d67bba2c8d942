package config

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Generous bounds on checking any configuration file: the hostile files
// below took 34 s and 5 GB, over 60 s, 14 s and 4.5 GB, or crashed before
// they were refused; a file of herald's own takes under a millisecond, and
// the largest below 85 ms and 30 MiB. The race detector slows the parser
// and multiplies its allocations about ten times (raceScale).
const (
	checkTimeLimit  = time.Second * raceScale
	checkAllocLimit = 64 << 20 * raceScale
)

// checkBounded parses data and fails t when it takes more time or
// allocates more memory than checkTimeLimit and checkAllocLimit.
func checkBounded(t *testing.T, data []byte) (*Config, error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	c, err := Parse("f.toml", data)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; took > checkTimeLimit || alloc > checkAllocLimit {
		t.Fatalf("checking %d bytes took %v and allocated %d MiB; the bounds are %v and %d MiB",
			len(data), took, alloc>>20, checkTimeLimit, checkAllocLimit>>20)
	}
	return c, err
}

// hostileConfigs are files made to exhaust the parser.
func hostileConfigs() []struct {
	name, data, msg string
	line            int
} {
	const site = "[[site]]\nroot = \"a\"\n"
	var addrs strings.Builder
	for i := range 9990 {
		fmt.Fprintf(&addrs, "\"h%d:80\",", i)
	}
	var unknown strings.Builder
	unknown.WriteString(site)
	for i := range 40000 {
		fmt.Fprintf(&unknown, "key%d = 1\n", i)
	}
	return []struct {
		name, data, msg string
		line            int
	}{
		{"10,000 nested inline tables", site + "x = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000) + "\n",
			"nest more than 32 deep", 3},
		{"2,000,000 nested lists", "x = " + strings.Repeat("[", 2_000_000) + strings.Repeat("]", 2_000_000) + "\n",
			"a configuration file is at most 1 MiB", 1},
		{"a megabyte of nested lists", strings.Repeat("[", 1<<20-10) + "\n",
			"nest more than 32 deep", 1},
		{"a dotted key of 100,000 parts", site + strings.Repeat("a.", 100000) + "b = 1\n",
			"nest more than 32 deep", 3},
		{"a table of 100,000 parts", strings.Repeat("\n", 5) + "[" + strings.Repeat("a.", 100000) + "b]\n" + site,
			"nest more than 32 deep", 6},
		{"40,000 unknown keys", unknown.String(), "more than 10000 keys, tables and list items", 10001},
		{"9,990 unknown keys", unknown.String()[:strings.Index(unknown.String(), "key9990 ")], "unknown key in [site]", 9992},
		{"200,000 listen addresses", site + "listen = [" + strings.Repeat("\":1\",", 200000) + "]\n", "more than 10000 keys, tables and list items", 3},
		{"9,990 listen addresses, each its own", site + "listen = [" + addrs.String() + "\":80\"]\n", "takes the port of \"h0:80\"", 3},
		{"9,990 listen addresses", site + "listen = [" + strings.Repeat("\":1\",", 9990) + "]\n", "\":1\" is listed twice", 3},
	}
}

// TestConfigHostile: a file made to exhaust the parser is refused, or its
// mistakes listed, quickly and with a line.
func TestConfigHostile(t *testing.T) {
	for _, tt := range hostileConfigs() {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkBounded(t, []byte(tt.data))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			for _, e := range list {
				if e.Line == tt.line && strings.Contains(e.Msg, tt.msg) {
					return
				}
			}
			s := err.Error()
			if len(s) > 500 {
				s = s[:500] + "..."
			}
			t.Errorf("want line %d and %q; got:\n%s", tt.line, tt.msg, s)
		})
	}
}

// TestConfigDepth: what herald's settings need, and a little more, is read;
// the deepest nesting is refused at its line, counting table names, dotted
// keys, inline tables and lists, and nothing in strings or comments.
func TestConfigDepth(t *testing.T) {
	const site = "[[site]]\nroot = \"a\"\n"
	deep := strings.Repeat("a.", 31) + "b"   // 32 parts
	deeper := strings.Repeat("a.", 32) + "b" // 33
	tests := []struct {
		name string
		toml string
		line int // 0: not refused for its depth
	}{
		{"inline site", "site = [{root = \"a\", tls = {local = true}, headers = {X-A = \"1\"}}]\n", 0},
		{"32 parts", deep + " = 1\n", 0},
		{"33 parts", "\n" + deeper + " = 1\n", 2},
		{"33 parts in a table name", "[" + deeper + "]\n", 1},
		{"32 in an array of tables", "[[" + strings.Repeat("a.", 30) + "b]]\n", 0},
		{"33 in an array of tables", "[[" + strings.Repeat("a.", 31) + "b]]\n", 1},
		{"table and key add up", site + "[" + strings.Repeat("a.", 20) + "b]\n" + strings.Repeat("c.", 11) + "d = 1\n", 4},
		{"quoted dots are one part", site + `"` + strings.Repeat("a.", 40) + `" = 1` + "\n", 0},
		{"floats are not keys", site + "x = [" + strings.Repeat("1.5, ", 40) + "2.5]\n", 0},
		{"brackets in strings", site + "x = \"" + strings.Repeat("[{", 40) + "\"\ny = '" + strings.Repeat("[", 40) + "'\n", 0},
		{"brackets in multi-line strings", site + "x = \"\"\"\n" + strings.Repeat("[", 40) + "\n\"\"\"\ny = '''" + strings.Repeat("{", 40) + "'''\n", 0},
		{"brackets in comments", site + "# " + strings.Repeat("[", 40) + "\n", 0},
		{"lists of lists", site + "x = " + strings.Repeat("[", 29) + strings.Repeat("]", 29) + "\n", 0},
		{"too many lists", site + "\nx = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", 4},
		{"inline tables in lists", site + "x = [" + strings.Repeat("{a = [", 20) + strings.Repeat("]}", 20) + "]\n", 3},
		{"a list across lines", site + "x = [\n" + strings.Repeat("[\n", 40) + strings.Repeat("]\n", 40) + "]\n", 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("herald.toml", []byte(tt.toml))
			var list Errors
			errors.As(err, &list)
			deep := len(list) == 1 && strings.Contains(list[0].Msg, "nest more than")
			switch {
			case tt.line == 0 && deep:
				t.Errorf("refused: %v", err)
			case tt.line != 0 && (!deep || list[0].Line != tt.line):
				t.Errorf("want refused at line %d; got %v", tt.line, err)
			}
		})
	}
}
