package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// readBody reads the request body, refusing more than MaxBodyBytes with an *http.MaxBytesError.
func (a *api) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := a.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, tooLarge
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}

func (a *api) handleQuery(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := a.readBody(w, r)
	if err != nil {
		a.fail(w, r, name, err)
		return
	}
	a.runQuery(w, r, name, body)
}

func (a *api) handleEmptyQuery(w http.ResponseWriter, r *http.Request) {
	a.runQuery(w, r, r.PathValue("name"), []byte("{}"))
}

// runQuery runs a query job and answers its result: 200 when it succeeded, 500 when it ran and
// failed, or with ?stream=true 200 and progress lines then the result line. Errors before the job
// starts are answered by fail in both modes.
func (a *api) runQuery(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	if !boolParam(r, "stream") {
		res, err := a.eng.Query(r.Context(), name, body, nil)
		if err != nil {
			a.fail(w, r, name, err)
			return
		}
		a.writeJSON(w, r, jobStatus(res.Success), res)
		return
	}
	s := &lineStream{w: w, rc: http.NewResponseController(w)}
	res, err := a.eng.Query(r.Context(), name, body, s.progress)
	if err != nil {
		if !s.hasStarted() {
			a.fail(w, r, name, err)
			return
		}
		s.line(a.streamedError(r, err), false)
		return
	}
	s.line(res, false)
}

// jobStatus is the HTTP status of a job result: 500 for a job that ran and failed, as in Funnel
// Rocket.
func jobStatus(success bool) int {
	if success {
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

// streamedError is the last line of a stream that broke after it started; the failure is logged
// and, without error details, not described.
func (a *api) streamedError(r *http.Request, err error) ErrorResponse {
	id := requestID(r)
	a.log.Error("internal error in a stream", "request_id", id, "path", r.URL.Path, "err", err)
	msg := fmt.Sprintf("Internal error (request %s)", id)
	if a.cfg.ErrorDetails {
		msg += ": " + err.Error()
	}
	return ErrorResponse{ErrorMessage: msg}
}

// progressLine is one progress line of a stream, shaped as Funnel Rocket's.
type progressLine struct {
	Stage   string         `json:"stage"`
	Message *string        `json:"message"`
	Tasks   map[string]int `json:"tasks"`
}

// lineStream writes a streamed response: status 200 and the headers on the first line, then one
// compact JSON document per line, each flushed. It drops a progress line equal to the one before.
// Its methods may be called from any goroutine, one at a time or not.
type lineStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	mu      sync.Mutex
	started bool
	last    []byte
	broken  bool
}

func (s *lineStream) hasStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// progress is a ProgressFunc writing progress lines.
func (s *lineStream) progress(p Progress) {
	l := progressLine{Stage: p.Stage, Tasks: p.Tasks}
	if p.Message != "" {
		msg := p.Message
		l.Message = &msg
	}
	if l.Tasks == nil {
		l.Tasks = map[string]int{}
	}
	s.line(l, true)
}

// line writes v as one line; with dedupe, not when it equals the previous line.
func (s *lineStream) line(v any, dedupe bool) {
	b, err := encodeJSON(v, false)
	if err != nil {
		b, _ = encodeJSON(ErrorResponse{ErrorMessage: "encode stream line: " + err.Error()}, false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken || (dedupe && bytes.Equal(b, s.last)) {
		return
	}
	s.last = b
	if !s.started {
		h := s.w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	if _, err := s.w.Write(b); err != nil {
		s.broken = true // the client went away; the job goes on until its context ends
		return
	}
	_ = s.rc.Flush()
}
