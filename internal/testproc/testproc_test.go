package testproc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the server the tests start: with TESTPROC_HELPER set, the test binary runs
// that helper instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("TESTPROC_HELPER"); mode != "" {
		os.Exit(helper(mode, os.Getenv("TESTPROC_PORT")))
	}
	os.Exit(m.Run())
}

// helper runs one kind of child: "serve" answers each line with "ok" on TESTPROC_PORT, "stubborn"
// does so ignoring SIGTERM, "exit" logs and exits at once, "mute" never listens.
func helper(mode, port string) int {
	switch mode {
	case "exit":
		fmt.Fprintln(os.Stderr, "helper: cannot start, bad config")
		return 3
	case "mute":
		time.Sleep(time.Minute)
		return 0
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("helper: listening on", l.Addr())
	for {
		conn, err := l.Accept()
		if err != nil {
			return 1
		}
		go func() {
			defer conn.Close()
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				fmt.Fprintln(conn, "ok")
			}
		}()
	}
}

// helperCmd returns a command running the helper mode with its output in a log file in dir.
func helperCmd(t *testing.T, mode string, port int) (*exec.Cmd, string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "helper.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TESTPROC_HELPER="+mode, "TESTPROC_PORT="+strconv.Itoa(port))
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	return cmd, logPath
}

// ask sends a line to the helper on port and expects "ok" within timeout.
func ask(port int, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintln(conn, "hello"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ok\n" {
		return fmt.Errorf("answered %q", line)
	}
	return nil
}

// startHelper starts a helper on a free port and registers its stop.
func startHelper(t *testing.T, mode string) (*Process, int) {
	t.Helper()
	var p *Process
	var port int
	err := onFreePort(3, func(free int) error {
		cmd, logPath := helperCmd(t, mode, free)
		var err error
		p, err = Start(cmd, logPath, 10*time.Second, func() error { return ask(free, time.Second) })
		port = free
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(syscall.SIGKILL, 0) })
	return p, port
}

// exited reports whether p has exited.
func exited(p *Process) bool {
	select {
	case <-p.Exited():
		return true
	default:
		return false
	}
}

func TestStartStop(t *testing.T) {
	p, port := startHelper(t, "serve")
	if p.Pid() <= 0 || p.Pid() == os.Getpid() {
		t.Fatalf("Pid() = %d", p.Pid())
	}
	if err := ask(port, time.Second); err != nil {
		t.Fatalf("ask after Start: %v", err)
	}
	start := time.Now()
	p.Stop(syscall.SIGTERM, 5*time.Second)
	if !exited(p) {
		t.Fatal("Stop returned before the process exited")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop of a process that obeys SIGTERM took %s", d)
	}
	if err := ask(port, time.Second); err == nil {
		t.Fatal("the helper answered after Stop")
	}
	p.Stop(syscall.SIGTERM, time.Second) // an exited process: nothing to do, no hang
}

func TestStopEscalates(t *testing.T) {
	p, _ := startHelper(t, "stubborn")
	const grace = 200 * time.Millisecond
	start := time.Now()
	p.Stop(syscall.SIGTERM, grace)
	if !exited(p) {
		t.Fatal("Stop returned before the process exited")
	}
	if d := time.Since(start); d < grace {
		t.Errorf("Stop took %s: the helper ignores SIGTERM, so it must have waited %s for SIGKILL", d, grace)
	}
}

