package main

import (
	"context"
	"os"
	"strings"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/cluster"
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
	fs.StringVar(&env.allowedRoots, "allowed-roots", "", "comma-separated directories under which local datasets may be registered (env FROCKET_ALLOWED_ROOTS; empty: any)")
	var rf redisFlags
	rf.add(fs)
	var sf storageFlags
	if err := addStorageFlags(fs, &sf); err != nil {
		return err
	}
	invf, err := addInvokerFlags(fs)
	if err != nil {
		return err
	}
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	if err := invf.check(rf.enabled()); err != nil {
		return err
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
	var eng *server.Engine
	mode, where := "embedded", ""
	if rf.enabled() {
		client, redisURL, err := rf.client()
		if err != nil {
			return err
		}
		defer client.Close()
		cluster.SetRedisLogger(log)
		rc, err := remoteConfigFromEnv()
		if err != nil {
			return err
		}
		inv, invMode, err := lambdaInvokerFromFlags(ctx, invf, client, rc, log)
		if err != nil {
			return err
		}
		if eng, err = env.engineWith(client.Catalog(), inv, &sf); err != nil {
			return err
		}
		cfg.Health = client.Ping
		mode, where = invMode, redisURL
	} else {
		dataDir, err := env.resolvedDataDir()
		if err != nil {
			return err
		}
		store, err := catalog.OpenFileStore(dataDir)
		if err != nil {
			return err
		}
		if eng, err = env.engineWith(store, nil, &sf); err != nil {
			return err
		}
		where = dataDir
	}
	roots := splitList(env.allowedRoots)
	if len(roots) == 0 {
		roots = splitList(os.Getenv("FROCKET_ALLOWED_ROOTS"))
	}
	if len(roots) == 0 {
		log.Warn("no allowed roots: any local directory readable by this process can be registered (set --allowed-roots)")
	}
	log.Info("api server config", "mode", mode, "allowed_roots", strings.Join(roots, ","), "catalog", where, "listen", cfg.Listen,
		"auth", cfg.AuthToken != "", "admin_actions", cfg.AdminActions, "error_details", cfg.ErrorDetails,
		"pretty_print", cfg.PrettyPrint, "max_body_bytes", cfg.MaxBodyBytes,
		"request_timeout_ms", cfg.RequestTimeout.Milliseconds(), "shutdown_timeout_ms", cfg.ShutdownTimeout.Milliseconds())
	return server.Serve(ctx, eng, cfg, log)
}

// httpConfigFromEnv builds the API server configuration from the defaults and the FROCKET_*
// variables; the command line overrides it.
func httpConfigFromEnv() (server.HTTPConfig, error) {
	cfg := server.DefaultHTTPConfig()
	var r envReader
	cfg.Listen = r.str("FROCKET_APISERVER_LISTEN", cfg.Listen)
	cfg.AuthToken = r.str("FROCKET_API_TOKEN", cfg.AuthToken)
	cfg.AdminActions = r.bool("FROCKET_APISERVER_ADMIN_ACTIONS", cfg.AdminActions)
	cfg.ErrorDetails = r.bool("FROCKET_APISERVER_ERROR_DETAILS", cfg.ErrorDetails)
	cfg.PrettyPrint = r.bool("FROCKET_APISERVER_PRETTYPRINT", cfg.PrettyPrint)
	cfg.MaxBodyBytes = r.int64("FROCKET_APISERVER_MAX_BODY_BYTES", cfg.MaxBodyBytes)
	cfg.RequestTimeout = r.duration("FROCKET_APISERVER_REQUEST_TIMEOUT", cfg.RequestTimeout)
	return cfg, r.err()
}
