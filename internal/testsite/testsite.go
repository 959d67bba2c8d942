// Package testsite finds the real sites and tools the tests run against:
// Debian's documentation packages copied with their links resolved, and
// programs such as nghttp or chromium. `make test` installs and prepares them.
//
// Outside CI a test whose site or tool is missing is skipped; under CI ($CI
// set, and not to false or 0) it fails, so a missing install step can never
// pass unnoticed.
package testsite

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the folder holding the prepared sites: $HERALD_TEST_SITES, or
// .cache/sites at the top of the repository (where `make testsites` puts them).
func Root() string {
	if d := os.Getenv("HERALD_TEST_SITES"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", ".cache", "sites")
}

// Dir returns the folder of a prepared site ("python", "postgres",
// "reveal.js", "swagger-ui-dist"), or skips (fails under CI) when it is absent.
func Dir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(Root(), name)
	if _, err := os.Stat(dir); err != nil {
		missing(t, "site "+name+" is not prepared ("+dir+"): run make testsites")
	}
	return dir
}

// Tool returns the path of a program, or skips (fails under CI) when it is
// not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// make testdeps installs Go programs (pebble) with go install,
		// into GOBIN or GOPATH/bin, which need not be on PATH.
		dir := os.Getenv("GOBIN")
		if dir == "" {
			dir = filepath.Join(build.Default.GOPATH, "bin")
		}
		if p, err = exec.LookPath(filepath.Join(dir, name)); err != nil {
			missing(t, name+" is not installed: run make testdeps")
		}
	}
	return p
}

func missing(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatal(why)
	}
	t.Skip(why)
}

// CI reports whether the tests run under CI: $CI is set to anything but
// "", "false" or "0" (CI services set true, 1 or yes).
func CI() bool {
	switch os.Getenv("CI") {
	case "", "false", "0":
		return false
	}
	return true
}

// RunWithTempCache runs a package's tests with the user's cache folder
// (XDG_CACHE_HOME, where herald keeps compressed forms) set to a temporary
// one, removed at the end, so tests neither read nor fill the real one. Go's
// build cache stays where it was: the tests that build herald would
// otherwise start from an empty one. Call it from TestMain.
func RunWithTempCache(m *testing.M) int {
	if os.Getenv("GOCACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			os.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
		}
	}
	dir, err := os.MkdirTemp("", "herald-test-cache-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_CACHE_HOME", dir)
	return m.Run()
}

// WriteDir writes files (slash-separated name: content) into a new
// temporary folder and returns it.
func WriteDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
