// Package testproc runs the server processes that test helpers (testredis, tests3) start: on a free
// 127.0.0.1 port, tied to the test process's life, polled until they answer, and stopped by process
// id (a signal, then SIGKILL after a grace period). Start runs one process; Runner keeps one server
// running across stops and restarts on the same port. It finds the tools `make test` installs, and
// quotes the tail of a server's log when it fails to start.
//
// It imports only the standard library, and not package testing (see TB). Besides tests, only the
// benchmark harness (bench), through those helpers, may use it.
package testproc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// pollInterval is the pause between two readiness probes.
	pollInterval = 10 * time.Millisecond
	// stopWait bounds Pause's wait for every thread to stop.
	stopWait = time.Second
	// tailBytes bounds the log excerpt LogTail returns.
	tailBytes = 2000
	// toolsEnv names a directory searched for tools before the module's .tools directory.
	toolsEnv = "FROCKET_TOOLS_DIR"
	// modulePath identifies the go.mod of the module root while walking up from the working directory.
	modulePath = "github.com/frocket/frocket"
)

// Process is one run of a server started by Start. Its methods are not safe for concurrent use: the
// owner (a server helper holding its mutex) calls them one at a time.
type Process struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when Wait returns
	paused bool
}

// Start starts cmd, which must write its log to logPath, and calls ready every few milliseconds
// until it returns nil. On Linux the kernel kills the process if the test process dies first
// (cmd.SysProcAttr is replaced). If the process exits first, or ready still fails after timeout,
// Start kills it and returns an error ending with the tail of the log.
func Start(cmd *exec.Cmd, logPath string, timeout time.Duration, ready func() error) (*Process, error) {
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(timeout, ready); err != nil {
		p.Stop(syscall.SIGKILL, 0)
		return nil, fmt.Errorf("%w; log %s:\n%s", err, logPath, LogTail(logPath))
	}
	return p, nil
}

// waitReady polls ready until it returns nil, the process exits, or timeout passes.
func (p *Process) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return errors.New("exited before answering")
		default:
		}
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited returns a channel that is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Stop sends sig (and SIGCONT to a paused process, so it can act on it) and returns once the
// process has exited, sending SIGKILL if it is still running after grace. Stopping an exited process,
// or a nil one, does nothing.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(sig)
	if p.paused {
		p.cmd.Process.Signal(syscall.SIGCONT)
		p.paused = false
	}
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Pause freezes the process (SIGSTOP) and, on Linux, returns once every thread has stopped: it keeps
// its port and the kernel still accepts connections into the backlog, but it answers nothing, as a
// hung server would. Resume and Stop undo it.
func (p *Process) Pause() error {
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pause process %d: %w", p.Pid(), err)
	}
	p.paused = true
	waitStopped(p.Pid(), stopWait)
	return nil
}

// Resume lets a paused process run again; it does nothing to a process that is not paused.
func (p *Process) Resume() error {
	if !p.paused {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("resume process %d: %w", p.Pid(), err)
	}
	p.paused = false
	return nil
}

// FreePort asks the kernel for a free port on 127.0.0.1. Another process may take it before the
// caller binds it: then try another (Runner.StartFreePort does).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// onFreePort calls start with a new free port until it succeeds, at most attempts times, in case
// another process takes a port between FreePort and start. It returns start's last error.
func onFreePort(attempts int, start func(port int) error) error {
	err := errors.New("no attempt to start")
	for range attempts {
		var port int
		if port, err = FreePort(); err != nil {
			return err
		}
		if err = start(port); err == nil {
			return nil
		}
	}
	return err
}

// retry calls start until it succeeds, at most attempts times, sleeping pause after each failure,
// and returns start's last error.
func retry(attempts int, pause time.Duration, start func() error) error {
	err := errors.New("no attempt to start")
	for i := range attempts {
		if err = start(); err == nil {
			return nil
		}
		if i < attempts-1 {
			time.Sleep(pause)
		}
	}
	return err
}

// LogTail returns the end of the log at path (at most 2000 bytes), for error messages.
func LogTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > tailBytes {
		data = data[len(data)-tailBytes:]
	}
	return string(data)
}

// FindTool finds the executable name in $FROCKET_TOOLS_DIR, then in the module's .tools directory
// (where `make test` installs it), then on PATH, and returns its absolute path. The error lists the
// places tried and says to run `make test`.
func FindTool(name string) (string, error) {
	var tried []string
	if dir := os.Getenv(toolsEnv); dir != "" {
		p := filepath.Join(dir, name)
		if isExecutable(p) {
			return filepath.Abs(p)
		}
		tried = append(tried, p)
	}
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, ".tools", name)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, "PATH")
	return "", fmt.Errorf("%s not found (tried %s); run `make test`, which installs it into .tools/", name, strings.Join(tried, ", "))
}

// isExecutable reports whether p is a regular file with an execute bit.
func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// moduleRoot walks up from the working directory (a package directory under go test) to the
// directory whose go.mod declares this module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod at p declares modulePath.
func declaresModule(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// TB is the part of testing.TB that the server helpers (testredis, tests3, lambdaemu) use; a
// *testing.T, *testing.B or testing.TB satisfies it. They take it instead of testing.TB so that none
// of them imports package testing: the frocket binary links them through its benchmark harness
// (bench/e2e_procs.go), and it must not link testing (cmd/frocket's TestBinaryDoesNotLinkTesting).
type TB interface {
	Helper()
	Error(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(f func())
	TempDir() string
}
