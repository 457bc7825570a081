package tests3

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// get reads one object through a fresh client.
func get(t *testing.T, s *Server, bucket, key string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := s.Client(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func TestServer(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("Endpoint = %q, want a loopback address", s.Endpoint)
	}
	s.CreateBucket(t, "helper")
	s.Put(t, "helper", "one/a.txt", []byte("alpha"))

	dir := t.TempDir()
	files := map[string]string{"x.pq": "x", "sub/y.pq": "yy", "sub/deeper/z.pq": "zzz"}
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "x.pq"), filepath.Join(dir, "link.pq")); err != nil {
		t.Fatal(err)
	}
	s.UploadDir(t, "helper", "up", dir)

	out, err := s.Client(t).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("helper")})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	want := []string{"one/a.txt", "up/sub/deeper/z.pq", "up/sub/y.pq", "up/x.pq"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys = %q, want %q (links skipped)", keys, want)
	}
	for rel, data := range files {
		if got, err := get(t, s, "helper", "up/"+rel); err != nil || string(got) != data {
			t.Errorf("get up/%s = %q, %v; want %q", rel, got, err, data)
		}
	}

	// A restart keeps the port and the data.
	endpoint := s.Endpoint
	s.Restart(t)
	if s.Endpoint != endpoint {
		t.Errorf("Endpoint after Restart = %q, want %q", s.Endpoint, endpoint)
	}
	if got, err := get(t, s, "helper", "one/a.txt"); err != nil || !bytes.Equal(got, []byte("alpha")) {
		t.Errorf("get after Restart = %q, %v", got, err)
	}

	// A stopped server refuses connections.
	s.Stop()
	if _, err := get(t, s, "helper", "one/a.txt"); err == nil {
		t.Errorf("get from a stopped server: no error")
	}
	s.Restart(t)

	// A paused server answers nothing until resumed.
	s.Pause(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = s.Client(t).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("helper")})
	cancel()
	if err == nil {
		t.Errorf("HeadBucket on a paused server: no error")
	}
	s.Resume(t)
	if got, err := get(t, s, "helper", "one/a.txt"); err != nil || string(got) != "alpha" {
		t.Errorf("get after Resume = %q, %v", got, err)
	}
}

func TestStartProcess(t *testing.T) {
	s, err := StartProcess()
	if err != nil {
		t.Fatalf("StartProcess: %v", err)
	}
	dir := s.Dir
	s.CreateBucket(t, "main")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind: %v", dir, err)
	}
}

func TestLookPathMissing(t *testing.T) {
	t.Chdir(t.TempDir()) // no go.mod above a temporary directory
	t.Setenv(toolsEnv, t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := lookPath()
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("lookPath with no binary anywhere: %v, want an error saying to run make test", err)
	}

	tools := t.TempDir()
	bin := filepath.Join(tools, binary)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(toolsEnv, tools)
	if got, err := lookPath(); err != nil || got != bin {
		t.Fatalf("lookPath with %s set = %q, %v; want %q", toolsEnv, got, err, bin)
	}
}
