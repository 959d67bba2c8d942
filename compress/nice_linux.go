package compress

import (
	"runtime"
	"syscall"
)

// lowerPriority runs the calling goroutine, from now on, on a thread of its
// own at nice 19. The thread is never unlocked, so it ends with the
// goroutine and its priority goes nowhere else.
func lowerPriority() {
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
