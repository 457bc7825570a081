// Package testredis runs a private redis-server for tests: on a free 127.0.0.1 port, with no
// persistence, in a temporary directory, stopped by its process id when the test ends.
//
// Tests that need Redis use the real server, never a mock. Start serves one test; StartProcess and
// Close serve a whole package from its TestMain, or the benchmark harness (bench). It imports only
// the standard library and internal/testproc, and not package testing: the frocket binary links it
// through the harness, so the test conveniences take a testproc.TB. Other production code must not
// import it.
package testredis

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frocket/frocket/internal/testproc"
)

const (
	// binary is the server program looked up on PATH.
	binary = "redis-server"
	// readyTimeout bounds the wait for a started server to answer PING.
	readyTimeout = 10 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
	stopGrace = 3 * time.Second
)

// Server is a running (or stopped) private redis-server.
type Server struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	// Port is the TCP port the server listens on; it stays the same across Restart.
	Port int
	// Dir is the server's working directory; it holds its log file (redis.log).
	Dir string

	path    string           // absolute path of redis-server
	ownsDir bool             // Close removes Dir (StartProcess made it)
	run     *testproc.Runner // the running process, if any
}

// newServer returns a stopped server working in dir.
func newServer(dir, path string, ownsDir bool) *Server {
	s := &Server{Dir: dir, path: path, ownsDir: ownsDir}
	s.run = testproc.NewRunner(stopGrace, s.start)
	return s
}

// Start runs a private redis-server on a free 127.0.0.1 port with no persistence (--save ""
// --appendonly no), in t.TempDir(), waits until it answers PING, and stops it (by PID: SIGTERM, then
// SIGKILL) in t.Cleanup. If redis-server is not on PATH it fails the test.
func Start(t testproc.TB) *Server {
	t.Helper()
	path, err := lookPath()
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t.TempDir(), path, false)
	if err := s.startFreePort(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartProcess is Start for a TestMain: it makes its own temporary directory and returns an error
// instead of failing a test. The caller must call Close.
func StartProcess() (*Server, error) {
	path, err := lookPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "testredis-")
	if err != nil {
		return nil, fmt.Errorf("create redis dir: %w", err)
	}
	s := newServer(dir, path, true)
	if err := s.startFreePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Close stops the server and, for a server from StartProcess, removes its directory.
func (s *Server) Close() error {
	s.Stop()
	if s.ownsDir {
		if err := os.RemoveAll(s.Dir); err != nil {
			return fmt.Errorf("remove redis dir %s: %w", s.Dir, err)
		}
	}
	return nil
}

// URL returns redis://127.0.0.1:PORT/0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Stop stops the server now: SIGTERM, then SIGKILL if it has not exited within a few seconds. It
// returns when the process is gone. Stopping a stopped server does nothing.
func (s *Server) Stop() { s.run.Stop() }

// Kill stops the server with SIGKILL, as a crash would, and returns when the process is gone.
func (s *Server) Kill() { s.run.Kill() }

// Restart stops the server if it runs and starts it again on the same port. Data is lost: the
// server keeps nothing on disk.
func (s *Server) Restart(t testproc.TB) {
	t.Helper()
	if err := s.RestartProcess(); err != nil {
		t.Fatal(err)
	}
}

// RestartProcess is Restart returning an error instead of failing a test.
func (s *Server) RestartProcess() error { return s.run.Restart() }

// lookPath finds redis-server or explains how to install it.
func lookPath() (string, error) {
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("testredis: %s is not on PATH (run `make test`, which installs it, or `apt-get install -y redis-server`): %w", binary, err)
	}
	return path, nil
}

// startFreePort starts the server on a free port, picking again if another process took the port
// in the meantime.
func (s *Server) startFreePort() error {
	port, err := s.run.StartFreePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return nil
}

// start starts redis-server on port and waits until it answers PING.
func (s *Server) start(port int) (*testproc.Process, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(s.Dir, "redis.log")
	cmd := exec.Command(s.path,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.Dir,
		"--daemonize", "no",
		"--logfile", logPath,
	)
	cmd.Dir = s.Dir
	p, err := testproc.Start(cmd, logPath, readyTimeout, func() error { return ping(addr) })
	if err != nil {
		return nil, fmt.Errorf("redis-server on %s: %w", addr, err)
	}
	return p, nil
}

// ping sends an inline PING and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
