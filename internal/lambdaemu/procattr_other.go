//go:build !linux

package lambdaemu

import "syscall"

// sysProcAttr returns nil: only Linux can tie the child's life to the parent's.
func sysProcAttr() *syscall.SysProcAttr { return nil }
