package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"},
			Settings: settings("vcs.revision", "68eaf1566cf0", "vcs.time", "2026-12-04T17:59:39Z", "vcs.modified", "false")},
			"herald v1.2.0 (revision 68eaf1566cf0, committed 2026-12-04T17:59:39Z, go1.26.0 linux/amd64)"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.1-0.20261204175939-68eaf1566cf0+dirty"},
			Settings: settings("vcs.revision", "68eaf1566cf0", "vcs.time", "2026-12-04T17:59:39Z", "vcs.modified", "true")},
			"herald v1.2.1-0.20261204175939-68eaf1566cf0+dirty (revision 68eaf1566cf0, modified, committed 2026-12-04T17:59:39Z, go1.26.0 linux/amd64)"},
		{"no version control", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"herald (devel) (go1.26.0 linux/amd64)"},
		{"no version at all", &debug.BuildInfo{GoVersion: "go1.26.0"}, "herald (devel) (go1.26.0 linux/amd64)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.info, "linux/amd64"); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if got := versionOf(nil, "linux/amd64"); !strings.HasPrefix(got, "herald (devel) (go") {
		t.Errorf("no build information: %s", got)
	}
}

// TestVersionBinary runs a herald built with version control stamping
// where the checkout allows it (a git worktree, whose .git is a file, gets
// none): --version and version print the same line, with the module
// version and revision that go version -m reads from the executable.
func TestVersionBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "herald")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var want []string
	for line := range strings.Lines(string(meta)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			want = append(want, "herald "+f[2]+" (")
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			want = append(want, "(revision "+strings.TrimPrefix(f[1], "vcs.revision="))
		case len(f) == 2 && f[0] == "build" && f[1] == "vcs.modified=true":
			want = append(want, ", modified,")
		}
	}
	var first string
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || strings.Count(string(out), "\n") != 1 {
			t.Errorf("herald %s: %v\n%s\nwant one line", args[0], err, out)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("herald %s printed %q, want %q in it (go version -m:\n%s)", args[0], out, w, meta)
			}
		}
		if first == "" {
			first = string(out)
		} else if string(out) != first {
			t.Errorf("herald %s printed %q, herald --version %q", args[0], out, first)
		}
	}
	if out, err := exec.Command(bin, "version", "extra").CombinedOutput(); err == nil || !strings.Contains(string(out), "takes no arguments") {
		t.Errorf("herald version extra: %v\n%s", err, out)
	}
}
