//go:build race

package compress

// raceEnabled: the race detector multiplies the memory of every goroutine,
// so the bounds on resident memory are checked only without it.
const raceEnabled = true
