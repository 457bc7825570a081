package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frocket/frocket/internal/tests3"
)

// s3TestConfig is a client configuration for srv with few retries and short timeouts, so failure tests
// end quickly.
func s3TestConfig(srv *tests3.Server) S3Config {
	return S3Config{
		Endpoint:        srv.Endpoint,
		Region:          srv.Region,
		AccessKeyID:     srv.AccessKey,
		SecretAccessKey: srv.SecretKey,
		MaxRetries:      2,
		Timeout:         5 * time.Second,
	}
}

// newTestS3 returns a bucket over bucket/prefix on srv through a client made by NewS3Client.
func newTestS3(t *testing.T, cfg S3Config, bucket, prefix string) *S3 {
	t.Helper()
	client, err := NewS3Client(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewS3Client: %v", err)
	}
	return NewS3(client, bucket, prefix)
}

// testData returns n deterministic bytes that differ from their neighbours.
func testData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestS3Bucket(t *testing.T) {
	srv := tests3.Start(t)
	var buckets atomic.Int32
	testBucket(t, func(t *testing.T, files map[string][]byte) Bucket {
		name := fmt.Sprintf("suite-%d", buckets.Add(1))
		srv.CreateBucket(t, name)
		for rel, data := range files {
			srv.Put(t, name, "data/set/"+rel, data)
		}
		// Keys outside the prefix, one of them sharing its first characters, must stay invisible.
		srv.Put(t, name, "data/set2/a.parquet", []byte("other dataset"))
		srv.Put(t, name, "data/a.parquet", []byte("parent directory"))
		srv.Put(t, name, "a.parquet", []byte("bucket root"))
		return newTestS3(t, s3TestConfig(srv), name, "data/set")
	})
}

func TestS3ListPrefix(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "nested")
	keys := map[string]string{
		"ds/a.pq":            "a",
		"ds/b.pq":            "bb",
		"ds/notes.txt":       "notes",
		"ds/sub/x.pq":        "xxx",
		"ds/sub/deeper/y.pq": "yyyy",
		"ds/folder/":         "",
		"ds2/c.pq":           "c",
		"dsx.pq":             "dsx",
		"top.pq":             "top",
	}
	for k, v := range keys {
		srv.Put(t, "nested", k, []byte(v))
	}
	cfg := s3TestConfig(srv)
	ctx := context.Background()
	f := func(prefix, pattern string, want ...string) {
		t.Helper()
		b := newTestS3(t, cfg, "nested", prefix)
		objs, err := b.List(ctx, pattern)
		if err != nil {
			t.Fatalf("prefix %q: List(%q): %v", prefix, pattern, err)
		}
		if objs == nil {
			t.Fatalf("prefix %q: List(%q) = nil, want a non-nil slice", prefix, pattern)
		}
		got := []string{}
		for _, o := range objs {
			got = append(got, o.Name)
			if want, ok := keys[b.prefix+o.Name]; !ok || o.Size != int64(len(want)) {
				t.Errorf("prefix %q: %s has size %d, want %d", prefix, o.Name, o.Size, len(want))
			}
		}
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("prefix %q: List(%q) = %q, want %q", prefix, pattern, got, want)
		}
	}
	for _, prefix := range []string{"ds", "ds/"} {
		f(prefix, "*", "a.pq", "b.pq", "notes.txt", "sub/deeper/y.pq", "sub/x.pq")
		f(prefix, "*.pq", "a.pq", "b.pq", "sub/deeper/y.pq", "sub/x.pq")
		f(prefix, "b*.pq", "b.pq")
		f(prefix, "?.pq", "a.pq", "b.pq")
		f(prefix, "sub/*", "sub/deeper/y.pq", "sub/x.pq")
		f(prefix, "folder*")
	}
	f("", "*.pq", "ds/a.pq", "ds/b.pq", "ds/sub/deeper/y.pq", "ds/sub/x.pq", "ds2/c.pq", "dsx.pq", "top.pq")
	f("ds/sub", "*", "deeper/y.pq", "x.pq")
	f("nothing/", "*")
}

