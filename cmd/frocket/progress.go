package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/server"
)

// progressDelay is how long a job runs before a progress bar appears.
const progressDelay = 300 * time.Millisecond

// progressBar draws job progress on a terminal: nothing for jobs that finish within progressDelay,
// and nothing at all when the output is not a terminal.
type progressBar struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	start   time.Time
	last    time.Time
	drawn   bool
}

func newProgressBar(w io.Writer, want bool) *progressBar {
	enabled := false
	if f, ok := w.(*os.File); ok && want {
		enabled = term.IsTerminal(int(f.Fd()))
	}
	return &progressBar{w: w, enabled: enabled, start: time.Now()}
}

// update is a server.ProgressFunc.
func (p *progressBar) update(pr server.Progress) {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.start) < progressDelay || now.Sub(p.last) < 50*time.Millisecond {
		return
	}
	p.last = now
	total, done, failed := 0, 0, 0
	for status, n := range pr.Tasks {
		total += n
		switch status {
		case cluster.StatusEndedSuccess:
			done += n
		case cluster.StatusEndedFailed:
			failed += n
		}
	}
	fmt.Fprint(p.w, "\r"+renderBar(done, failed, total, now.Sub(p.start)))
	p.drawn = true
}

// renderBar formats one progress line.
func renderBar(done, failed, total int, elapsed time.Duration) string {
	const width = 30
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	s := fmt.Sprintf("[%s%s] %d/%d parts %.1fs", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done, total, elapsed.Seconds())
	if failed > 0 {
		s += fmt.Sprintf(" (%d failed)", failed)
	}
	return s
}

// done clears the bar line if one was drawn.
func (p *progressBar) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 64<<20)) }

// updateRows draws progress of work counted in rows (gen).
func (p *progressBar) updateRows(done, total int64) {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.start) < progressDelay || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	filled := 0
	if total > 0 {
		filled = int(min(done, total) * width / total)
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d rows %.1fs", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done, total, now.Sub(p.start).Seconds())
	p.drawn = true
}
