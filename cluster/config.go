package cluster

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Config.
const (
	DefaultURL          = "redis://localhost:6379/0"
	DefaultPrefix       = "frocket:"
	DefaultRequestTTL   = 10 * time.Minute
	DefaultDialTimeout  = 5 * time.Second
	DefaultReadTimeout  = 5 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	defaultRedisPort    = "6379"
)

// Config says which Redis to use and how. A zero field takes its default (see DefaultConfig).
type Config struct {
	// URL is redis://[[user]:password@]host:port/db, or rediss:// for TLS.
	URL string
	// Prefix starts every key.
	Prefix string
	// RequestTTL is the time to live of per-request keys, refreshed on every status write.
	RequestTTL time.Duration
	// DialTimeout bounds connecting. ReadTimeout and WriteTimeout bound one command's socket reads and
	// writes (-1: no limit); a blocking pop adds its own block time to the read timeout.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
}

// DefaultConfig returns the configuration of a local Redis on its default port.
func DefaultConfig() Config {
	return Config{
		URL:          DefaultURL,
		Prefix:       DefaultPrefix,
		RequestTTL:   DefaultRequestTTL,
		DialTimeout:  DefaultDialTimeout,
		ReadTimeout:  DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.URL == "" {
		c.URL = d.URL
	}
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	if c.RequestTTL == 0 {
		c.RequestTTL = d.RequestTTL
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	return c
}

// Validate reports every problem of the configuration at once. Zero fields are valid: they take
// their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, err := redis.ParseURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("redis URL %q: %w", redactURL(c.URL), urlError(err)))
	}
	if c.RequestTTL < time.Second {
		errs = append(errs, fmt.Errorf("request TTL %s is below 1s", c.RequestTTL))
	}
	if c.DialTimeout < 0 {
		errs = append(errs, fmt.Errorf("dial timeout %s is negative", c.DialTimeout))
	}
	if c.ReadTimeout < 0 && c.ReadTimeout != -1 {
		errs = append(errs, fmt.Errorf("read timeout %s is negative (use -1 for no limit)", c.ReadTimeout))
	}
	if c.WriteTimeout < 0 && c.WriteTimeout != -1 {
		errs = append(errs, fmt.Errorf("write timeout %s is negative (use -1 for no limit)", c.WriteTimeout))
	}
	return errors.Join(errs...)
}

// ConfigFromEnv overlays the Redis environment variables on c: FROCKET_REDIS_HOST, FROCKET_REDIS_PORT
// and FROCKET_REDIS_DB replace those parts of c.URL (scheme and credentials stay), the per-role
// FROCKET_DATASTORE_REDIS_HOST, _PORT and _DB win over them, and FROCKET_DATASTORE_REDIS_PREFIX sets
// the prefix. Empty variables are ignored. A malformed port or DB, or an unparseable URL to overlay
// on, is an error.
func ConfigFromEnv(c Config) (Config, error) {
	get := func(name string) (string, string) {
		if v := os.Getenv("FROCKET_DATASTORE_REDIS_" + name); v != "" {
			return v, "FROCKET_DATASTORE_REDIS_" + name
		}
		return os.Getenv("FROCKET_REDIS_" + name), "FROCKET_REDIS_" + name
	}
	host, _ := get("HOST")
	port, portVar := get("PORT")
	db, dbVar := get("DB")
	if prefix := os.Getenv("FROCKET_DATASTORE_REDIS_PREFIX"); prefix != "" {
		c.Prefix = prefix
	}
	if host == "" && port == "" && db == "" {
		return c, nil
	}
	var errs []error
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q is not a port number", portVar, port))
		}
	}
	if db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a database number", dbVar, db))
		}
	}
	base := c.URL
	if base == "" {
		base = DefaultURL
	}
	u, err := url.Parse(base)
	if err != nil {
		errs = append(errs, fmt.Errorf("redis URL %q: %w", redactURL(base), urlError(err)))
	} else if u.Scheme != "redis" && u.Scheme != "rediss" {
		errs = append(errs, fmt.Errorf("redis URL %q: scheme %q cannot take a host and port", redactURL(base), u.Scheme))
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	if host == "" {
		host = u.Hostname()
	}
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = u.Port()
	}
	if port == "" {
		port = defaultRedisPort
	}
	u.Host = net.JoinHostPort(host, port)
	if db != "" {
		u.Path = "/" + db
	}
	c.URL = u.String()
	return c, nil
}

// redactURL hides a password in a Redis URL, for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// urlError strips the URL (which may hold a password) from a URL parse error.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
