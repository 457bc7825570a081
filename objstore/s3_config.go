package objstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// Defaults of S3Config.
const (
	DefaultS3Region     = "us-east-1"
	DefaultS3MaxRetries = 5
	DefaultS3Timeout    = 60 * time.Second
)

// S3Config says how to reach an S3-compatible store. The zero value means AWS S3 in us-east-1 with the
// SDK's default credential chain and the default retries and timeout.
type S3Config struct {
	// Endpoint is the store's base URL (http or https); "" means AWS S3.
	Endpoint string
	// Region signs the requests; "" means us-east-1.
	Region string
	// AccessKeyID and SecretAccessKey are static credentials; both empty means the SDK's default
	// chain (environment, shared files, instance role, ...).
	AccessKeyID, SecretAccessKey string
	// NoSignature sends anonymous (unsigned) requests, for public buckets.
	NoSignature bool
	// PathStyle addresses buckets as ENDPOINT/bucket/key instead of bucket.ENDPOINT/key. Requests to
	// a custom Endpoint always use path style, which every S3-compatible store understands.
	PathStyle bool
	// MaxRetries is how many times a request failing transiently (connection errors, timeouts,
	// throttling, 5xx) is retried with jittered exponential backoff. 0 means DefaultS3MaxRetries;
	// a negative value disables retries.
	MaxRetries int
	// Timeout bounds each wait on the server within one attempt: connecting, and every stretch
	// without a byte from it (the response headers, then the body). A slow but steady transfer is
	// never cut. 0 means DefaultS3Timeout.
	Timeout time.Duration
}

// DefaultS3Config returns the configuration used for AWS S3 when nothing is set.
func DefaultS3Config() S3Config {
	return S3Config{Region: DefaultS3Region, MaxRetries: DefaultS3MaxRetries, Timeout: DefaultS3Timeout}
}

// S3ConfigFromEnv reads the configuration the way Funnel Rocket did: each FROCKET_S3_AWS_X variable
// wins over the generic FROCKET_AWS_X, empty values are ignored, and booleans are true only for the
// string "true". X is ENDPOINT_URL, REGION, ACCESS_KEY_ID, SECRET_ACCESS_KEY or NO_SIGNATURE. Path
// style is on when an endpoint is set. The result is validated.
func S3ConfigFromEnv() (S3Config, error) {
	return s3ConfigFromLookup(os.Getenv)
}

// s3ConfigFromLookup is S3ConfigFromEnv over any variable lookup.
func s3ConfigFromLookup(getenv func(string) string) (S3Config, error) {
	get := func(name string) string {
		if v := getenv("FROCKET_S3_AWS_" + name); v != "" {
			return v
		}
		return getenv("FROCKET_AWS_" + name)
	}
	cfg := DefaultS3Config()
	cfg.Endpoint = get("ENDPOINT_URL")
	if r := get("REGION"); r != "" {
		cfg.Region = r
	}
	cfg.AccessKeyID = get("ACCESS_KEY_ID")
	cfg.SecretAccessKey = get("SECRET_ACCESS_KEY")
	cfg.NoSignature = get("NO_SIGNATURE") == "true"
	cfg.PathStyle = cfg.Endpoint != ""
	if err := cfg.Validate(); err != nil {
		return S3Config{}, fmt.Errorf("s3 config from environment: %w", err)
	}
	return cfg, nil
}

// ValidateAWSAccess checks the settings every AWS client of frocket shares (S3, Lambda): an optional
// http(s) endpoint, both access keys or neither, and anonymous access only without keys.
func ValidateAWSAccess(endpoint, accessKeyID, secretAccessKey string, noSignature bool) []error {
	var errs []error
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("endpoint %q: %w", endpoint, err))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, fmt.Errorf("endpoint %q: scheme must be http or https", endpoint))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint %q: no host", endpoint))
		}
	}
	if (accessKeyID == "") != (secretAccessKey == "") {
		errs = append(errs, errors.New("access key id and secret access key must be set together"))
	}
	if noSignature && accessKeyID != "" {
		errs = append(errs, errors.New("no-signature (anonymous) access excludes access keys"))
	}
	return errs
}

// Validate reports every problem of the configuration at once.
func (c S3Config) Validate() error {
	errs := ValidateAWSAccess(c.Endpoint, c.AccessKeyID, c.SecretAccessKey, c.NoSignature)
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero fields with their defaults.
func (c S3Config) withDefaults() S3Config {
	if c.Region == "" {
		c.Region = DefaultS3Region
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultS3MaxRetries
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultS3Timeout
	}
	if c.Endpoint != "" {
		c.PathStyle = true
	}
	return c
}

// NewS3Client returns an S3 client for cfg. For a custom endpoint (an S3-compatible store) checksums
// are computed and validated only when the operation requires them, since such stores often lack the
// newer checksum algorithms. The client never logs. Without static keys or NoSignature, credentials
// come from the SDK's default chain, resolved lazily on the first request.
func NewS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	cfg = cfg.withDefaults()
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = cfg.Timeout }).
		WithTransportOptions(func(tr *http.Transport) { tr.TLSHandshakeTimeout = cfg.Timeout }).
		WithReadTimeout(cfg.Timeout)
	attempts := cfg.MaxRetries + 1
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithHTTPClient(httpClient),
		config.WithLogger(logging.Nop{}),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				// Many parts are read at once; a shared retry quota would turn one outage into
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
	if cfg.Endpoint != "" {
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 client: load aws config: %w", err)
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}
