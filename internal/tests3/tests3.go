// Package tests3 runs a private S3-compatible server (versitygw over a local directory) for tests: on a
// free 127.0.0.1 port, with its data and IAM state in a temporary directory, stopped by its process id
// when the test ends.
//
// Tests that need S3 use this real server, never a mock. Start serves one test; StartProcess and Close
// serve a whole package from its TestMain, or the benchmark harness (bench). The binary is looked up
// in $FROCKET_TOOLS_DIR, then in <module root>/.tools, then on PATH (`make test` installs it into
// .tools). It must not import objstore (whose tests use it), nor package testing: the frocket binary
// links it through the harness, so the test conveniences take a testproc.TB. Other production code
// must not import it.
package tests3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frocket/frocket/internal/testproc"
)

const (
	// binary is the server program.
	binary = "versitygw"
	// toolsEnv names a directory searched for the binary before the module's .tools directory (see
	// testproc.FindTool).
	toolsEnv = "FROCKET_TOOLS_DIR"
	// readyTimeout bounds the wait for a started server to answer HTTP.
	readyTimeout = 20 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL. versitygw's graceful
	// shutdown can wait seconds for idle keep-alive connections, and its data needs no flushing.
	stopGrace = time.Second
	// requestTimeout bounds each setup request (create bucket, put) made by the helpers.
	requestTimeout = 30 * time.Second
)

// Server is a running (or stopped) private versitygw.
type Server struct {
	// Endpoint is "http://127.0.0.1:PORT"; it stays the same across Restart.
	Endpoint string
	// Port is the TCP port the server listens on.
	Port int
	// AccessKey and SecretKey are the root credentials the server accepts.
	AccessKey, SecretKey string
	// Region is the region the server signs for ("us-east-1").
	Region string
	// Dir is the server's working directory; it holds the log file (versitygw.log).
	Dir string
	// DataDir is the posix backend's root: one directory per bucket, one file per object.
	DataDir string
	// IAMDir holds the server's internal IAM state.
	IAMDir string

	path    string           // absolute path of the binary
	ownsDir bool             // Close removes Dir (StartProcess made it)
	run     *testproc.Runner // the running process, if any
}

