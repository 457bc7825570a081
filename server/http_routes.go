package server

import (
	"net/http"
	"strings"

	"github.com/frocket/frocket/catalog"
)

// The endpoints, Funnel Rocket's (bodies camelCase), plus /healthz:
//
//	POST /datasets/register             admin  ?stream  RegisterArgs JSON -> RegisterJobResult
//	POST /datasets/{name}/unregister    admin  ?force                     -> UnregisterResult
//	GET  /datasets                                                        -> [DatasetInfo]
//	GET  /datasets/{name}/schema               ?full                      -> short or full schema
//	GET  /datasets/{name}/parts         admin                             -> PartsInfo
//	POST /datasets/{name}/query                ?stream  query JSON        -> QueryJobResult
//	GET  /datasets/{name}/empty-query          ?stream                    -> QueryJobResult of {}
//	GET  /metrics                                                         -> Prometheus text
//	GET  /healthz                                                         -> {"status":"ok"}
//
// A job that ran and failed is 500 with its result; a refused unregister is 500 with its result.
// Everything else that goes wrong is an ErrorResponse (see http_errors.go).
func (a *api) routes() {
	a.handle("/datasets/register", http.MethodPost, true, a.handleRegister)
	a.handle("/datasets/{name}/unregister", http.MethodPost, true, a.handleUnregister)
	a.handle("/datasets", http.MethodGet, false, a.handleList)
	a.handle("/datasets/{name}/schema", http.MethodGet, false, a.handleSchema)
	a.handle("/datasets/{name}/parts", http.MethodGet, true, a.handleParts)
	a.handle("/datasets/{name}/query", http.MethodPost, false, a.handleQuery)
	a.handle("/datasets/{name}/empty-query", http.MethodGet, false, a.handleEmptyQuery)
	a.handle(routeMetrics, http.MethodGet, false, a.metrics.ServeHTTP)
	a.handle(routeHealth, http.MethodGet, false, a.handleHealth)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, http.StatusNotFound, "Not found: "+r.URL.Path, nil)
	})
}

// handle registers h for one method of pattern, answering 405 to the others and 403 to admin
// actions when they are disabled.
func (a *api) handle(pattern, method string, admin bool, h http.HandlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			a.writeError(w, r, http.StatusMethodNotAllowed,
				"Method not allowed: "+r.Method+" "+pattern+" accepts "+method, nil)
			return
		}
		if admin && !a.cfg.AdminActions {
			a.writeError(w, r, http.StatusForbidden, "Not supported: admin actions are disabled", nil)
			return
		}
		h(w, r)
	})
}

// boolParam reads a boolean query parameter as Funnel Rocket did: true only for "true", in any case,
// spaces trimmed.
func boolParam(r *http.Request, name string) bool {
	return strings.TrimSpace(strings.ToLower(r.URL.Query().Get(name))) == "true"
}

func (a *api) handleList(w http.ResponseWriter, r *http.Request) {
	list, err := a.eng.Store().List(r.Context())
	if err != nil {
		a.fail(w, r, "", err)
		return
	}
	out := make([]catalog.DatasetInfo, len(list))
	for i, d := range list {
		out[i] = d.Info()
	}
	a.writeJSON(w, r, http.StatusOK, out)
}

// dataset returns the dataset named in the path, or answers the error and returns nil.
func (a *api) dataset(w http.ResponseWriter, r *http.Request) *catalog.Dataset {
	name := r.PathValue("name")
	ds, err := a.eng.Store().Get(r.Context(), name)
	if err != nil {
		a.fail(w, r, name, err)
		return nil
	}
	return ds
}

func (a *api) handleSchema(w http.ResponseWriter, r *http.Request) {
	ds := a.dataset(w, r)
	if ds == nil {
		return
	}
	if boolParam(r, "full") {
		a.writeJSON(w, r, http.StatusOK, ds.FullSchema())
		return
	}
	a.writeJSON(w, r, http.StatusOK, ds.ShortSchema())
}

func (a *api) handleParts(w http.ResponseWriter, r *http.Request) {
	ds := a.dataset(w, r)
	if ds == nil {
		return
	}
	a.writeJSON(w, r, http.StatusOK, ds.PartsInfo())
}

func (a *api) handleUnregister(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	res, err := a.eng.Unregister(r.Context(), name, boolParam(r, "force"))
	if err != nil {
		a.fail(w, r, name, err)
		return
	}
	status := http.StatusOK
	if !res.Success {
		status = http.StatusInternalServerError
	}
	a.writeJSON(w, r, status, res)
}

// healthResponse is the body of /healthz.
type healthResponse struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

func (a *api) handleHealth(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Health != nil {
		if err := a.cfg.Health(r.Context()); err != nil {
			a.log.Warn("health check failed", "request_id", requestID(r), "err", err)
			res := healthResponse{Status: "unavailable"}
			if a.cfg.ErrorDetails {
				res.ErrorMessage = err.Error()
			}
			a.writeJSON(w, r, http.StatusServiceUnavailable, res)
			return
		}
	}
	a.writeJSON(w, r, http.StatusOK, healthResponse{Status: "ok"})
}
