package bundle

import (
	"os"
	"testing"
)

// TestMain keeps the tests' compressed forms out of the user's cache
// folder: they go to a temporary one, removed at the end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herald-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
