package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/frocket/frocket/internal/testredis"
)

// shared is the package's redis-server, started once by TestMain. Tests isolate themselves by key
// prefix; tests that stop or restart Redis start their own server.
var shared *testredis.Server

func TestMain(m *testing.M) {
	// TestRedisDown makes go-redis log dial failures; keep the test output clean.
	SetRedisLogger(slog.New(slog.DiscardHandler))
	s, err := testredis.StartProcess()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// newClient returns a client of the shared server whose prefix is unique to the test.
func newClient(t *testing.T) *Client {
	t.Helper()
	return newClientFor(t, shared.URL(), "t:"+strings.ReplaceAll(t.Name(), "/", ".")+":")
}

func newClientFor(t *testing.T, url, prefix string) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.URL = url
	cfg.Prefix = prefix
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clearPrefix(t, c)
	return c
}

// clearPrefix deletes the keys a previous run (go test -count=N) left under the client's prefix.
func clearPrefix(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	escape := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)
	pattern := escape.Replace(c.cfg.Prefix) + "*"
	iter := c.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		if err := c.rdb.Del(ctx, iter.Val()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
}
