package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/frocket/frocket/server"
)

// cmdServe runs the HTTP API over the embedded engine until ctx is done (SIGINT or SIGTERM), then
// shuts down gracefully.
func cmdServe(ctx context.Context, env *cliEnv, args []string) error {
	cfg, err := httpConfigFromEnv()
	if err != nil {
		return err
	}
	fs := env.newFlagSet("serve", "", env.stdout)
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to listen on (env FROCKET_APISERVER_LISTEN)")
	fs.StringVar(&cfg.AuthToken, "auth-token", cfg.AuthToken, "require this bearer token, except on /healthz and /metrics (env FROCKET_API_TOKEN)")
	fs.BoolVar(&cfg.AdminActions, "admin-actions", cfg.AdminActions, "allow register, unregister and parts (env FROCKET_APISERVER_ADMIN_ACTIONS)")
	fs.BoolVar(&cfg.ErrorDetails, "error-details", cfg.ErrorDetails, "describe internal errors in responses (env FROCKET_APISERVER_ERROR_DETAILS)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest request body accepted (env FROCKET_APISERVER_MAX_BODY_BYTES)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "time limit of a request, its job included (env FROCKET_APISERVER_REQUEST_TIMEOUT)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	// A server logs its requests: info unless a level was asked for.
	if env.logLevel == "" && os.Getenv("FROCKET_LOG_LEVEL") == "" {
		env.logLevel = "info"
	}
	log, err := env.logger()
	if err != nil {
		return err
	}
	eng, err := env.engine()
	if err != nil {
		return err
	}
	dataDir, err := env.resolvedDataDir()
	if err != nil {
		return err
	}
	log.Info("api server config", "mode", "embedded", "data_dir", dataDir, "listen", cfg.Listen,
		"auth", cfg.AuthToken != "", "admin_actions", cfg.AdminActions, "error_details", cfg.ErrorDetails,
		"pretty_print", cfg.PrettyPrint, "max_body_bytes", cfg.MaxBodyBytes,
		"request_timeout_ms", cfg.RequestTimeout.Milliseconds(), "shutdown_timeout_ms", cfg.ShutdownTimeout.Milliseconds())
	return server.Serve(ctx, eng, cfg, log)
}

// httpConfigFromEnv builds the API server configuration from the defaults and the FROCKET_*
// variables; the command line overrides it.
func httpConfigFromEnv() (server.HTTPConfig, error) {
	cfg := server.DefaultHTTPConfig()
	var r serveEnv
	cfg.Listen = r.str("FROCKET_APISERVER_LISTEN", cfg.Listen)
	cfg.AuthToken = r.str("FROCKET_API_TOKEN", cfg.AuthToken)
	cfg.AdminActions = r.bool("FROCKET_APISERVER_ADMIN_ACTIONS", cfg.AdminActions)
	cfg.ErrorDetails = r.bool("FROCKET_APISERVER_ERROR_DETAILS", cfg.ErrorDetails)
	cfg.PrettyPrint = r.bool("FROCKET_APISERVER_PRETTYPRINT", cfg.PrettyPrint)
	cfg.MaxBodyBytes = r.int64("FROCKET_APISERVER_MAX_BODY_BYTES", cfg.MaxBodyBytes)
	cfg.RequestTimeout = r.duration("FROCKET_APISERVER_REQUEST_TIMEOUT", cfg.RequestTimeout)
	if len(r.errs) > 0 {
		return cfg, fmt.Errorf("configuration: %w", errors.Join(r.errs...))
	}
	return cfg, nil
}

// serveEnv reads the API server's FROCKET_* variables, collecting every malformed one. Empty values
// are ignored, as in Funnel Rocket.
type serveEnv struct{ errs []error }

func (r *serveEnv) str(name, def string) string {
	if s := os.Getenv(name); s != "" {
		return s
	}
	return def
}

// bool is true only for "true" (any case, spaces trimmed), as Funnel Rocket read booleans.
func (r *serveEnv) bool(name string, def bool) bool {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	return strings.TrimSpace(strings.ToLower(s)) == "true"
}

func (r *serveEnv) int64(name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), "_", ""), 10, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not an integer", name, s))
		return def
	}
	return v
}

// duration accepts a Go duration ("90s", "5m") or a number of seconds.
func (r *serveEnv) duration(name string, def time.Duration) time.Duration {
	s := strings.TrimSpace(os.Getenv(name))
	if s == "" {
		return def
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(secs * float64(time.Second))
	}
	r.errs = append(r.errs, fmt.Errorf("%s=%q is not a duration (such as 90s or 5m) or a number of seconds", name, s))
	return def
}
