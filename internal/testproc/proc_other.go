//go:build !linux

package testproc

import (
	"syscall"
	"time"
)

// sysProcAttr returns nil: only Linux can tie the child's life to the parent's.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// waitStopped returns at once: without /proc there is nothing to watch, and the stop follows
// SIGSTOP closely.
func waitStopped(pid int, timeout time.Duration) {}