func TestS3ListManyObjects(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "many")
	const n = 1100
	var want []Object
	for i := range n {
		want = append(want, Object{Name: fmt.Sprintf("part-%04d.pq", i), Size: int64(i % 7)})
	}
	// Upload with a few workers: one by one takes several seconds.
	client := srv.Client(t)
	var wg sync.WaitGroup
	work := make(chan Object)
	errs := make(chan error, n)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String("many"),
					Key:    aws.String("big/" + o.Name),
					Body:   bytes.NewReader(testData(int(o.Size))),
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, o := range want {
		work <- o
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("put: %v", err)
	}
	srv.Put(t, "many", "big/_SUCCESS", nil)

	ctx := context.Background()
	b := newTestS3(t, s3TestConfig(srv), "many", "big")
	for _, pageSize := range []int32{0, 333} {
		b.pageSize = pageSize
		got, err := b.List(ctx, "*.pq")
		if err != nil {
			t.Fatalf("page size %d: List: %v", pageSize, err)
		}
		if len(got) != n {
			t.Fatalf("page size %d: List returned %d objects, want %d", pageSize, len(got), n)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("page size %d: List returned other objects than uploaded", pageSize)
		}
	}
}

func TestS3NotFound(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "present")
	srv.Put(t, "present", "data/a.parquet", []byte("a"))
	cfg := s3TestConfig(srv)
	ctx := context.Background()
	f := func(what string, err error, wantInMsg string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if !IsNotFound(err) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: IsNotFound(%v) = false", what, err)
		}
		if IsAccessDenied(err) {
			t.Errorf("%s: IsAccessDenied(%v) = true", what, err)
		}
		if !strings.Contains(err.Error(), wantInMsg) {
			t.Errorf("%s: error %q does not name %s", what, err, wantInMsg)
		}
	}

	missingBucket := newTestS3(t, cfg, "no-such-bucket", "data")
	_, err := missingBucket.List(ctx, "*")
	f("List in a missing bucket", err, "s3://no-such-bucket/data/")
	if !strings.Contains(err.Error(), "bucket no-such-bucket does not exist") {
		t.Errorf("List in a missing bucket: %q does not say which bucket is missing", err)
	}
	_, _, err = missingBucket.Open(ctx, "a.parquet")
	f("Open in a missing bucket", err, "s3://no-such-bucket/data/a.parquet")
	_, err = missingBucket.Download(ctx, "a.parquet", io.Discard)
	f("Download from a missing bucket", err, "s3://no-such-bucket/data/a.parquet")

	b := newTestS3(t, cfg, "present", "data")
	_, _, err = b.Open(ctx, "missing.parquet")
	f("Open of a missing key", err, "s3://present/data/missing.parquet")
	_, err = b.Download(ctx, "missing.parquet", io.Discard)
	f("Download of a missing key", err, "s3://present/data/missing.parquet")

	// An empty prefix is an empty listing, not an error.
	objs, err := newTestS3(t, cfg, "present", "nothing").List(ctx, "*")
	if err != nil || len(objs) != 0 {
		t.Errorf("List of an empty prefix = %v, %v; want no objects and no error", objs, err)
	}
}

func TestS3ReadAt(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "ranges")
	data := testData(10_000)
	srv.Put(t, "ranges", "p/obj.parquet", data)
	ctx := context.Background()
	b := newTestS3(t, s3TestConfig(srv), "ranges", "p")
	r, size, err := b.Open(ctx, "obj.parquet")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if size != int64(len(data)) {
		t.Fatalf("Open size = %d, want %d", size, len(data))
	}
	f := func(off int64, n int, wantN int, wantErr error) {
		t.Helper()
		p := make([]byte, n)
		got, err := r.ReadAt(p, off)
		if got != wantN || err != wantErr {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d, %v", n, off, got, err, wantN, wantErr)
		}
		if got > 0 && !bytes.Equal(p[:got], data[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d) returned wrong bytes", n, off)
		}
	}
	f(0, 100, 100, nil)          // start
	f(5000, 1234, 1234, nil)     // middle
	f(9990, 10, 10, nil)         // exactly the end
	f(0, 10_000, 10_000, nil)    // all of it
	f(9995, 10, 5, io.EOF)       // across the end
	f(0, 10_001, 10_000, io.EOF) // one more than all
	f(10_000, 1, 0, io.EOF)      // at the end
	f(20_000, 1, 0, io.EOF)      // past the end
	f(1, 0, 0, nil)              // nothing asked
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Errorf("ReadAt at a negative offset: no error")
	}

	// Replacing the object after Open makes reads fail rather than mix two versions.
	srv.Put(t, "ranges", "p/obj.parquet", testData(10_001))
	if _, err := r.ReadAt(make([]byte, 10), 0); err == nil || !strings.Contains(err.Error(), "changed") ||
		!strings.Contains(err.Error(), "s3://ranges/p/obj.parquet") {
		t.Errorf("ReadAt after the object was replaced: %v, want an error saying it changed", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: %v, want os.ErrClosed", err)
	}

	// Reads use the context given to Open.
	cctx, cancel := context.WithCancel(ctx)
	r2, _, err := b.Open(cctx, "obj.parquet")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	cancel()
	if _, err := r2.ReadAt(make([]byte, 1), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAt after the Open context was canceled: %v, want context.Canceled", err)
	}
}

