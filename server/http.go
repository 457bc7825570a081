package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
)

// HTTPConfig configures the HTTP API.
type HTTPConfig struct {
	// Listen is the address to listen on, host:port.
	Listen string
	// AuthToken, when set, is required as "Authorization: Bearer <token>" on every endpoint but
	// /healthz and /metrics.
	AuthToken string
	// AdminActions enables register, unregister and parts (FROCKET_APISERVER_ADMIN_ACTIONS).
	AdminActions bool
	// ErrorDetails lets internal errors say what went wrong; when false they only name the request
	// (FROCKET_APISERVER_ERROR_DETAILS). Errors in the request itself are always explained.
	ErrorDetails bool
	// PrettyPrint indents JSON responses (FROCKET_APISERVER_PRETTYPRINT); streamed lines never are.
	PrettyPrint bool
	// MaxBodyBytes is the largest request body accepted; larger ones get 413.
	MaxBodyBytes int64
	// RequestTimeout bounds each request; a job still running then is cancelled.
	RequestTimeout time.Duration
	// ShutdownTimeout is how long Serve waits for in-flight requests once its context is done.
	ShutdownTimeout time.Duration
	// Health, when set, is an extra readiness check run by /healthz.
	Health func(ctx context.Context) error
}

// DefaultHTTPConfig returns the defaults: 127.0.0.1:5000, admin actions and error details on,
// pretty printing, 16 MiB bodies, 5 minute requests and a 60 s graceful shutdown.
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		Listen:          "127.0.0.1:5000",
		AdminActions:    true,
		ErrorDetails:    true,
		PrettyPrint:     true,
		MaxBodyBytes:    16 << 20,
		RequestTimeout:  5 * time.Minute,
		ShutdownTimeout: 60 * time.Second,
	}
}

// Validate reports every problem of c at once.
func (c HTTPConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: %w", c.Listen, err))
	}
	if strings.IndexFunc(c.AuthToken, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		errs = append(errs, errors.New("auth token must not contain spaces or control characters"))
	}
	if c.MaxBodyBytes < 1 {
		errs = append(errs, fmt.Errorf("max body bytes must be at least 1, not %d", c.MaxBodyBytes))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("request timeout must be positive, not %s", c.RequestTimeout))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout must not be negative, not %s", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// api serves the HTTP endpoints over one engine.
type api struct {
	eng       *Engine
	cfg       HTTPConfig
	log       *slog.Logger
	metrics   *Metrics
	mux       *http.ServeMux
	tokenHash [sha256.Size]byte
}

// Routes that stay open without a token.
const (
	routeHealth  = "/healthz"
	routeMetrics = "/metrics"
)

// NewHandler returns the HTTP API over eng (see the package's endpoint table in http_routes.go) and
// installs a Metrics observer on eng, served at /metrics. log receives one line per request and
// every internal error; nil discards.
func NewHandler(eng *Engine, cfg HTTPConfig, log *slog.Logger) (http.Handler, error) {
	if eng == nil {
		return nil, errors.New("http handler: no engine")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("http config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{eng: eng, cfg: cfg, log: log, metrics: NewMetrics(), mux: http.NewServeMux()}
	if cfg.AuthToken != "" {
		a.tokenHash = sha256.Sum256([]byte(cfg.AuthToken))
	}
	eng.SetObserver(a.metrics)
	a.routes()
	return a, nil
}

// requestIDKey carries the HTTP request's id in its context.
type requestIDKey struct{}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// ServeHTTP gives the request an id and a deadline, checks the token, routes it, counts it in the
// metrics and logs it.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := NewRequestID()
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestIDKey{}, id), a.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	rec := &statusRecorder{ResponseWriter: w}
	rec.Header().Set("X-Request-Id", id)

	_, pattern := a.mux.Handler(r)
	route := pattern
	if route == "" || route == "/" {
		route = "other"
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.log.Error("BUG: handler panicked", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				a.internalError(rec, r, fmt.Errorf("panic: %v", p))
			}
		}
		code := rec.status
		if code == 0 {
			code = http.StatusOK
		}
		a.metrics.CountRequest(route, code)
		level := slog.LevelInfo
		if route == routeHealth || route == routeMetrics {
			level = slog.LevelDebug
		}
		a.log.Log(ctx, level, "http request", "request_id", id, "method", r.Method, "path", r.URL.Path,
			"route", route, "code", code, "dur_ms", time.Since(start).Milliseconds())
	}()

	if route != routeHealth && route != routeMetrics && !a.authorized(r) {
		rec.Header().Set("WWW-Authenticate", `Bearer realm="frocket"`)
		a.writeError(rec, r, http.StatusUnauthorized, "Unauthorized: a valid bearer token is required", nil)
		return
	}
	a.mux.ServeHTTP(rec, r)
}

// authorized checks the bearer token in constant time (comparing digests, so the length does not
// leak either).
func (a *api) authorized(r *http.Request) bool {
	if a.cfg.AuthToken == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], a.tokenHash[:]) == 1
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (to flush streamed lines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Serve listens on cfg.Listen and serves the API over eng until ctx is done, then shuts down
// gracefully: it stops accepting connections and lets in-flight requests (streaming queries
// included) finish within cfg.ShutdownTimeout, after which their jobs are cancelled. It returns nil
// after a clean shutdown.
func Serve(ctx context.Context, eng *Engine, cfg HTTPConfig, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, err := NewHandler(eng, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return serveListener(ctx, ln, h, cfg, log)
}

// serveListener serves h on ln until ctx is done, then shuts down as Serve documents. It closes ln.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler, cfg HTTPConfig, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Requests do not inherit ctx: its end starts the graceful shutdown, which must not cancel
	// them. base is cancelled only when the shutdown gives up waiting.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("api server listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("api server shutting down", "timeout_ms", cfg.ShutdownTimeout.Milliseconds())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		cancelBase()
		_ = srv.Close()
		err = fmt.Errorf("graceful shutdown: %w", err)
	}
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("serve on %s: %w", ln.Addr(), serr)
	}
	log.Info("api server stopped")
	return err
}
