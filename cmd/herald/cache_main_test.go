package main

import (
	"os"
	"testing"

	"herald/internal/testsite"
)

// TestMain keeps the tests' compressed forms out of the user's cache
// folder, and removes the herald executable the tests shared.
func TestMain(m *testing.M) {
	code := testsite.RunWithTempCache(m)
	if heraldBinDir != "" {
		os.RemoveAll(heraldBinDir)
	}
	os.Exit(code)
}