func TestS3Download(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "dlbucket")
	big := testData(3<<20 + 17)
	srv.Put(t, "dlbucket", "big.parquet", big)
	srv.Put(t, "dlbucket", "empty.parquet", nil)
	ctx := context.Background()
	b := newTestS3(t, s3TestConfig(srv), "dlbucket", "")

	var buf bytes.Buffer
	n, err := b.Download(ctx, "big.parquet", &buf)
	if err != nil || n != int64(len(big)) || !bytes.Equal(buf.Bytes(), big) {
		t.Fatalf("Download(big) = %d, %v (%d bytes buffered); want %d bytes, equal", n, err, buf.Len(), len(big))
	}
	buf.Reset()
	if n, err := b.Download(ctx, "empty.parquet", &buf); n != 0 || err != nil || buf.Len() != 0 {
		t.Fatalf("Download(empty) = %d, %v; want 0, nil", n, err)
	}

	// A failing writer stops the download with its own error.
	errDiskFull := errors.New("disk full")
	n, err = b.Download(ctx, "big.parquet", &failingWriter{limit: 1000, err: errDiskFull})
	if !errors.Is(err, errDiskFull) || n != 1000 || !strings.Contains(err.Error(), "s3://dlbucket/big.parquet") {
		t.Fatalf("Download to a failing writer = %d, %v; want 1000 and the writer's error", n, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Download(cctx, "big.parquet", io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("Download with a canceled context: %v, want context.Canceled", err)
	}
}

// failingWriter accepts limit bytes, then fails with err.
type failingWriter struct {
	limit, n int
	err      error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) <= w.limit {
		w.n += len(p)
		return len(p), nil
	}
	k := w.limit - w.n
	w.n = w.limit
	return k, w.err
}

func TestS3AccessDenied(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "private")
	srv.Put(t, "private", "d/a.parquet", []byte("secret"))
	ctx := context.Background()
	wrongSecret := s3TestConfig(srv)
	wrongSecret.SecretAccessKey = "not-the-secret"
	unknownKey := s3TestConfig(srv)
	unknownKey.AccessKeyID = "nobody"
	anonymous := s3TestConfig(srv)
	anonymous.AccessKeyID, anonymous.SecretAccessKey, anonymous.NoSignature = "", "", true
	f := func(what string, err error, loc string) {
		t.Helper()
		if err == nil || !IsAccessDenied(err) || IsNotFound(err) {
			t.Fatalf("%s: %v, want an access denied error", what, err)
		}
		if !strings.Contains(err.Error(), "access denied to "+loc) {
			t.Errorf("%s: error %q does not say access denied to %s", what, err, loc)
		}
	}
	for name, cfg := range map[string]S3Config{"wrong secret": wrongSecret, "unknown key": unknownKey, "anonymous": anonymous} {
		b := newTestS3(t, cfg, "private", "d")
		_, err := b.List(ctx, "*")
		f(name+": List", err, "s3://private/d/")
		_, _, err = b.Open(ctx, "a.parquet")
		f(name+": Open", err, "s3://private/d/a.parquet")
		_, err = b.Download(ctx, "a.parquet", io.Discard)
		f(name+": Download", err, "s3://private/d/a.parquet")
	}
}

