package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero Config (all defaults) = %v", err)
	}
	cfg := DefaultConfig()
	cfg.ReadTimeout, cfg.WriteTimeout = -1, -1
	if err := cfg.Validate(); err != nil {
		t.Fatalf("no read/write timeout = %v", err)
	}
	bad := Config{
		URL:          "http://:secret@host:6379/0",
		RequestTTL:   time.Millisecond,
		DialTimeout:  -time.Second,
		ReadTimeout:  -5,
		WriteTimeout: -time.Second,
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	// Every problem at once, and no password.
	for _, want := range []string{"scheme", "TTL", "dial timeout", "read timeout", "write timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
	if _, err := New(bad); err == nil {
		t.Error("New(bad config) succeeded")
	}
	if _, err := New(Config{URL: "redis://:secret@host:notaport/0"}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("New(bad port) = %v, want an error without the password", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	f := func(env map[string]string, in Config, wantURL, wantPrefix string) {
		t.Helper()
		for _, k := range []string{"FROCKET_REDIS_HOST", "FROCKET_REDIS_PORT", "FROCKET_REDIS_DB",
			"FROCKET_DATASTORE_REDIS_HOST", "FROCKET_DATASTORE_REDIS_PORT", "FROCKET_DATASTORE_REDIS_DB",
			"FROCKET_DATASTORE_REDIS_PREFIX"} {
			t.Setenv(k, env[k])
		}
		got, err := ConfigFromEnv(in)
		if err != nil {
			t.Fatalf("ConfigFromEnv(%v) = %v", env, err)
		}
		if got.URL != wantURL || got.Prefix != wantPrefix {
			t.Fatalf("ConfigFromEnv(%v) = %q %q, want %q %q", env, got.URL, got.Prefix, wantURL, wantPrefix)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("overlaid config does not validate: %v", err)
		}
	}
	def := DefaultConfig()
	f(nil, def, "redis://localhost:6379/0", "frocket:")
	f(nil, Config{}, "", "")
	f(map[string]string{"FROCKET_REDIS_HOST": "redis.internal"}, def, "redis://redis.internal:6379/0", "frocket:")
	f(map[string]string{"FROCKET_REDIS_PORT": "7000", "FROCKET_REDIS_DB": "3"}, def, "redis://localhost:7000/3", "frocket:")
	f(map[string]string{"FROCKET_REDIS_HOST": "a", "FROCKET_DATASTORE_REDIS_HOST": "b",
		"FROCKET_REDIS_DB": "1", "FROCKET_DATASTORE_REDIS_DB": "2"}, def, "redis://b:6379/2", "frocket:")
	f(map[string]string{"FROCKET_DATASTORE_REDIS_PREFIX": "fr2:"}, def, "redis://localhost:6379/0", "fr2:")
	// Scheme and credentials of the base URL stay.
	f(map[string]string{"FROCKET_REDIS_PORT": "6380"}, Config{URL: "rediss://:pw@cache:6379/5"}, "rediss://:pw@cache:6380/5", "")
	f(map[string]string{"FROCKET_REDIS_HOST": "::1"}, Config{}, "redis://[::1]:6379/0", "")

	for _, env := range []map[string]string{
		{"FROCKET_REDIS_PORT": "x"},
		{"FROCKET_REDIS_PORT": "70000"},
		{"FROCKET_DATASTORE_REDIS_PORT": "0"},
		{"FROCKET_REDIS_DB": "-1"},
		{"FROCKET_DATASTORE_REDIS_DB": "one"},
	} {
		for k, v := range env {
			t.Setenv(k, v)
		}
		if _, err := ConfigFromEnv(def); err == nil {
			t.Errorf("ConfigFromEnv(%v) succeeded", env)
		} else {
			for k := range env {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		}
		for k := range env {
			t.Setenv(k, "")
		}
	}
}

func TestKeys(t *testing.T) {
	c, err := New(Config{Prefix: "p:"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := func(got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("key %q, want %q", got, want)
		}
	}
	f(c.Key("datasets"), "p:datasets")
	f(c.Key("queues", "default"), "p:queues:default")
	f(c.QueueKey("default"), "p:queues:default")
	f(c.Key(), "p:")
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f(d.Key("dataset_lastused"), "frocket:dataset_lastused")
	f(d.RequestKeys("abc")[3], "frocket:req-abc:job:published:parts")
	if d.Addr() != "localhost:6379" {
		t.Fatalf("default Addr() = %q", d.Addr())
	}
}
