package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/serve"

	"github.com/urfave/cli/v2"
)

// site writes a small site into a temporary folder.
func site(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func herald(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"herald"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBuildAndCheck(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href=a.css><script src=a.js></script>`,
		"a.css":      `body{}`, "a.js": `1`,
	})
	steps := []struct {
		name     string
		args     []string
		edit     func()
		code     int
		out, err string // substrings
	}{
		{name: "check before any build", args: []string{"check", dir}, code: 1, out: "push-manifest.json does not exist: run herald build"},
		{name: "build", args: []string{"build", dir}, code: 0, out: "1 pages, 3 files; 2 critical assets"},
		{name: "check a fresh manifest", args: []string{"check", dir}, code: 0, out: "ok: 1 pages"},
		{name: "budget", args: []string{"check", dir, "--max-assets", "1", "--max-bytes", "1KiB"}, code: 1, out: "budget: 1 page over 1 critical assets (most: /index.html with 2; heaviest: /a.css 6 B in 1 page, /a.js 1 B in 1 page)"},
		{name: "stale after an edit", edit: func() { os.WriteFile(filepath.Join(dir, "a.css"), []byte("body{color:red}"), 0o644) },
			args: []string{"check", dir}, code: 1, out: "stale: /a.css changed (15 bytes, was 6): the manifest is stale, run herald build; affects 1 page: /index.html"},
		{name: "broken reference", edit: func() { os.WriteFile(filepath.Join(dir, "b.html"), []byte("\n<script src=gone.js></script>"), 0o644) },
			args: []string{"build", dir, "-o", filepath.Join(dir, "elsewhere.json")}, code: 0},
		{name: "missing asset named with page and line", args: []string{"check", "--manifest", filepath.Join(dir, "elsewhere.json"), dir}, code: 1, out: "missing: script /gone.js does not exist: fix the reference or add the file; referenced from /b.html:2"},
		{name: "json", args: []string{"check", dir, "--format", "json", "--manifest", filepath.Join(dir, "elsewhere.json")}, code: 1, out: `"kind": "missing"`},
		{name: "no such folder", args: []string{"build", filepath.Join(dir, "nope")}, code: 2, err: "herald: error: site folder"},
		{name: "bad format", args: []string{"check", dir, "--format", "xml"}, code: 2, err: "--format"},
		{name: "bad size", args: []string{"check", dir, "--max-bytes", "lots"}, code: 2, err: "is not a size"},
		{name: "NaN size", args: []string{"check", dir, "--max-bytes", "NaN"}, code: 2, err: `--max-bytes: "NaN" is not a size`},
		{name: "unknown flag", args: []string{"build", dir, "--nope"}, code: 2, err: "flag provided but not defined"},
		{name: "bad origin", args: []string{"build", dir, "--origin", "example.com"}, code: 2, err: "give a scheme and host"},
	}
	for _, s := range steps {
		if s.edit != nil {
			s.edit()
		}
		code, out, errs := herald(t, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errs, s.err) {
			t.Errorf("%s: herald %v\nexit %d (want %d)\nstdout:\n%s\nstderr:\n%s", s.name, s.args, code, s.code, out, errs)
		}
	}
}

func TestCheckJSONIsParseable(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=gone.css>`})
	herald(t, "build", dir)
	code, out, _ := herald(t, "check", dir, "--format", "json")
	var v struct {
		Findings []struct{ Kind, Page, File, Message string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || len(v.Findings) != 1 || v.Findings[0].Kind != "missing" {
		t.Errorf("exit %d, %v, %+v\n%s", code, err, v, out)
	}
}

// TestFlagWithoutValue: a value flag given last, without its value, is a
// usage error; it must not take the site folder as its value.
func TestFlagWithoutValue(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", dir, "--manifest"}, "flag needs an argument: --manifest"},
		{[]string{"check", dir, "--max-assets"}, "flag needs an argument: --max-assets"},
		{[]string{"build", dir, "-o"}, "flag needs an argument: -o"},
		{[]string{"build", dir, "--output"}, "flag needs an argument: --output"},
		{[]string{"export", dir, "--to"}, "flag needs an argument: --to"},
		{[]string{"bundle", dir, "-o"}, "flag needs an argument: -o"},
		{[]string{"build", "-o"}, "flag needs an argument: -o"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:1], " ")+" "+tt.args[len(tt.args)-1], func(t *testing.T) {
			code, _, stderr := herald(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("herald %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "push-manifest.json")); err == nil {
				t.Errorf("herald %v wrote a manifest", tt.args)
			}
		})
	}
}

