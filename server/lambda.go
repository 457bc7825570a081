package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/logging"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/objstore"
)

// Defaults of LambdaConfig (Funnel Rocket's where it had one).
const (
	DefaultLambdaFunctionName = "frocket"
	DefaultLambdaRegion       = "us-east-1"
	DefaultLambdaConcurrency  = 20
	DefaultLambdaMemoryMB     = 2048
	DefaultLambdaTimeout      = 10 * time.Second
	// DefaultLambdaPricePerGBSecond is AWS's x86 price per GB-second in most regions.
	DefaultLambdaPricePerGBSecond = 0.0000166667
)

// regionPrice returns the x86 price per GB-second of a region (Funnel Rocket's table: the default
// but for five regions).
func regionPrice(region string) float64 {
	switch region {
	case "eu-south-1":
		return 0.0000195172
	case "me-south-1":
		return 0.0000206667
	case "ap-northeast-3":
		return 0.00002153
	case "af-south-1":
		return 0.0000221
	case "ap-east-1":
		return 0.00002292
	}
	return DefaultLambdaPricePerGBSecond
}

// LambdaConfig says how to invoke the worker function. Each FROCKET_LAMBDA_AWS_X variable wins over
// the generic FROCKET_AWS_X, as in Funnel Rocket.
type LambdaConfig struct {
	// FunctionName is the function's name or ARN (FROCKET_INVOKER_LAMBDA_NAME, default "frocket").
	FunctionName string
	// Region of the function (FROCKET_LAMBDA_AWS_REGION, FROCKET_AWS_REGION, AWS_REGION; default
	// us-east-1). It also picks the price, unless FunctionName is an ARN, whose region then wins.
	Region string
	// Endpoint overrides the Lambda API's URL, e.g. a local emulator (FROCKET_LAMBDA_AWS_ENDPOINT_URL,
	// then FROCKET_AWS_ENDPOINT_URL).
	Endpoint string
	// AccessKeyID and SecretAccessKey are static credentials; both empty means the SDK's default
	// chain (environment, shared files, instance or task role).
	AccessKeyID, SecretAccessKey string
	// NoSignature sends unsigned requests (FROCKET_LAMBDA_AWS_NO_SIGNATURE), e.g. to an emulator.
	NoSignature bool
	// Concurrency bounds the Invoke calls in flight (FROCKET_INVOKER_LAMBDA_THREADS, default 20).
	Concurrency int
	// MemoryMB is the function's memory, for the cost of attempts that do not report it
	// (FROCKET_INVOKER_LAMBDA_MEMORY_MB, default 2048).
	MemoryMB int
	// PricePerGBSecond overrides the price (FROCKET_INVOKER_LAMBDA_PRICE_PER_GB_SECOND); 0 takes it
	// from the region.
	PricePerGBSecond float64
	// Timeout bounds each attempt of an Invoke call: connecting, then waiting for the answer
	// (FROCKET_LAMBDA_AWS_READ_TIMEOUT in seconds, default 10s). An Event invocation is answered as
	// soon as Lambda has queued it.
	Timeout time.Duration
}

// DefaultLambdaConfig returns the configuration used when nothing is set.
func DefaultLambdaConfig() LambdaConfig {
	return LambdaConfig{
		FunctionName: DefaultLambdaFunctionName,
		Region:       DefaultLambdaRegion,
		Concurrency:  DefaultLambdaConcurrency,
		MemoryMB:     DefaultLambdaMemoryMB,
		Timeout:      DefaultLambdaTimeout,
	}
}

// LambdaConfigFromEnv reads the configuration from the FROCKET_* variables over the defaults; empty
// values are ignored and booleans are true only for "true". Every malformed value is reported; the
// result is validated.
func LambdaConfigFromEnv() (LambdaConfig, error) {
	return lambdaConfigFromLookup(os.Getenv)
}

