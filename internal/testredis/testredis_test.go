package testredis

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	if want := "redis://127.0.0.1:" + strconv.Itoa(s.Port) + "/0"; s.URL() != want {
		t.Fatalf("URL() = %q, want %q", s.URL(), want)
	}
	s.Stop()
	if err := ping(s.Addr); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Stop() // idempotent

	port := s.Port
	s.Restart(t)
	if s.Port != port {
		t.Fatalf("Restart moved the port from %d to %d", port, s.Port)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	s.Kill()
	if err := ping(s.Addr); err == nil {
		t.Fatal("PING answered after Kill")
	}
	s.Kill() // idempotent
	s.Restart(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING after Kill and Restart: %v", err)
	}
}

func TestNoPersistence(t *testing.T) {
	s := Start(t)
	s.Stop()
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "redis.log" {
			t.Errorf("server left %s in its directory", e.Name())
		}
	}
}

func TestStartProcessClose(t *testing.T) {
	s, err := StartProcess()
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr); err == nil {
		t.Fatal("PING answered after Close")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s: %v", s.Dir, err)
	}
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartProcess()
	if err == nil {
		t.Fatal("StartProcess succeeded without redis-server on PATH")
	}
	for _, want := range []string{"make test", "apt-get install -y redis-server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