// TestUnknownCommand: a name that is not a command is a usage error
// returned to run, which decides the exit code (urfave/cli's help command
// called os.Exit(3) itself).
func TestUnknownCommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch": see herald --help`},
		{[]string{"nosuch", "public"}, `unknown command "nosuch": see herald --help`},
		{[]string{"config", "nosuch"}, `unknown command "nosuch": see herald config --help`},
		{[]string{"ca", "nosuch"}, `unknown command "nosuch": see herald ca --help`},
		{[]string{"config", "help", "nosuch"}, "No help topic for 'nosuch'"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := herald(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("herald %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
			}
		})
	}
	for _, args := range [][]string{{}, {"config"}, {"ca"}} {
		if code, stdout, _ := herald(t, args...); code != exitOK || !strings.Contains(stdout, "USAGE:") {
			t.Errorf("herald %v: exit %d, %q; want help and 0", args, code, stdout)
		}
	}
}

// TestEmptyFolderArgument: an empty argument where the site folder goes
// ("$DIR" with DIR unset) is a usage error; it served, built or bundled the
// current folder. The same for --config "", which served the example site.
func TestEmptyFolderArgument(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	t.Chdir(dir) // what the commands took instead
	out := filepath.Join(t.TempDir(), "mysite")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "", "--addr", "127.0.0.1:0"}, `the site folder is an empty argument ("")`},
		{[]string{"serve", "--config", "", "--addr", "127.0.0.1:0"}, `--config is an empty argument ("")`},
		{[]string{"build", ""}, `the site folder is an empty argument ("")`},
		{[]string{"build", "", "--watch"}, `the site folder is an empty argument ("")`},
		{[]string{"check", ""}, `the site folder is an empty argument ("")`},
		{[]string{"export", "", "--to", "nginx"}, `the site folder is an empty argument ("")`},
		{[]string{"bundle", "", "-o", out}, `the site folder is an empty argument ("")`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.args), func(t *testing.T) {
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, stderr := herald(t, tt.args...)
				done <- result{code, stderr}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				interrupt(t) // it is serving or watching the current folder
				r = <-done
				t.Errorf("herald %q ran until interrupted", tt.args)
			}
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("herald %q: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("written into the current folder: %v", entries)
	}
}

// TestHelp: herald help and herald help COMMAND print help and exit 0, as
// --help does; they were unknown commands.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "herald [global options] command"},
		{[]string{"--help"}, "herald [global options] command"},
		{[]string{"help", "serve"}, "herald serve [command options] [DIR]"},
		{[]string{"help", "check"}, "herald check [command options]"},
		{[]string{"serve", "--help"}, "herald serve [command options] [DIR]"},
		{[]string{"help", "config"}, "herald config [command options]"},
		{[]string{"help", "version"}, "herald version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := herald(t, tt.args...)
			if code != exitOK || !strings.Contains(stdout, tt.want) || stderr != "" {
				t.Errorf("herald %v: exit %d, stderr %q, stdout:\n%s\nwant 0 and %q", tt.args, code, stderr, stdout, tt.want)
			}
		})
	}
	if code, _, stderr := herald(t, "help", "nosuch"); code != exitUsage || !strings.Contains(stderr, "No help topic for 'nosuch'") {
		t.Errorf("herald help nosuch: exit %d, %q", code, stderr)
	}
}

