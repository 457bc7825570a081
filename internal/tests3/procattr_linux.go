package tests3

import "syscall"

// sysProcAttr makes the kernel kill versitygw if the test process dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