// Start runs versitygw on a free 127.0.0.1 port with its data in t.TempDir(), waits until it answers,
// and kills it by PID in t.Cleanup (the data is thrown away, so no graceful stop is needed). When the binary is missing it fails the
// test, saying to run `make test` (which installs it).
func Start(t testproc.TB) *Server {
	t.Helper()
	path, err := lookPath()
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(t.TempDir(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.startFreePort(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

// StartProcess is Start for a TestMain: it makes its own temporary directory and returns an error
// instead of failing a test. The caller must call Close.
func StartProcess() (*Server, error) {
	path, err := lookPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tests3-")
	if err != nil {
		return nil, fmt.Errorf("create versitygw dir: %w", err)
	}
	s, err := newServer(dir, path)
	if err == nil {
		s.ownsDir = true
		err = s.startFreePort()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// newServer prepares the directories of a server rooted at dir.
func newServer(dir, path string) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("versitygw dir: %w", err)
	}
	s := &Server{
		AccessKey: "frocket-test-root",
		SecretKey: "frocket-test-root-secret",
		Region:    "us-east-1",
		Dir:       dir,
		DataDir:   filepath.Join(dir, "data"),
		IAMDir:    filepath.Join(dir, "iam"),
		path:      path,
	}
	s.run = testproc.NewRunner(stopGrace, s.start)
	for _, d := range []string{s.DataDir, s.IAMDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create versitygw dir: %w", err)
		}
	}
	return s, nil
}

// Close kills the server and, for a server from StartProcess, removes its directory.
func (s *Server) Close() error {
	s.Kill()
	if s.ownsDir {
		if err := os.RemoveAll(s.Dir); err != nil {
			return fmt.Errorf("remove versitygw dir %s: %w", s.Dir, err)
		}
	}
	return nil
}

// Stop stops the server now: SIGTERM, then SIGKILL if it has not exited within a second. It
// returns when the process is gone. The data stays in DataDir. Stopping a stopped server does nothing.
func (s *Server) Stop() { s.run.Stop() }

// Kill stops the server with SIGKILL, as a crash would, and returns when the process is gone.
func (s *Server) Kill() { s.run.Kill() }

// Pause freezes the server (SIGSTOP): it keeps its port and accepts connections in the kernel's
// backlog but answers nothing, as a hung server would. Resume, Stop and Restart undo it.
func (s *Server) Pause(t testproc.TB) {
	t.Helper()
	err := s.run.With(func(p *testproc.Process) error {
		if p == nil {
			return errors.New("Pause of a stopped server")
		}
		return p.Pause()
	})
	if err != nil {
		t.Fatalf("tests3: %v", err)
	}
}

// Resume lets a paused server run again.
func (s *Server) Resume(t testproc.TB) {
	t.Helper()
	err := s.run.With(func(p *testproc.Process) error {
		if p == nil {
			return nil
		}
		return p.Resume()
	})
	if err != nil {
		t.Fatalf("tests3: %v", err)
	}
}

// Restart stops the server if it runs and starts it again on the same port over the same data
// directory, so buckets and objects survive.
func (s *Server) Restart(t testproc.TB) {
	t.Helper()
	if err := s.RestartProcess(); err != nil {
		t.Fatal(err)
	}
}

// RestartProcess is Restart returning an error instead of failing a test.
func (s *Server) RestartProcess() error { return s.run.Restart() }

// NewClient returns an S3 client for the server: root credentials, path-style addressing, checksums
// only when required, and the SDK's default retries.
func (s *Server) NewClient() *s3.Client {
	return s3.New(s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// Client is NewClient for a test.
func (s *Server) Client(t testproc.TB) *s3.Client {
	t.Helper()
	return s.NewClient()
}

// CreateBucket creates a bucket or fails the test.
func (s *Server) CreateBucket(t testproc.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := s.NewClient().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("tests3: create bucket %s: %v", name, err)
	}
}

// Put writes one object or fails the test.
func (s *Server) Put(t testproc.TB, bucket, key string, data []byte) {
	t.Helper()
	if err := put(s.NewClient(), bucket, key, data); err != nil {
		t.Fatal(err)
	}
}

// UploadDir puts every regular file under dir (recursively, in sorted order) into bucket with the key
// prefix + "/" + its slash-separated path relative to dir (no "/" is added when prefix is empty or
// already ends with one). Links and other non-regular files are skipped.
func (s *Server) UploadDir(t testproc.TB, bucket, prefix, dir string) {
	t.Helper()
	var rels []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rels = append(rels, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatalf("tests3: walk %s: %v", dir, err)
	}
	slices.Sort(rels)
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	client := s.NewClient()
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("tests3: read %s: %v", rel, err)
		}
		if err := put(client, bucket, prefix+rel, data); err != nil {
			t.Fatal(err)
		}
	}
}

// put writes one object.
func put(client *s3.Client, bucket, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("tests3: put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// lookPath finds the binary in $FROCKET_TOOLS_DIR, the module's .tools directory, or PATH, or explains
// how to install it.
func lookPath() (string, error) {
	path, err := testproc.FindTool(binary)
	if err != nil {
		return "", fmt.Errorf("tests3: %w", err)
	}
	return path, nil
}

// startFreePort starts the server on a free port, picking again if another process took the port
// in the meantime.
func (s *Server) startFreePort() error {
	port, err := s.run.StartFreePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.Endpoint = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return nil
}

// start starts versitygw on port and waits until it answers HTTP.
func (s *Server) start(port int) (*testproc.Process, error) {
	hostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(s.Dir, "versitygw.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open versitygw log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(s.path,
		"--port", hostPort,
		"--iam-dir", s.IAMDir,
		"--keep-alive",
		"--quiet",
		"posix", s.DataDir,
	)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	cmd.Dir = s.Dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	endpoint := "http://" + hostPort
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	p, err := testproc.Start(cmd, logPath, readyTimeout, func() error { return answers(probe, endpoint) })
	if err != nil {
		return nil, fmt.Errorf("versitygw on %s: %w", endpoint, err)
	}
	return p, nil
}

// answers reports whether endpoint answers HTTP at all: an anonymous request is refused, which is
// enough.
func answers(client *http.Client, endpoint string) error {
	resp, err := client.Get(endpoint + "/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
