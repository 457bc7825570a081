package server_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/cache"
	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/internal/testredis"
	"github.com/frocket/frocket/internal/tests3"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/server"
	"github.com/frocket/frocket/worker"
)

// s3Env is one versitygw with a generated dataset uploaded under s3://events/data/, and the same
// files on local disk.
type s3Env struct {
	s3      *tests3.Server
	local   string
	buckets *objstore.Opener
}

func newS3Env(t *testing.T, rows int64, files int) *s3Env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "events")
	g := bench.DefaultGenConfig()
	g.Rows, g.Files, g.Seed, g.OutDir = rows, files, 5, dir
	if _, err := bench.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	srv := tests3.Start(t)
	srv.CreateBucket(t, "events")
	srv.UploadDir(t, "events", "data/", dir)
	cfg := objstore.DefaultS3Config()
	cfg.Endpoint, cfg.Region, cfg.AccessKeyID, cfg.SecretAccessKey = srv.Endpoint, srv.Region, srv.AccessKey, srv.SecretKey
	return &s3Env{s3: srv, local: dir, buckets: &objstore.Opener{S3Config: cfg}}
}

// cachedParts returns a part source with its own cache directory.
func (e *s3Env) cachedParts(t *testing.T, maxBytes int64) *worker.CachedParts {
	t.Helper()
	cc := cache.DefaultConfig()
	cc.Dir, cc.MaxBytes = t.TempDir(), maxBytes
	c, err := cache.Open(cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &worker.CachedParts{Cache: c, Buckets: e.buckets}
}

func (e *s3Env) engine(t *testing.T, store catalog.Store, inv server.Invoker) *server.Engine {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Buckets = e.buckets
	cfg.UnregisterLastUsedInterval = 0
	eng, err := server.NewEngine(store, inv, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func register(t *testing.T, e *server.Engine, name, base string) {
	t.Helper()
	res, err := e.Register(context.Background(), catalog.RegisterArgs{Name: name, BasePath: base, GroupColumn: "userId",
		TimestampColumn: "timestamp", ValidateUniques: true}, nil)
	if err != nil || !res.Success {
		t.Fatalf("register %s: %v %+v", base, err, res)
	}
}

func queryAnswer(t *testing.T, e *server.Engine, name, q string) (string, *server.QueryJobResult) {
	t.Helper()
	res, err := e.Query(context.Background(), name, []byte(q), nil)
	if err != nil || !res.Success {
		t.Fatalf("query %s on %s: %v %+v", q, name, err, res)
	}
	b, err := json.Marshal(struct {
		Q any `json:"query"`
		F any `json:"funnel"`
	}{res.Query, res.Funnel})
	if err != nil {
		t.Fatal(err)
	}
	return string(b), res
}

func TestS3EmbeddedMatchesLocalAndCaches(t *testing.T) {
	env := newS3Env(t, 20000, 4)
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	parts := env.cachedParts(t, 1<<30)
	eng := env.engine(t, store, &server.LocalInvoker{Workers: 2, Parts: parts})
	register(t, eng, "local", env.local)
	register(t, eng, "s3", "s3://events/data")
	for _, q := range distQueries {
		want, _ := queryAnswer(t, eng, "local", q)
		got, res := queryAnswer(t, eng, "s3", q)
		if got != want {
			t.Fatalf("query %s: S3 answer differs:\n got %s\nwant %s", q, got, want)
		}
		if res.Stats.Worker.Cache.Source+res.Stats.Worker.Cache.DiskCache != 4 {
			t.Fatalf("cache stats: %+v", res.Stats.Worker.Cache)
		}
	}
	// Every query after the first found all parts in the cache.
	_, res := queryAnswer(t, eng, "s3", `{}`)
	if c := res.Stats.Worker.Cache; c.DiskCache != 4 || c.Source != 0 {
		t.Fatalf("second query: want 4 cache hits: %+v", c)
	}

	// Re-registration makes a new dataset id: the cache is not used for it.
	register(t, eng, "s3", "s3://events/data")
	_, res = queryAnswer(t, eng, "s3", `{}`)
	if c := res.Stats.Worker.Cache; c.Source != 4 {
		t.Fatalf("after re-registration: want 4 downloads: %+v", c)
	}
}

func TestS3QueueWorkersSelfSelectCachedParts(t *testing.T) {
	env := newS3Env(t, 20000, 4)
	denv := &distEnv{redis: testredis.Start(t)}
	c := denv.newClient(t)
	inv, err := server.NewRemoteInvoker(c, &server.QueueDispatcher{Queue: c}, fastRetries(), nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := env.engine(t, c.Catalog(), inv)
	register(t, eng, "s3", "s3://events/data")
	// Two workers, each with its own cache.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for i := range 2 {
		wc := denv.newClient(t)
		cfg := worker.DefaultServiceConfig()
		cfg.Name = "w" + string(rune('0'+i))
		svc, err := worker.NewService(wc, env.cachedParts(t, 1<<30), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = svc.RunQueue(ctx, wc, worker.QueueConfig{BlockTimeout: 200 * time.Millisecond}) }()
	}
	_, first := queryAnswer(t, eng, "s3", distQueries[2])
	if c := first.Stats.Worker.Cache; c.Source != 4 {
		t.Fatalf("first query: want 4 downloads: %+v", c)
	}
	// With self-selection, repeated queries land on the workers that hold the parts. A worker that
	// has finished its own parts may still take (and download) a part the other worker holds when it
	// takes one more task request than its share; the download then stays in its cache, so over the
	// warm queries each worker can miss at most the parts it did not download in the first query:
	// at most 4 misses in all, whatever the timing.
	hits := 0
	for range 3 {
		_, res := queryAnswer(t, eng, "s3", distQueries[2])
		hits += res.Stats.Worker.Cache.DiskCache
	}
	t.Logf("%d of 12 warm tasks served from the disk cache", hits)
	if hits < 8 {
		t.Fatalf("want at least 8 of 12 warm tasks served from the cache, got %d", hits)
	}
}

func TestS3CorruptObjectAndServerOutage(t *testing.T) {
	env := newS3Env(t, 8000, 2)
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	eng := env.engine(t, store, &server.LocalInvoker{Workers: 2, Parts: env.cachedParts(t, 1<<30)})
	register(t, eng, "s3", "s3://events/data")
	want, _ := queryAnswer(t, eng, "s3", `{}`)

	// A part replaced by garbage after registration: the query fails, naming the object.
	env.s3.Put(t, "events", "data/part-00001.parquet", []byte("not a parquet file at all"))
	cold := env.engine(t, store, &server.LocalInvoker{Workers: 2, Parts: env.cachedParts(t, 1<<30)})
	res, err := cold.Query(context.Background(), "s3", []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.Contains(res.ErrorMessage, "s3://events/data/part-00001.parquet") {
		t.Fatalf("corrupt object: %+v", res)
	}
	t.Logf("corrupt object: %s", res.ErrorMessage)
	env.s3.UploadDir(t, "events", "data/", env.local)

	// The S3 server goes away: a query that must download fails with a clear error, and the next query
	// after it comes back succeeds.
	env.s3.Stop()
	cold = env.engine(t, store, &server.LocalInvoker{Workers: 2, Parts: env.cachedParts(t, 1<<30)})
	res, err = cold.Query(context.Background(), "s3", []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.Contains(res.ErrorMessage, "s3://events/data/part-0000") {
		t.Fatalf("S3 down: %+v", res)
	}
	t.Logf("S3 down: %s", res.ErrorMessage)
	env.s3.Restart(t)
	got, _ := queryAnswer(t, cold, "s3", `{}`)
	if got != want {
		t.Fatalf("after restart: %s vs %s", got, want)
	}
}
