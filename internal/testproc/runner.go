package testproc

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

const (
	// startAttempts bounds the starts on new free ports, and the restarts on the same port, before
	// Runner gives up: another process may take the port in between.
	startAttempts = 5
	// restartPause is the wait between two restarts on the same port, for the old socket to go.
	restartPause = 100 * time.Millisecond
)

// Runner keeps at most one process of a server at a time, on a port that stays the same across
// restarts. It is safe for concurrent use.
type Runner struct {
	start func(port int) (*Process, error)
	grace time.Duration

	mu   sync.Mutex
	port int      // 0 until StartFreePort succeeds
	proc *Process // nil when stopped
}

// NewRunner returns a stopped Runner. start must start the server on port and return it once it
// answers (as Start does); grace is how long Stop waits after SIGTERM before it sends SIGKILL.
func NewRunner(grace time.Duration, start func(port int) (*Process, error)) *Runner {
	return &Runner{start: start, grace: grace}
}

// StartFreePort starts the server on a free 127.0.0.1 port, trying new ports when one was taken in
// the meantime, and returns the port.
func (r *Runner) StartFreePort() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		return 0, errors.New("start server: already running")
	}
	err := onFreePort(startAttempts, func(port int) error {
		p, err := r.start(port)
		if err == nil {
			r.port, r.proc = port, p
		}
		return err
	})
	return r.port, err
}

// Restart stops the server if it runs (SIGTERM, as Stop) and starts it again on the same port,
// retrying briefly: the old socket may linger, and another process may bind the port in between,
// which cannot be helped when the port must stay the same.
func (r *Runner) Restart() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.port == 0 {
		return errors.New("restart server: never started")
	}
	r.stopLocked(syscall.SIGTERM)
	return retry(startAttempts, restartPause, func() error {
		p, err := r.start(r.port)
		if err == nil {
			r.proc = p
		}
		return err
	})
}

// Stop stops the server: SIGTERM, then SIGKILL after the grace period. It returns when the process is
// gone; stopping a stopped server does nothing.
func (r *Runner) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(syscall.SIGTERM)
}

// Kill stops the server with SIGKILL, as a crash would, and returns when the process is gone.
func (r *Runner) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(syscall.SIGKILL)
}

// With calls fn with the running process (nil when stopped) while no other method of r runs, and
// returns its error; for example to pause the process.
func (r *Runner) With(fn func(p *Process) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fn(r.proc)
}

// stopLocked stops the process with sig; the caller holds r.mu.
func (r *Runner) stopLocked(sig syscall.Signal) {
	r.proc.Stop(sig, r.grace)
	r.proc = nil
}