// TestOneDefaultPerFlag: the help of every flag of every command names at
// most one default; --max-assets and --live-reload said theirs in words
// and then "(default: 0)" and "(default: false)".
func TestOneDefaultPerFlag(t *testing.T) {
	seen := map[*cli.Command]bool{} // urfave/cli's help command is among its own subcommands
	var visit func(path string, cmds []*cli.Command)
	visit = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			if seen[c] {
				continue
			}
			seen[c] = true
			for _, f := range c.Flags {
				if line := f.String(); strings.Count(line, "(default: ") > 1 {
					t.Errorf("%s %s: %s", path, c.Name, line)
				}
			}
			visit(path+" "+c.Name, c.Subcommands)
		}
	}
	visit("herald", newApp().Commands)
	for _, tt := range []struct{ cmd, want string }{
		{"check", "per-page budget of critical assets (default: none)\n"},
		{"serve", "never with --cert)\n"},
		{"serve", `(default: "127.0.0.1:8080")`}, // the other flags keep urfave/cli's
	} {
		if _, out, _ := herald(t, tt.cmd, "--help"); !strings.Contains(out, tt.want) {
			t.Errorf("herald %s --help: no %q in\n%s", tt.cmd, tt.want, out)
		}
	}
}

// TestUnknownFlagAsTyped: an unknown flag is named as it was typed; package
// flag always wrote one dash.
func TestUnknownFlagAsTyped(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--port", "80"}, "flag provided but not defined: --port\n"},
		{[]string{"serve", "-port", "80"}, "flag provided but not defined: -port\n"},
		{[]string{"build", dir, "--nope=1"}, "flag provided but not defined: --nope\n"},
		{[]string{"config", "check", "--strict"}, "flag provided but not defined: --strict\n"},
		{[]string{"--verbose"}, "flag provided but not defined: --verbose\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := herald(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("herald %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestCompletion: herald completion prints a script for each shell that
// names herald; bash's parses, and the candidates it asks for are there.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			code, out, stderr := herald(t, "completion", shell)
			if code != exitOK || !strings.Contains(out, "herald") || stderr != "" {
				t.Fatalf("herald completion %s: exit %d, stderr %q, stdout:\n%s", shell, code, stderr, out)
			}
			if shell != "bash" {
				return
			}
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = strings.NewReader(out)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, msg)
			}
		})
	}
	if code, _, stderr := herald(t, "completion", "tcsh"); code != exitUsage || !strings.Contains(stderr, `no completion for shell "tcsh"`) {
		t.Errorf("herald completion tcsh: exit %d, %q", code, stderr)
	}
}

// TestRunsStartAfresh: each run of the command line has commands and
// flags of its own, so what urfave/cli sets on them as it runs (a flag's
// value, a command's HelpName) never reaches the next run in the process.
func TestRunsStartAfresh(t *testing.T) {
	for i := range 2 {
		if _, out, _ := herald(t, "serve", "--help"); strings.Contains(out, "herald herald") || !strings.Contains(out, "herald serve") {
			t.Errorf("run %d: help names the command %q", i, out[:min(len(out), 120)])
		}
	}
	var got []serve.Options
	for _, args := range [][]string{{"herald", "serve", "--hints=off", "--access-log=json"}, {"herald", "serve"}} {
		app := newApp()
		for _, c := range app.Commands {
			if c.Name == "serve" {
				c.Action = func(c *cli.Context) error {
					opts, err := handlerOptions(c)
					got = append(got, opts)
					return err
				}
			}
		}
		if err := app.Run(args); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].Hints || !got[1].Hints || got[1].AccessLog != nil {
		t.Errorf("the second run kept the first one's flags: hints %v then %v, access log then %v", got[0].Hints, got[1].Hints, got[1].AccessLog)
	}
}