// lambdaConfigFromLookup is LambdaConfigFromEnv over any variable lookup.
func lambdaConfigFromLookup(getenv func(string) string) (LambdaConfig, error) {
	cfg := DefaultLambdaConfig()
	var errs []error
	awsVar := func(name string) string {
		if v := strings.TrimSpace(getenv("FROCKET_LAMBDA_AWS_" + name)); v != "" {
			return v
		}
		return strings.TrimSpace(getenv("FROCKET_AWS_" + name))
	}
	num := func(name string, set func(float64)) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a number", name, s))
			return
		}
		set(v)
	}
	integer := func(name string, dst *int) {
		num(name, func(v float64) {
			if v != math.Trunc(v) {
				errs = append(errs, fmt.Errorf("%s=%v is not an integer", name, v))
				return
			}
			*dst = int(v)
		})
	}
	if v := strings.TrimSpace(getenv("FROCKET_INVOKER_LAMBDA_NAME")); v != "" {
		cfg.FunctionName = v
	}
	if v := awsVar("REGION"); v != "" {
		cfg.Region = v
	} else if v := strings.TrimSpace(getenv("AWS_REGION")); v != "" {
		cfg.Region = v
	}
	cfg.Endpoint = awsVar("ENDPOINT_URL")
	cfg.AccessKeyID = awsVar("ACCESS_KEY_ID")
	cfg.SecretAccessKey = awsVar("SECRET_ACCESS_KEY")
	cfg.NoSignature = strings.EqualFold(awsVar("NO_SIGNATURE"), "true")
	integer("FROCKET_INVOKER_LAMBDA_THREADS", &cfg.Concurrency)
	integer("FROCKET_INVOKER_LAMBDA_MEMORY_MB", &cfg.MemoryMB)
	num("FROCKET_INVOKER_LAMBDA_PRICE_PER_GB_SECOND", func(v float64) { cfg.PricePerGBSecond = v })
	num("FROCKET_LAMBDA_AWS_READ_TIMEOUT", func(v float64) { cfg.Timeout = time.Duration(v * float64(time.Second)) })
	if len(errs) > 0 {
		return cfg, fmt.Errorf("lambda config from environment: %w", errors.Join(errs...))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("lambda config from environment: %w", err)
	}
	return cfg, nil
}

