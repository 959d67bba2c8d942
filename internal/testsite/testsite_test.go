package testsite

import (
	"runtime"
	"testing"
)

// outcome records whether missing failed or skipped; either ends the
// goroutine, as testing's own do.
type outcome struct {
	testing.TB
	failed, skipped bool
}

func (o *outcome) Helper()      {}
func (o *outcome) Fatal(...any) { o.failed = true; runtime.Goexit() }
func (o *outcome) Skip(...any)  { o.skipped = true; runtime.Goexit() }

// run calls f with an outcome on a goroutine of its own.
func run(t *testing.T, f func(testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(o)
	}()
	<-done
	return o
}

func TestMissingFailsUnderCI(t *testing.T) {
	for _, c := range []struct {
		ci   string
		fail bool
	}{
		{"", false}, {"false", false}, {"0", false},
		{"true", true}, {"1", true}, {"yes", true}, {"TRUE", true},
	} {
		t.Run("CI="+c.ci, func(t *testing.T) {
			t.Setenv("HERALD_TEST_SITES", t.TempDir())
			t.Setenv("CI", c.ci)
			for name, f := range map[string]func(testing.TB){
				"site": func(tb testing.TB) { Dir(tb, "no such site") },
				"tool": func(tb testing.TB) { Tool(tb, "no-such-tool-herald") },
			} {
				o := run(t, f)
				if o.failed != c.fail || o.skipped == c.fail {
					t.Errorf("CI=%q, missing %s: failed %v, skipped %v; want failed %v", c.ci, name, o.failed, o.skipped, c.fail)
				}
			}
		})
	}
}