func TestPauseResume(t *testing.T) {
	p, port := startHelper(t, "serve")
	if err := p.Resume(); err != nil { // not paused: nothing to do
		t.Fatalf("Resume of a running process: %v", err)
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := ask(port, 200*time.Millisecond); err == nil {
		t.Fatal("a paused helper answered")
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := ask(port, 5*time.Second); err != nil {
		t.Fatalf("ask after Resume: %v", err)
	}
	// Stopping a paused process wakes it to act on the signal.
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	p.Stop(syscall.SIGTERM, 5*time.Second)
	if !exited(p) {
		t.Fatal("Stop of a paused process returned before it exited")
	}
}

func TestStartFails(t *testing.T) {
	f := func(mode string, timeout time.Duration, want ...string) {
		t.Helper()
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		cmd, logPath := helperCmd(t, mode, port)
		p, err := Start(cmd, logPath, timeout, func() error { return ask(port, 100*time.Millisecond) })
		if err == nil {
			p.Stop(syscall.SIGKILL, 0)
			t.Fatalf("Start(%s) succeeded", mode)
		}
		for _, w := range append(want, logPath) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Start(%s) = %q, want it to say %q", mode, err, w)
			}
		}
		// The failed process is gone: its pid no longer takes signals.
		if err := cmd.Process.Signal(syscall.Signal(0)); err == nil {
			t.Errorf("Start(%s) left process %d running", mode, cmd.Process.Pid)
		}
	}
	f("exit", 10*time.Second, "exited before answering", "helper: cannot start, bad config")
	f("mute", 300*time.Millisecond, "no answer within 300ms", "connection refused")

	cmd := exec.Command(filepath.Join(t.TempDir(), "missing"))
	if _, err := Start(cmd, "unused.log", time.Second, func() error { return nil }); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Start of a missing program = %v, want an error naming it", err)
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d from FreePort cannot be bound: %v", port, err)
	}
	l.Close()
}

func TestOnFreePort(t *testing.T) {
	var ports []int
	err := onFreePort(5, func(port int) error {
		ports = append(ports, port)
		if len(ports) < 3 {
			return errors.New("port taken")
		}
		return nil
	})
	if err != nil || len(ports) != 3 {
		t.Fatalf("onFreePort = %v after %d calls, want success on the third", err, len(ports))
	}
	for _, p := range ports {
		if p <= 0 || p > 65535 {
			t.Errorf("onFreePort passed port %d", p)
		}
	}

	calls := 0
	err = onFreePort(4, func(int) error { calls++; return fmt.Errorf("attempt %d", calls) })
	if calls != 4 || err == nil || err.Error() != "attempt 4" {
		t.Fatalf("onFreePort always failing = %v after %d calls, want the 4th error", err, calls)
	}
	if err := onFreePort(0, func(int) error { return nil }); err == nil {
		t.Fatal("onFreePort with no attempts succeeded")
	}
}