// Validate reports every problem of c at once.
func (c LambdaConfig) Validate() error {
	var errs []error
	if c.FunctionName == "" {
		errs = append(errs, errors.New("function name is empty"))
	}
	errs = append(errs, objstore.ValidateAWSAccess(c.Endpoint, c.AccessKeyID, c.SecretAccessKey, c.NoSignature)...)
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be at least 1, not %d", c.Concurrency))
	}
	if c.MemoryMB < 1 {
		errs = append(errs, fmt.Errorf("memory must be positive, not %d MB", c.MemoryMB))
	}
	if c.PricePerGBSecond < 0 || math.IsNaN(c.PricePerGBSecond) || math.IsInf(c.PricePerGBSecond, 0) {
		errs = append(errs, fmt.Errorf("price per GB-second must be a non-negative number, not %v", c.PricePerGBSecond))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// PriceRegion returns the region that prices the function: the region of FunctionName when it is an
// ARN, else Region, else us-east-1.
func (c LambdaConfig) PriceRegion() string {
	// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME
	if f := strings.Split(c.FunctionName, ":"); len(f) >= 7 && f[0] == "arn" && f[2] == "lambda" && f[3] != "" {
		return f[3]
	}
	if c.Region != "" {
		return c.Region
	}
	return DefaultLambdaRegion
}

// Price returns the price per GB-second: PricePerGBSecond when set, else the price of PriceRegion.
func (c LambdaConfig) Price() float64 {
	if c.PricePerGBSecond > 0 {
		return c.PricePerGBSecond
	}
	return regionPrice(c.PriceRegion())
}

// lambdaStartupSeconds is added to every attempt's run time before billing, as Funnel Rocket did
// for the time Lambda bills around the handler.
const lambdaStartupSeconds = 0.008

// LambdaAttemptCost returns the cost in dollars of one attempt that ran totalSeconds on a function
// of memoryMB at pricePerGBSecond: the time plus 8 ms, rounded up to the millisecond, in GB-seconds.
// Unlike Funnel Rocket it does not bill an extra millisecond for floating-point noise
// ((0.1+0.008)*1000 is 108.00000000000001): the rounding ignores excesses below a nanosecond.
func LambdaAttemptCost(totalSeconds float64, memoryMB int, pricePerGBSecond float64) float64 {
	ms := math.Ceil((max(totalSeconds, 0)+lambdaStartupSeconds)*1000 - 1e-6)
	return ms / 1000 * float64(memoryMB) / 1024 * pricePerGBSecond
}

// LambdaCost returns a RemoteConfig.Cost function that prices a job's attempts, failed ones
// included, with LambdaAttemptCost: an attempt's memory is the one it reported, else cfg.MemoryMB
// (else 2048); the price is cfg.Price(). A job with no attempt has no cost (nil).
func LambdaCost(cfg LambdaConfig) func([]cluster.TaskMetrics) *float64 {
	price := cfg.Price()
	defaultMB := cfg.MemoryMB
	if defaultMB <= 0 {
		defaultMB = DefaultLambdaMemoryMB
	}
	return func(attempts []cluster.TaskMetrics) *float64 {
		if len(attempts) == 0 {
			return nil
		}
		total := 0.0
		for _, m := range attempts {
			mb := m.MemoryMB
			if mb <= 0 {
				mb = defaultMB
			}
			total += LambdaAttemptCost(m.TotalTime, mb, price)
		}
		return &total
	}
}

// LambdaDispatcher sends each task request as an asynchronous invocation (InvocationType Event) of
// the worker function, whose payload is the request's JSON.
type LambdaDispatcher struct {
	client *lambda.Client
	cfg    LambdaConfig
}

// NewLambdaDispatcher returns a dispatcher with an AWS Lambda client for cfg. The client never logs;
// transient failures are retried by the SDK's standard retryer, without a shared retry quota.
func NewLambdaDispatcher(ctx context.Context, cfg LambdaConfig) (*LambdaDispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lambda config: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultLambdaTimeout
	}
	region := cfg.Region
	if region == "" {
		region = DefaultLambdaRegion
	}
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = cfg.Timeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = cfg.Timeout
			tr.MaxIdleConnsPerHost = cfg.Concurrency
		}).
		WithTimeout(cfg.Timeout)
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithHTTPClient(httpClient),
		config.WithLogger(logging.Nop{}),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				// Many invocations go out at once; a shared quota would turn one outage into
				// failures that are not retried at all.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	switch {
	case cfg.NoSignature:
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	case cfg.AccessKeyID != "":
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("lambda client: load aws config: %w", err)
	}
	client := lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &LambdaDispatcher{client: client, cfg: cfg}, nil
}

// Config returns the dispatcher's configuration.
func (d *LambdaDispatcher) Config() LambdaConfig { return d.cfg }

// Dispatch implements Dispatcher: it invokes the function once per request, at most
// cfg.Concurrency calls at a time, each expecting status 202. The first failure stops the calls not
// yet made and is returned as "Failed to invoke lambda function 'NAME': ..." (Funnel Rocket's
// message); requests already accepted stay accepted.
func (d *LambdaDispatcher) Dispatch(ctx context.Context, reqs []cluster.TaskRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, d.cfg.Concurrency)
	for i := range reqs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := d.invoke(ctx, &reqs[i]); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return d.failed(err)
	}
	return nil
}

// invoke sends one request as an Event invocation.
func (d *LambdaDispatcher) invoke(ctx context.Context, req *cluster.TaskRequest) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return d.failed(fmt.Errorf("encode task %d: %w", req.TaskIndex, err))
	}
	out, err := d.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(d.cfg.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return d.failed(err)
	}
	if out.StatusCode != http.StatusAccepted {
		return d.failed(fmt.Errorf("status %d, want 202", out.StatusCode))
	}
	return nil
}

func (d *LambdaDispatcher) failed(err error) error {
	return fmt.Errorf("Failed to invoke lambda function '%s': %w", d.cfg.FunctionName, err)
}
