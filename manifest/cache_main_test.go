package manifest

import (
	"os"
	"testing"

	"herald/internal/testsite"
)

// TestMain keeps the tests' compressed forms out of the user's cache folder.
func TestMain(m *testing.M) { os.Exit(testsite.RunWithTempCache(m)) }