func TestS3ServerStopped(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "flaky")
	data := testData(4096)
	srv.Put(t, "flaky", "d/a.parquet", data)
	cfg := s3TestConfig(srv)
	cfg.MaxRetries = 1
	cfg.Timeout = time.Second
	ctx := context.Background()
	b := newTestS3(t, cfg, "flaky", "d")
	r, _, err := b.Open(ctx, "a.parquet")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p := make([]byte, 100)
	if _, err := r.ReadAt(p, 0); err != nil {
		t.Fatalf("ReadAt before the stop: %v", err)
	}

	srv.Stop()
	check := func(what string, err error, loc string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s with the server stopped: no error", what)
		}
		if IsNotFound(err) || IsAccessDenied(err) {
			t.Errorf("%s with the server stopped: %v is classified as not found or access denied", what, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, loc) || !strings.Contains(msg, "gave up after 2 attempts") ||
			!strings.Contains(msg, "connection refused") {
			t.Errorf("%s with the server stopped: %q, want it to name %s, the attempts and the cause", what, msg, loc)
		}
	}
	start := time.Now()
	_, err = r.ReadAt(p, 10)
	check("ReadAt", err, "s3://flaky/d/a.parquet")
	_, err = b.List(ctx, "*")
	check("List", err, "s3://flaky/d/")
	_, _, err = b.Open(ctx, "a.parquet")
	check("Open", err, "s3://flaky/d/a.parquet")
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("three failing calls took %s; retries and timeouts should bound them", d)
	}

	srv.Restart(t)
	if n, err := r.ReadAt(p, 10); n != len(p) || err != nil || !bytes.Equal(p, data[10:110]) {
		t.Fatalf("ReadAt after the restart = %d, %v", n, err)
	}
	if objs, err := b.List(ctx, "*"); err != nil || len(objs) != 1 {
		t.Fatalf("List after the restart = %v, %v", objs, err)
	}
}

func TestS3ServerHung(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "slow")
	data := testData(4096)
	srv.Put(t, "slow", "a.parquet", data)
	cfg := s3TestConfig(srv)
	cfg.MaxRetries = 1
	cfg.Timeout = 500 * time.Millisecond
	ctx := context.Background()
	b := newTestS3(t, cfg, "slow", "")
	r, _, err := b.Open(ctx, "a.parquet")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	srv.Pause(t)
	start := time.Now()
	_, err = r.ReadAt(make([]byte, 10), 0)
	d := time.Since(start)
	srv.Resume(t)
	if err == nil || !strings.Contains(err.Error(), "s3://slow/a.parquet") ||
		!strings.Contains(err.Error(), "no data from the server within 500ms") {
		t.Fatalf("ReadAt from a hung server: %v, want a timeout naming the object", err)
	}
	if d < cfg.Timeout || d > 10*time.Second {
		t.Errorf("ReadAt from a hung server took %s; want about two timeouts of %s", d, cfg.Timeout)
	}
	p := make([]byte, 10)
	if n, err := r.ReadAt(p, 5); n != 10 || err != nil || !bytes.Equal(p, data[5:15]) {
		t.Fatalf("ReadAt after the server resumed = %d, %v", n, err)
	}
}

// cuttingProxy forwards requests to a real server but breaks off the body of the first `cuts` GET
// responses after `after` bytes, and records the Range header of every GET.
type cuttingProxy struct {
	cuts   atomic.Int32
	after  atomic.Int64
	mu     sync.Mutex
	ranges []string
}

func (c *cuttingProxy) start(t *testing.T, endpoint string) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		// The Host header stays the proxy's: the client signed it.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Method != http.MethodGet {
				return nil
			}
			c.mu.Lock()
			c.ranges = append(c.ranges, resp.Request.Header.Get("Range"))
			c.mu.Unlock()
			if c.cuts.Add(-1) >= 0 {
				resp.Body = &cutBody{r: io.LimitReader(resp.Body, c.after.Load()), closer: resp.Body}
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	hs := httptest.NewServer(rp)
	t.Cleanup(hs.Close)
	return hs.URL
}

