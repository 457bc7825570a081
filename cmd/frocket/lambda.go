package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/server"
	"github.com/frocket/frocket/worker"
)

// runningInLambda reports whether this process runs inside AWS Lambda (or its emulator), where the
// runtime API address is set.
func runningInLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// lambdaResponse is the function's answer to every handled invocation.
type lambdaResponse struct {
	StatusCode int `json:"statusCode"`
}

// lambdaHandler runs task requests in a Lambda execution environment. It is built once per process
// and reused by every warm invocation, with its Redis client and part cache.
type lambdaHandler struct {
	svc *worker.Service
	log *slog.Logger
}

// handle runs one task request. A request rejected for its age is answered without error (the
// invoker has seen it as lost); any other error is returned to the runtime as a function error,
// which does not end the process.
func (h *lambdaHandler) handle(ctx context.Context, req cluster.TaskRequest) (resp lambdaResponse, err error) {
	defer func() {
		// The runtime library ends the process on a panic; a bug in one task must not.
		if r := recover(); r != nil {
			err = fmt.Errorf("BUG: task handler panicked: %v", r)
			h.log.Error("task handler panicked", "request_id", req.RequestID, "task", req.TaskIndex, "err", err)
		}
	}()
	err = h.svc.Handle(ctx, &req)
	switch {
	case errors.Is(err, worker.ErrRejected):
		return lambdaResponse{StatusCode: 200}, nil
	case err != nil:
		h.log.Error("task not handled", "request_id", req.RequestID, "task", req.TaskIndex, "attempt", req.AttemptNo, "err", err)
		return lambdaResponse{}, err
	}
	return lambdaResponse{StatusCode: 200}, nil
}

// cmdLambda runs the Lambda worker: the runtime API loop of aws-lambda-go, with a handler whose
// event is a cluster.TaskRequest. It returns only on a configuration error; otherwise the process
// ends with the execution environment. Logs are JSON lines on stderr.
//
// # Deploying the worker function
//
// `make lambda` builds dist/bootstrap (linux/amd64, static, with the lambda.norpc tag) and
// dist/frocket-lambda.zip, which holds it as `bootstrap` (mode 0755). Create the function with:
//
//   - runtime provided.al2023, architecture x86_64, handler `bootstrap` (the name is not used: the
//     binary starts the handler itself when AWS_LAMBDA_RUNTIME_API is set and it has no arguments);
//   - memory: CPU grows with it (1769 MB is one vCPU's worth); the server prices each task with the
//     memory it reports (AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
//   - timeout: at least FROCKET_INVOKER_RUN_TIMEOUT (60 s);
//   - asynchronous invocation: maximum retry attempts 0 and a short maximum event age (60 s): the
//     server retries failed and lost tasks itself, with a new attempt number;
//   - environment: FROCKET_REDIS_URL (or FROCKET_REDIS_HOST/_PORT/_DB) and FROCKET_DATASTORE_REDIS_PREFIX
//     as the server's; for S3 datasets the role needs s3:GetObject and s3:ListBucket, and
//     FROCKET_S3_AWS_* may name another endpoint; FROCKET_WORKER_CACHE_DIR (default /tmp/frocket-cache)
//     and FROCKET_WORKER_DISK_CACHE_SIZE_MB bounded by the function's ephemeral storage;
//     FROCKET_LOG_LEVEL (default info);
//   - network: the function must reach Redis, usually by running in the VPC of the Redis (e.g.
//     ElastiCache) with a security group that allows its port, plus a VPC endpoint or NAT for S3.
//
// The server runs with `frocket serve --redis URL --invoker lambda --lambda-name NAME` (or
// FROCKET_INVOKER=aws_lambda), and needs lambda:InvokeFunction on the function.
func cmdLambda(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("lambda", "", env.stdout)
	var rf redisFlags
	rf.add(fs)
	var sf storageFlags
	if err := addStorageFlags(fs, &sf); err != nil {
		return err
	}
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	if !runningInLambda() {
		return usageErr("not inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is not set): this command is a Lambda function's bootstrap; `frocket worker` runs a queue worker")
	}
	log, err := jsonLogger(env)
	if err != nil {
		return err
	}
	parts, err := sf.parts()
	if err != nil {
		return err
	}
	defer parts.Close()
	cfg, err := serviceConfigFromEnv()
	if err != nil {
		return err
	}
	var r envReader
	cfg.MemoryMB = r.int("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0)
	if err := r.err(); err != nil {
		return err
	}
	cfg.TrackColdStart = true
	// Each execution environment has its own log stream: the best name to find its logs by.
	if s := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"); s != "" && s != "$LATEST" {
		cfg.Name = s
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
	log.Info("lambda worker config", "redis", redisURL, "function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		"memory_mb", cfg.MemoryMB, "cache_dir", parts.cfg.Dir, "cache_max_mb", parts.cfg.MaxBytes>>20,
		"reject_age_s", cfg.RejectAge.Seconds(), "preflight_ms", cfg.Preflight.Milliseconds(), "name", cfg.Name)
	h := &lambdaHandler{svc: svc, log: log}
	lambda.StartWithOptions(h.handle, lambda.WithContext(ctx))
	return nil
}

// jsonLogger returns a JSON logger on stderr at the level asked for by --loglevel or
// FROCKET_LOG_LEVEL (default info), as Lambda's log tooling reads JSON lines best.
func jsonLogger(env *cliEnv) (*slog.Logger, error) {
	if env.logLevel == "" && os.Getenv("FROCKET_LOG_LEVEL") == "" {
		env.logLevel = "info"
	}
	text, err := env.logger()
	if err != nil {
		return nil, err
	}
	level := slog.LevelError
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		if text.Enabled(context.Background(), l) {
			level = l
			break
		}
	}
	return slog.New(slog.NewJSONHandler(env.stderr, &slog.HandlerOptions{Level: level})), nil
}