func TestRetry(t *testing.T) {
	calls := 0
	start := time.Now()
	err := retry(5, 20*time.Millisecond, func() error {
		calls++
		if calls < 3 {
			return errors.New("busy")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("retry = %v after %d calls, want success on the third", err, calls)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("retry took %s, want a 20ms pause after each of 2 failures", d)
	}
	calls = 0
	err = retry(3, time.Millisecond, func() error { calls++; return fmt.Errorf("attempt %d", calls) })
	if calls != 3 || err == nil || err.Error() != "attempt 3" {
		t.Fatalf("retry always failing = %v after %d calls, want the 3rd error", err, calls)
	}
}

func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.log")
	if err := os.WriteFile(short, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := LogTail(short); got != "one\ntwo\n" {
		t.Errorf("LogTail(short) = %q", got)
	}
	long := filepath.Join(dir, "long.log")
	data := strings.Repeat("a", 500) + strings.Repeat("b", tailBytes)
	if err := os.WriteFile(long, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := LogTail(long); got != strings.Repeat("b", tailBytes) {
		t.Errorf("LogTail(long) has %d bytes starting %q, want the last %d", len(got), got[:min(10, len(got))], tailBytes)
	}
	if got := LogTail(filepath.Join(dir, "none.log")); !strings.HasPrefix(got, "(no log: ") {
		t.Errorf("LogTail(missing) = %q", got)
	}
}

func TestFindTool(t *testing.T) {
	const name = "frocket-testproc-tool"
	t.Chdir(t.TempDir()) // no go.mod above a temporary directory
	t.Setenv(toolsEnv, t.TempDir())
	t.Setenv("PATH", t.TempDir())
	if _, err := FindTool(name); err == nil || !strings.Contains(err.Error(), "make test") || !strings.Contains(err.Error(), "PATH") {
		t.Fatalf("FindTool with the tool nowhere = %v, want an error listing PATH and saying to run make test", err)
	}

	// On PATH only.
	pathDir := t.TempDir()
	onPath := filepath.Join(pathDir, name)
	if err := os.WriteFile(onPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", pathDir)
	if got, err := FindTool(name); err != nil || got != onPath {
		t.Fatalf("FindTool on PATH = %q, %v; want %q", got, err, onPath)
	}

	// The module's .tools directory wins over PATH; a file without an execute bit does not count.
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+modulePath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	inTools := filepath.Join(root, ".tools", name)
	for _, d := range []string{sub, filepath.Dir(inTools)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(inTools, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if got, err := FindTool(name); err != nil || got != onPath {
		t.Fatalf("FindTool with a non-executable .tools copy = %q, %v; want %q", got, err, onPath)
	}
	if err := os.Chmod(inTools, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindTool(name); err != nil || got != inTools {
		t.Fatalf("FindTool with .tools = %q, %v; want %q", got, err, inTools)
	}

	// $FROCKET_TOOLS_DIR wins over both.
	tools := t.TempDir()
	inEnv := filepath.Join(tools, name)
	if err := os.WriteFile(inEnv, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(toolsEnv, tools)
	if got, err := FindTool(name); err != nil || got != inEnv {
		t.Fatalf("FindTool with %s set = %q, %v; want %q", toolsEnv, got, err, inEnv)
	}
}

func TestStopNil(t *testing.T) {
	var p *Process
	p.Stop(syscall.SIGTERM, time.Second) // a stopped server's slot: must not panic
	if p != nil {
		t.Fatal("Stop changed a nil Process")
	}
}

func TestRunner(t *testing.T) {
	var starts []int
	r := NewRunner(5*time.Second, func(port int) (*Process, error) {
		starts = append(starts, port)
		cmd, logPath := helperCmd(t, "serve", port)
		return Start(cmd, logPath, 10*time.Second, func() error { return ask(port, time.Second) })
	})
	t.Cleanup(r.Kill)
	if err := r.Restart(); err == nil {
		t.Fatal("Restart of a never started Runner succeeded")
	}
	port, err := r.StartFreePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := ask(port, time.Second); err != nil {
		t.Fatalf("ask after StartFreePort: %v", err)
	}
	if _, err := r.StartFreePort(); err == nil {
		t.Fatal("StartFreePort of a running Runner succeeded")
	}

	r.Stop()
	if err := ask(port, time.Second); err == nil {
		t.Fatal("answered after Stop")
	}
	r.Stop() // idempotent
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := ask(port, time.Second); err != nil {
		t.Fatalf("ask after Restart: %v", err)
	}
	r.Kill()
	if err := ask(port, time.Second); err == nil {
		t.Fatal("answered after Kill")
	}
	r.Kill() // idempotent
	if err := r.With(func(p *Process) error {
		if p != nil {
			return errors.New("a process after Kill")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}

	// A paused process is stopped by Restart, which starts a fresh one on the same port.
	if err := r.With(func(p *Process) error { return p.Pause() }); err != nil {
		t.Fatal(err)
	}
	if err := ask(port, 200*time.Millisecond); err == nil {
		t.Fatal("a paused process answered")
	}
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := ask(port, time.Second); err != nil {
		t.Fatalf("ask after Restart of a paused process: %v", err)
	}
	// The first start, and three restarts on its port (earlier tries may have met a taken port).
	if len(starts) < 4 {
		t.Fatalf("%d starts, want at least 4", len(starts))
	}
	for i, p := range starts[len(starts)-4:] {
		if p != port {
			t.Errorf("start %d of the last 4 was on port %d, want %d", i, p, port)
		}
	}
}
