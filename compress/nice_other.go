//go:build !linux

package compress

// lowerPriority does nothing here: the warmer is still only one goroutine.
func lowerPriority() {}
