package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Client speaks the frocket protocol to one Redis database. It is safe for concurrent use and
// reconnects by itself: after Redis restarts, the next call succeeds without a new Client.
type Client struct {
	rdb       *redis.Client
	cfg       Config
	addr      string
	ttlMillis int64
	scripts   scripts
}

// New returns a client for cfg (zero fields take their defaults). It does not connect: the first
// call does, so New succeeds while Redis is down.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("redis config: %w", err)
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %q: %w", redactURL(cfg.URL), urlError(err))
	}
	opts.DialTimeout = cfg.DialTimeout
	opts.ReadTimeout = cfg.ReadTimeout
	opts.WriteTimeout = cfg.WriteTimeout
	opts.ContextTimeoutEnabled = true
	// A refused connection is retried once per command attempt (go-redis retries the command itself
	// three times), so a call fails within about half a second when Redis is down instead of two.
	opts.DialerRetries = 2
	// Plain Redis 7 knows neither: skip the extra round trips on every new connection.
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &Client{
		rdb:       redis.NewClient(opts),
		cfg:       cfg,
		addr:      opts.Addr,
		ttlMillis: cfg.RequestTTL.Milliseconds(),
		scripts:   newScripts(),
	}, nil
}

// Close closes the client's connections. Calls after Close fail.
func (c *Client) Close() error {
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return c.fail("PING", c.addr, err)
	}
	return nil
}

// Addr returns the host:port of the Redis server.
func (c *Client) Addr() string { return c.addr }

// Key returns the prefix followed by parts joined with ':'.
func (c *Client) Key(parts ...string) string { return c.cfg.Prefix + strings.Join(parts, ":") }

// RequestKeys returns every key a request may own: the status, result and attempt-counter hashes
// and the published part set, in that order.
func (c *Client) RequestKeys(rid string) []string {
	return []string{c.statusKey(rid), c.resultKey(rid), c.attemptKey(rid), c.partsKey(rid)}
}

func (c *Client) statusKey(rid string) string  { return c.Key("req-"+rid, "task", "attempt", "status") }
func (c *Client) resultKey(rid string) string  { return c.Key("req-"+rid, "task", "attempt", "result") }
func (c *Client) attemptKey(rid string) string { return c.Key("req-"+rid, "task", "attempt", "no") }
func (c *Client) partsKey(rid string) string   { return c.Key("req-"+rid, "job", "published", "parts") }

// unavailableError marks an error of a call that could not reach Redis.
type unavailableError struct {
	addr string
	err  error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("Redis at %s is unreachable: %v", e.addr, e.err)
}

func (e *unavailableError) Unwrap() error { return e.err }

// IsUnavailable reports whether err means that Redis could not be reached or stopped answering: a
// refused, reset or closed connection, a network timeout, or no free connection in time. A canceled
// context is not unavailability.
func IsUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ue *unavailableError
	if errors.As(err, &ue) {
		return true
	}
	return isConnError(err)
}

// isConnError classifies the errors of the network and of the connection pool.
func isConnError(err error) bool {
	for _, target := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT,
		io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, redis.ErrPoolTimeout,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var de *net.DNSError
	return errors.As(err, &de)
}

// fail wraps the error of a Redis command on key; a connection failure says that Redis is unreachable.
func (c *Client) fail(cmd, key string, err error) error {
	if !errors.Is(err, context.Canceled) && isConnError(err) {
		err = &unavailableError{addr: c.addr, err: err}
	}
	return fmt.Errorf("redis %s %s: %w", cmd, key, err)
}

// SetRedisLogger routes the messages go-redis logs by itself (such as repeated dial failures) to l at
// level WARN. go-redis keeps one logger per process, so only cmd/ calls this, once at start; the
// cluster package never logs on its own.
func SetRedisLogger(l *slog.Logger) {
	redis.SetLogger(redisLogger{l: l})
}

// redisLogger adapts a slog.Logger to go-redis's logging interface.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}
