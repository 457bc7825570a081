package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

// ErrorResponse is the JSON body of every HTTP error that is not a job result: a bad request (400,
// with every problem in Errors), an unknown dataset or path (404), a missing token (401), a
// disabled admin action (403), a wrong method (405), a body too large (413) or an internal error
// (500).
type ErrorResponse struct {
	Success      bool         `json:"success"`
	ErrorMessage string       `json:"errorMessage"`
	Errors       query.Errors `json:"errors,omitempty"`
}

// encodeJSON encodes v without HTML escaping (as Funnel Rocket's server did), indented when
// pretty, ending with a newline.
func encodeJSON(v any, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON writes v with the given status.
func (a *api) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := encodeJSON(v, a.cfg.PrettyPrint)
	if err != nil {
		a.internalError(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes an ErrorResponse.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, status int, msg string, errs query.Errors) {
	a.writeJSON(w, r, status, ErrorResponse{ErrorMessage: msg, Errors: errs})
}

// internalError logs err and answers 500, with err's text only when error details are on.
func (a *api) internalError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestID(r)
	a.log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	msg := fmt.Sprintf("Internal error (request %s)", id)
	if a.cfg.ErrorDetails {
		msg += ": " + err.Error()
	}
	b, encErr := encodeJSON(ErrorResponse{ErrorMessage: msg}, a.cfg.PrettyPrint)
	if encErr != nil {
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(b)
}

// fail answers an error returned before a job started: query validation errors are 400 with every
// problem, an unknown dataset 404, a request past its deadline 504, anything else an internal
// error. dataset names the dataset of the request, if any.
func (a *api) fail(w http.ResponseWriter, r *http.Request, dataset string, err error) {
	var qe query.Errors
	var tooLarge *http.MaxBytesError
	var argErr *ArgError
	switch {
	case errors.As(err, &qe) && len(qe) > 0:
		a.writeError(w, r, http.StatusBadRequest, problemsMessage("Query validation failed", qe), qe)
	case errors.As(err, &argErr):
		a.writeError(w, r, http.StatusBadRequest, "Invalid arguments: "+argErr.Error(),
			query.Errors{{Kind: query.KindInvalidArgs, Path: argErr.Field, Message: argErr.Message}})
	case errors.Is(err, catalog.ErrNotFound):
		a.writeError(w, r, http.StatusNotFound, fmt.Sprintf("Dataset %s not found", dataset), nil)
	case errors.As(err, &tooLarge):
		a.writeError(w, r, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Request body too large: the limit is %d bytes", tooLarge.Limit), nil)
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() != nil:
		a.writeError(w, r, http.StatusGatewayTimeout, fmt.Sprintf("Request timed out after %s", a.cfg.RequestTimeout), nil)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads this.
		a.writeError(w, r, http.StatusServiceUnavailable, "Request canceled", nil)
	default:
		a.internalError(w, r, err)
	}
}

// problemsMessage sums up a list of problems in one line after prefix.
func problemsMessage(prefix string, errs query.Errors) string {
	if len(errs) == 1 {
		return prefix + ": " + errs[0].Error()
	}
	more := "problems"
	if len(errs) == 2 {
		more = "problem"
	}
	return fmt.Sprintf("%s: %s (and %d more %s)", prefix, errs[0].Error(), len(errs)-1, more)
}
