package testproc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysProcAttr makes the kernel kill the child if the test process dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// waitStopped waits until every thread of process pid is stopped, or timeout passes: SIGSTOP is
// delivered to each thread on its own, so kill(2) returns before the process has stopped.
func waitStopped(pid int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for !allStopped(pid) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether /proc shows every thread of pid in state T (stopped).
func allStopped(pid int) bool {
	stats, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil || len(stats) == 0 {
		return false
	}
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name, which may itself hold ") ".
		i := strings.LastIndex(string(data), ") ")
		if i < 0 || i+2 >= len(data) || data[i+2] != 'T' {
			return false
		}
	}
	return true
}