func (c *cuttingProxy) seenRanges() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ranges)
}

// cutBody ends in an error after its limited reader runs dry; the proxy then aborts the response.
type cutBody struct {
	r      io.Reader
	closer io.Closer
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errors.New("cut")
	}
	return n, err
}

func (b *cutBody) Close() error { return b.closer.Close() }

func TestS3ResumeBrokenBody(t *testing.T) {
	srv := tests3.Start(t)
	srv.CreateBucket(t, "cut")
	data := testData(1 << 20)
	srv.Put(t, "cut", "d/a.parquet", data)
	ctx := context.Background()

	proxy := &cuttingProxy{}
	proxy.after.Store(100_000)
	proxy.cuts.Store(2)
	cfg := s3TestConfig(srv)
	cfg.Endpoint = proxy.start(t, srv.Endpoint)
	b := newTestS3(t, cfg, "cut", "d")

	var buf bytes.Buffer
	n, err := b.Download(ctx, "a.parquet", &buf)
	if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("Download through a cutting proxy = %d, %v; want all %d bytes", n, err, len(data))
	}
	// The client gets at most the bytes the proxy passed before cutting (some may be lost in its
	// buffers), and resumes exactly where it stopped.
	ranges := proxy.seenRanges()
	if len(ranges) != 3 || ranges[0] != "" {
		t.Fatalf("GET ranges = %q, want a full GET and two resumes", ranges)
	}
	first, second := rangeStart(t, ranges[1], ""), rangeStart(t, ranges[2], "")
	if first <= 0 || first > 100_000 || second <= first || second > first+100_000 {
		t.Errorf("GET ranges = %q, want resumes after at most 100000 bytes each", ranges)
	}

	// ReadAt resumes within its range.
	r, _, err := b.Open(ctx, "a.parquet")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	proxy.cuts.Store(1)
	p := make([]byte, 300_000)
	if n, err := r.ReadAt(p, 50); n != len(p) || err != nil || !bytes.Equal(p, data[50:50+len(p)]) {
		t.Fatalf("ReadAt through a cutting proxy = %d, %v", n, err)
	}
	ranges = proxy.seenRanges()[3:]
	if len(ranges) != 2 || ranges[0] != "bytes=50-300049" {
		t.Fatalf("ReadAt GET ranges = %q, want the asked range and one resume", ranges)
	}
	if resume := rangeStart(t, ranges[1], "300049"); resume <= 50 || resume > 100_050 {
		t.Errorf("ReadAt GET ranges = %q, want a resume within the first 100000 bytes", ranges)
	}

	// A body that breaks off before any byte, every time, gives up after the retries.
	proxy.after.Store(0)
	proxy.cuts.Store(100)
	_, err = b.Download(ctx, "a.parquet", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "s3://cut/d/a.parquet") ||
		!strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("Download with every body cut: %v, want it to give up after 3 attempts", err)
	}
}