// Invoker kinds of --invoker and FROCKET_INVOKER (Funnel Rocket's names are accepted too).
const (
	invokerQueue  = "queue"
	invokerLambda = "lambda"
)

// invokerFlags are serve's flags that choose how tasks reach remote workers.
type invokerFlags struct {
	kind   string
	lambda server.LambdaConfig
}

// addInvokerFlags reads FROCKET_INVOKER and the Lambda settings from the environment into a new
// invokerFlags, and registers the flags that override them.
func addInvokerFlags(fs *flag.FlagSet) (*invokerFlags, error) {
	lc, err := server.LambdaConfigFromEnv()
	if err != nil {
		return nil, err
	}
	f := &invokerFlags{kind: os.Getenv("FROCKET_INVOKER"), lambda: lc}
	if f.kind == "" {
		f.kind = invokerQueue
	}
	fs.StringVar(&f.kind, "invoker", f.kind, "how tasks reach workers with --redis: queue (Redis list, frocket worker) or lambda (async AWS Lambda invocations) (env FROCKET_INVOKER: work_queue or aws_lambda)")
	fs.StringVar(&f.lambda.FunctionName, "lambda-name", f.lambda.FunctionName, "Lambda function name or ARN (env FROCKET_INVOKER_LAMBDA_NAME)")
	fs.StringVar(&f.lambda.Region, "lambda-region", f.lambda.Region, "Lambda function region (env FROCKET_LAMBDA_AWS_REGION, FROCKET_AWS_REGION)")
	fs.StringVar(&f.lambda.Endpoint, "lambda-endpoint", f.lambda.Endpoint, "Lambda API endpoint URL, e.g. an emulator (env FROCKET_LAMBDA_AWS_ENDPOINT_URL, FROCKET_AWS_ENDPOINT_URL)")
	return f, nil
}

// useLambda reports whether the Lambda invoker was chosen, or an error for an unknown kind.
func (f *invokerFlags) useLambda() (bool, error) {
	switch f.kind {
	case invokerQueue, "work_queue":
		return false, nil
	case invokerLambda, "aws_lambda":
		return true, nil
	}
	return false, usageErr("unknown invoker %q (use queue or lambda)", f.kind)
}

// check validates the flags once parsed; the Lambda invoker needs Redis.
func (f *invokerFlags) check(redisEnabled bool) error {
	isLambda, err := f.useLambda()
	if err != nil {
		return err
	}
	if !isLambda {
		return nil
	}
	if !redisEnabled {
		return usageErr("--invoker lambda needs Redis (--redis or FROCKET_REDIS_URL)")
	}
	if err := f.lambda.Validate(); err != nil {
		return usageErr("lambda: %v", err)
	}
	return nil
}

// lambdaInvokerFromFlags returns the remote invoker that f chose over the Redis client: async
// Lambda invocations priced with server.LambdaCost, or the Redis work queue. It also returns the
// mode's name for the start-up log line.
func lambdaInvokerFromFlags(ctx context.Context, f *invokerFlags, client *cluster.Client, rc server.RemoteConfig, log *slog.Logger) (*server.RemoteInvoker, string, error) {
	isLambda, err := f.useLambda()
	if err != nil {
		return nil, "", err
	}
	if !isLambda {
		inv, err := server.NewRemoteInvoker(client, &server.QueueDispatcher{Queue: client}, rc, log)
		return inv, "queue", err
	}
	if err := f.lambda.Validate(); err != nil {
		return nil, "", usageErr("lambda: %v", err)
	}
	d, err := server.NewLambdaDispatcher(ctx, f.lambda)
	if err != nil {
		return nil, "", err
	}
	rc.Cost = server.LambdaCost(f.lambda)
	inv, err := server.NewRemoteInvoker(client, d, rc, log)
	if err != nil {
		return nil, "", err
	}
	lc := d.Config()
	log.Info("lambda invoker config", "function", lc.FunctionName, "region", lc.Region, "endpoint", lc.Endpoint,
		"concurrency", lc.Concurrency, "memory_mb", lc.MemoryMB, "price_per_gb_s", lc.Price(),
		"timeout_ms", lc.Timeout.Milliseconds(), "static_keys", lc.AccessKeyID != "", "no_signature", lc.NoSignature)
	return inv, "lambda", nil
}
