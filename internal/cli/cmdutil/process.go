package cmdutil

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process runs on this machine: the owner
// of a rollout (its PID in the store) that must not be resumed or aborted
// as if it had died.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