// rangeStart parses "bytes=N-end" and returns N.
func rangeStart(t *testing.T, header, end string) int64 {
	t.Helper()
	spec, ok := strings.CutPrefix(header, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if !ok || !ok2 || err != nil || last != end {
		t.Fatalf("Range %q, want bytes=N-%s", header, end)
	}
	return n
}

func TestS3ConfigFromEnv(t *testing.T) {
	f := func(env map[string]string, want S3Config) {
		t.Helper()
		got, err := s3ConfigFromLookup(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("env %v: %v", env, err)
		}
		if got != want {
			t.Errorf("env %v:\n got %+v\nwant %+v", env, got, want)
		}
	}
	def := DefaultS3Config()
	f(nil, def)

	generic := def
	generic.Endpoint, generic.PathStyle = "http://127.0.0.1:9000", true
	generic.Region = "eu-west-1"
	generic.AccessKeyID, generic.SecretAccessKey = "gk", "gs"
	f(map[string]string{
		"FROCKET_AWS_ENDPOINT_URL":      "http://127.0.0.1:9000",
		"FROCKET_AWS_REGION":            "eu-west-1",
		"FROCKET_AWS_ACCESS_KEY_ID":     "gk",
		"FROCKET_AWS_SECRET_ACCESS_KEY": "gs",
	}, generic)

	specific := generic
	specific.Endpoint, specific.AccessKeyID, specific.SecretAccessKey = "https://s3.example.com", "sk", "ss"
	f(map[string]string{
		"FROCKET_AWS_ENDPOINT_URL":         "http://127.0.0.1:9000",
		"FROCKET_S3_AWS_ENDPOINT_URL":      "https://s3.example.com",
		"FROCKET_AWS_REGION":               "eu-west-1",
		"FROCKET_S3_AWS_REGION":            "", // empty: ignored
		"FROCKET_AWS_ACCESS_KEY_ID":        "gk",
		"FROCKET_S3_AWS_ACCESS_KEY_ID":     "sk",
		"FROCKET_AWS_SECRET_ACCESS_KEY":    "gs",
		"FROCKET_S3_AWS_SECRET_ACCESS_KEY": "ss",
		"FROCKET_LAMBDA_AWS_REGION":        "ap-south-1", // another service's
	}, specific)

	anon := def
	anon.NoSignature = true
	f(map[string]string{"FROCKET_AWS_NO_SIGNATURE": "true"}, anon)
	f(map[string]string{"FROCKET_S3_AWS_NO_SIGNATURE": "true", "FROCKET_AWS_NO_SIGNATURE": "false"}, anon)
	f(map[string]string{"FROCKET_S3_AWS_NO_SIGNATURE": "TRUE"}, def) // only "true" is true
	f(map[string]string{"FROCKET_AWS_NO_SIGNATURE": "1"}, def)

	bad := func(env map[string]string, wantInMsg ...string) {
		t.Helper()
		_, err := s3ConfigFromLookup(func(k string) string { return env[k] })
		if err == nil {
			t.Fatalf("env %v: no error", env)
		}
		for _, w := range wantInMsg {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("env %v: error %q does not mention %q", env, err, w)
			}
		}
	}
	bad(map[string]string{"FROCKET_AWS_ACCESS_KEY_ID": "k"}, "set together")
	// Every problem is reported at once.
	bad(map[string]string{"FROCKET_S3_AWS_ENDPOINT_URL": "ftp://x", "FROCKET_AWS_SECRET_ACCESS_KEY": "s"},
		"scheme must be http or https", "set together")
	bad(map[string]string{"FROCKET_AWS_NO_SIGNATURE": "true", "FROCKET_AWS_ACCESS_KEY_ID": "k",
		"FROCKET_AWS_SECRET_ACCESS_KEY": "s"}, "excludes access keys")
}

func TestNewS3Client(t *testing.T) {
	ctx := context.Background()
	if _, err := NewS3Client(ctx, S3Config{Endpoint: "127.0.0.1:9000"}); err == nil {
		t.Errorf("NewS3Client with an endpoint without scheme: no error")
	}
	if _, err := NewS3Client(ctx, S3Config{Timeout: -time.Second}); err == nil {
		t.Errorf("NewS3Client with a negative timeout: no error")
	}
	f := func(cfg S3Config, wantAttempts int, wantPathStyle bool) {
		t.Helper()
		c, err := NewS3Client(ctx, cfg)
		if err != nil {
			t.Fatalf("NewS3Client(%+v): %v", cfg, err)
		}
		o := c.Options()
		if got := o.Retryer.MaxAttempts(); got != wantAttempts {
			t.Errorf("NewS3Client(%+v): %d attempts, want %d", cfg, got, wantAttempts)
		}
		if o.UsePathStyle != wantPathStyle {
			t.Errorf("NewS3Client(%+v): path style %v, want %v", cfg, o.UsePathStyle, wantPathStyle)
		}
		if o.Region == "" {
			t.Errorf("NewS3Client(%+v): no region", cfg)
		}
	}
	anon := S3Config{NoSignature: true}
	f(anon, DefaultS3MaxRetries+1, false)
	f(S3Config{NoSignature: true, MaxRetries: -1}, 1, false)
	f(S3Config{NoSignature: true, MaxRetries: 2, PathStyle: true}, 3, true)
	f(S3Config{NoSignature: true, Endpoint: "http://127.0.0.1:1"}, DefaultS3MaxRetries+1, true)
}
