package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"time"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/server"
	"github.com/frocket/frocket/worker"
)

// redisFlags are the flags of commands that talk to Redis.
type redisFlags struct {
	url    string
	prefix string
}

func (r *redisFlags) add(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&r.url, "redis", os.Getenv("FROCKET_REDIS_URL"), "Redis URL redis://HOST:PORT/DB (env FROCKET_REDIS_URL, or FROCKET_REDIS_HOST/_PORT/_DB)")
	fs.StringVar(&r.prefix, "redis-prefix", "", "key prefix (env FROCKET_DATASTORE_REDIS_PREFIX, default frocket:)")
}

// enabled reports whether Redis was asked for by flag or environment.
func (r *redisFlags) enabled() bool {
	return r.url != "" || os.Getenv("FROCKET_REDIS_HOST") != "" || os.Getenv("FROCKET_DATASTORE_REDIS_HOST") != ""
}

// client builds a Redis client from the defaults, the environment and the flags (flags win), and
// returns it with its URL for logs (password removed).
func (r *redisFlags) client() (*cluster.Client, string, error) {
	cfg, err := cluster.ConfigFromEnv(cluster.DefaultConfig())
	if err != nil {
		return nil, "", err
	}
	if r.url != "" {
		cfg.URL = r.url
	}
	var env envReader
	cfg.RequestTTL = env.duration("FROCKET_REDIS_REQUEST_TTL", cfg.RequestTTL)
	if err := env.err(); err != nil {
		return nil, "", err
	}
	if r.prefix != "" {
		cfg.Prefix = r.prefix
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", usageErr("redis: %v", err)
	}
	c, err := cluster.New(cfg)
	return c, redactURL(cfg.URL), err
}

// redactURL removes any password from a URL for logging.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// serviceConfigFromEnv reads the worker's FROCKET_* settings.
func serviceConfigFromEnv() (worker.ServiceConfig, error) {
	cfg := worker.DefaultServiceConfig()
	var r envReader
	cfg.RejectAge = time.Duration(r.float("FROCKET_WORKER_REJECT_AGE", cfg.RejectAge.Seconds()) * float64(time.Second))
	cfg.Preflight = time.Duration(r.int("FROCKET_PART_SELECTION_PREFLIGHT_MS", int(cfg.Preflight.Milliseconds()))) * time.Millisecond
	cfg.Query.DefaultTop = r.int("FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT", cfg.Query.DefaultTop)
	cfg.DebugTaskDelay = time.Duration(r.int("FROCKET_WORKER_DEBUG_TASK_DELAY_MS", 0)) * time.Millisecond
	if err := r.err(); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// remoteConfigFromEnv reads the invoker's FROCKET_* settings.
func remoteConfigFromEnv() (server.RemoteConfig, error) {
	cfg := server.DefaultRemoteConfig()
	var r envReader
	sec := func(name string, d time.Duration) time.Duration {
		return time.Duration(r.float(name, d.Seconds()) * float64(time.Second))
	}
	cfg.PollInterval = time.Duration(r.int("FROCKET_INVOKER_ASYNC_POLL_INTERVAL_MS", int(cfg.PollInterval.Milliseconds()))) * time.Millisecond
	cfg.RunTimeout = sec("FROCKET_INVOKER_RUN_TIMEOUT", cfg.RunTimeout)
	cfg.MaxAttempts = r.int("FROCKET_INVOKER_RETRY_MAX_ATTEMPTS", cfg.MaxAttempts)
	cfg.RetryFailedInterval = sec("FROCKET_INVOKER_RETRY_FAILED_INTERVAL", cfg.RetryFailedInterval)
	cfg.RetryLostInterval = sec("FROCKET_INVOKER_RETRY_LOST_INTERVAL", cfg.RetryLostInterval)
	cfg.SelfSelect = r.bool("FROCKET_WORKER_SELF_SELECT_ENABLED", cfg.SelfSelect)
	if err := r.err(); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func cmdWorker(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("worker", "--redis URL [flags]", env.stdout)
	var rf redisFlags
	rf.add(fs)
	concurrency := fs.Int("concurrency", 1, "tasks run at once")
	queue := fs.String("queue", "default", "queue name")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:6060)")
	var sf storageFlags
	if err := addStorageFlags(fs, &sf); err != nil {
		return err
	}
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	parts, err := sf.parts()
	if err != nil {
		return err
	}
	defer parts.Close()
	log, err := env.logger()
	if err != nil {
		return err
	}
	cfg, err := serviceConfigFromEnv()
	if err != nil {
		return err
	}
	client, redisURL, err := rf.client()
	if err != nil {
		return err
	}
	defer client.Close()
	cluster.SetRedisLogger(log)
	cfg.Columns = sf.columns()
	svc, err := worker.NewService(client, parts, cfg, log)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		startPprof(*pprofAddr, log)
	}
	log.Info("worker config", "redis", redisURL, "queue", *queue, "concurrency", *concurrency,
		"reject_age_s", cfg.RejectAge.Seconds(), "preflight_ms", cfg.Preflight.Milliseconds(), "name", cfg.Name)
	return svc.RunQueue(ctx, client, worker.QueueConfig{Queue: *queue, Concurrency: *concurrency})
}

// startPprof serves the profiling endpoints on addr in the background.
func startPprof(addr string, log interface{ Info(string, ...any) }) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Handler("heap").ServeHTTP)
	go func() {
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		_ = srv.ListenAndServe()
	}()
	log.Info("pprof listening", "addr", addr)
}

// startProfiles starts a CPU profile into cpuPath and returns a function that stops it and writes a
// heap profile into memPath (either path may be empty).
func startProfiles(cpuPath, memPath string) (func() error, error) {
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("create CPU profile: %w", err)
		}
		if err := rpprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("start CPU profile: %w", err)
		}
		cpu = f
	}
	return func() error {
		if cpu != nil {
			rpprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("write CPU profile: %w", err)
			}
		}
		if memPath == "" {
			return nil
		}
		f, err := os.Create(memPath)
		if err != nil {
			return fmt.Errorf("create heap profile: %w", err)
		}
		runtime.GC()
		if err := rpprof.WriteHeapProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("write heap profile: %w", err)
		}
		return f.Close()
	}, nil
}
