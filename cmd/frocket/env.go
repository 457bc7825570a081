package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/server"
)

// cliEnv holds the global flags and what commands share.
type cliEnv struct {
	stdout, stderr io.Writer
	dataDir        string
	noPretty       bool
	noTrim         bool
	logLevel       string
	serverURL      string
	allowedRoots   string // serve's --allowed-roots; empty: FROCKET_ALLOWED_ROOTS
}

func (env *cliEnv) addGlobalFlags(fs *flag.FlagSet) {
	fs.StringVar(&env.dataDir, "data-dir", env.dataDir, "embedded catalog directory (env FROCKET_DATA_DIR, default ~/.frocket)")
	fs.BoolVar(&env.noPretty, "nopretty", env.noPretty, "print single-line JSON")
	fs.BoolVar(&env.noTrim, "notrim", env.noTrim, "do not trim long values in tables")
	fs.StringVar(&env.logLevel, "loglevel", env.logLevel, "log level: debug, info, warning, error (env FROCKET_LOG_LEVEL, default warning)")
	fs.StringVar(&env.serverURL, "server", env.serverURL, "run dataset commands against this API server, e.g. http://127.0.0.1:5000 (env FROCKET_SERVER; token from FROCKET_API_TOKEN)")
}

// resolvedDataDir returns the data dir from the flag, FROCKET_DATA_DIR or ~/.frocket.
func (env *cliEnv) resolvedDataDir() (string, error) {
	if env.dataDir != "" {
		return env.dataDir, nil
	}
	if d := os.Getenv("FROCKET_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no --data-dir or FROCKET_DATA_DIR given and no home directory: %w", err)
	}
	return filepath.Join(home, ".frocket"), nil
}

func (env *cliEnv) logger() (*slog.Logger, error) {
	lvl := env.logLevel
	if lvl == "" {
		lvl = os.Getenv("FROCKET_LOG_LEVEL")
	}
	var l slog.Level
	switch strings.ToLower(lvl) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "", "warn", "warning":
		l = slog.LevelWarn
	case "error", "critical":
		l = slog.LevelError
	default:
		return nil, usageErr("unknown log level %q (use debug, info, warning or error)", lvl)
	}
	return slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: l})), nil
}

// engine opens the embedded catalog and returns an engine over it that runs tasks in process,
// reading S3 parts through a cache under the data dir; storage comes from the environment.
func (env *cliEnv) engine() (*server.Engine, error) {
	dir, err := env.resolvedDataDir()
	if err != nil {
		return nil, err
	}
	var sf storageFlags
	if err := addStorageFlags(flag.NewFlagSet("", flag.ContinueOnError), &sf); err != nil {
		return nil, err
	}
	sf.columnCacheMB = 0 // a one-shot command gains nothing from keeping decoded columns
	store, err := catalog.OpenFileStore(dir)
	if err != nil {
		return nil, err
	}
	return env.engineWith(store, nil, &sf)
}

// engineWith returns an engine over a catalog and an invoker (nil: in process, reading parts as sf
// says).
func (env *cliEnv) engineWith(store catalog.Store, inv server.Invoker, sf *storageFlags) (*server.Engine, error) {
	cfg, err := engineConfigFromEnv()
	if err != nil {
		return nil, err
	}
	if env.allowedRoots != "" {
		cfg.AllowedRoots = splitList(env.allowedRoots)
	}
	log, err := env.logger()
	if err != nil {
		return nil, err
	}
	parts, err := sf.parts()
	if err != nil {
		return nil, err
	}
	cfg.Buckets = parts.buckets
	if inv == nil {
		inv = &server.LocalInvoker{Workers: cfg.Workers, Parts: parts, Columns: sf.columns()}
	}
	return server.NewEngine(store, inv, cfg, log)
}

// envReader reads FROCKET_* variables, collecting every malformed one.
type envReader struct{ errs []error }

func (r *envReader) str(name, def string) string {
	if s := os.Getenv(name); s != "" {
		return s
	}
	return def
}

func (r *envReader) int64(name string, def int64) int64 {
	s := strings.TrimSpace(os.Getenv(name))
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not an integer", name, s))
		return def
	}
	return v
}

// duration accepts a Go duration ("90s", "5m") or a number of seconds.
func (r *envReader) duration(name string, def time.Duration) time.Duration {
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
	r.errs = append(r.errs, fmt.Errorf("%s=%q is not a duration (e.g. 90s) or a number of seconds", name, s))
	return def
}

func (r *envReader) int(name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not an integer", name, s))
		return def
	}
	return v
}

func (r *envReader) float(name string, def float64) float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not a number", name, s))
		return def
	}
	return v
}

// bool reads a boolean: true only for "true" (any case), as Funnel Rocket did.
func (r *envReader) bool(name string, def bool) bool {
	s := strings.TrimSpace(os.Getenv(name))
	if s == "" {
		return def
	}
	return strings.EqualFold(s, "true")
}

// err returns every malformed variable seen, or nil.
func (r *envReader) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(r.errs...))
}

func (r *envReader) floats(name string, def []float64) []float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s=%q is not a comma-separated list of numbers", name, s))
			return def
		}
		out = append(out, v)
	}
	return out
}

// engineConfigFromEnv builds the engine configuration from the defaults and the FROCKET_* variables
// that keep Funnel Rocket's names and meanings.
func engineConfigFromEnv() (server.Config, error) {
	cfg := server.DefaultConfig()
	var r envReader
	cfg.Workers = r.int("FROCKET_WORKERS", cfg.Workers)
	cfg.Query.DefaultTop = r.int("FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT", cfg.Query.DefaultTop)
	cfg.UnregisterLastUsedInterval = time.Duration(r.float("FROCKET_UNREGISTER_LAST_USED_INTERVAL", cfg.UnregisterLastUsedInterval.Seconds()) * float64(time.Second))
	cfg.Percentiles = r.floats("FROCKET_STATS_TIMING_PERCENTILES", cfg.Percentiles)
	cfg.Register.SampleMax = r.int("FROCKET_VALIDATION_SAMPLE_MAX", cfg.Register.SampleMax)
	cfg.Register.SampleRatio = r.float("FROCKET_VALIDATION_SAMPLE_RATIO", cfg.Register.SampleRatio)
	cfg.Register.CategoricalRatio = r.float("FROCKET_DATASET_CATEGORICAL_RATIO", cfg.Register.CategoricalRatio)
	cfg.Register.TopCount = r.int("FROCKET_DATASET_CATEGORICAL_TOP_COUNT", cfg.Register.TopCount)
	cfg.Register.TopMinPct = r.float("FROCKET_DATASET_CATEGORICAL_TOP_MINPCT", cfg.Register.TopMinPct)
	cfg.AllowedRoots = splitList(os.Getenv("FROCKET_ALLOWED_ROOTS"))
	if err := r.err(); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// printJSON writes v as indented JSON, or on one line with --nopretty.
func (env *cliEnv) printJSON(v any) error {
	var b []byte
	var err error
	if env.noPretty {
		b, err = json.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, "", "  ")
	}
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	b = append(b, '\n')
	_, err = env.stdout.Write(b)
	return err
}
