package lambdaemu

import "syscall"

// sysProcAttr makes the kernel kill the emulator if the test process dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
