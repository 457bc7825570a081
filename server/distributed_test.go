package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/internal/testredis"
	"github.com/frocket/frocket/server"
	"github.com/frocket/frocket/worker"
	"github.com/redis/go-redis/v9"
)

// distQueries are answered in every mode and must agree exactly.
var distQueries = []string{
	`{}`,
	`{"query":{"conditions":[{"filter":["eventType","==","purchase"]},{"filter":["country","==","US"]}],"relation":"or",
	  "aggregations":[{"column":"device"},{"column":"sku","type":"sumPerValue","otherColumn":"price"}]}}`,
	`{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]},{"filter":["eventType","==","purchase"]}],
	  "stepAggregations":[{"column":"browser","type":"groupsPerValue"}],"endAggregations":[{"column":"quantity","type":"meanPerValue","otherColumn":"price"}]}}`,
	`{"timeframe":{"from":1609459200000,"to":1610000000000},"query":{"conditions":[{"sequence":[{"filter":["eventType","==","search"]},{"filter":["eventType","==","addToCart"]}]}]}}`,
}

// distEnv is one Redis, one generated dataset registered both in an embedded catalog and in Redis.
type distEnv struct {
	redis    *testredis.Server
	client   *cluster.Client
	embedded *server.Engine
	dataDir  string
}

func newDistEnv(t *testing.T, rows int64, files int) *distEnv {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "events")
	g := bench.DefaultGenConfig()
	g.Rows, g.Files, g.Seed, g.OutDir = rows, files, 11, dir
	if _, err := bench.Generate(ctx, g); err != nil {
		t.Fatal(err)
	}
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	emb, err := server.NewEngine(store, nil, server.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	env := &distEnv{redis: testredis.Start(t), embedded: emb, dataDir: dir}
	env.client = env.newClient(t)
	for _, e := range []*server.Engine{emb, env.engine(t, server.DefaultRemoteConfig())} {
		res, err := e.Register(ctx, catalog.RegisterArgs{Name: "events", BasePath: dir, GroupColumn: "userId",
			TimestampColumn: "timestamp", ValidateUniques: true}, nil)
		if err != nil || !res.Success {
			t.Fatalf("register: %v %+v", err, res)
		}
	}
	return env
}

func (env *distEnv) newClient(t *testing.T) *cluster.Client {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.URL = env.redis.URL()
	c, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// engine returns a queue-mode engine (a "server") over the env's Redis.
func (env *distEnv) engine(t *testing.T, rc server.RemoteConfig) *server.Engine {
	t.Helper()
	c := env.newClient(t)
	inv, err := server.NewRemoteInvoker(c, &server.QueueDispatcher{Queue: c}, rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.UnregisterLastUsedInterval = 0
	e, err := server.NewEngine(c.Catalog(), inv, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// startWorkers runs n in-process queue workers until the test ends.
func (env *distEnv) startWorkers(t *testing.T, n int, parts worker.PartSource) {
	t.Helper()
	env.startWorkersWith(t, n, parts, nil)
}

// startWorkersWith runs n in-process queue workers sharing a column cache (nil: none).
func (env *distEnv) startWorkersWith(t *testing.T, n int, parts worker.PartSource, columns *worker.ColumnCache) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		c := env.newClient(t)
		cfg := worker.DefaultServiceConfig()
		cfg.Name = fmt.Sprintf("w%d", i)
		cfg.Preflight = 20 * time.Millisecond
		cfg.Columns = columns
		svc, err := worker.NewService(c, parts, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = svc.RunQueue(ctx, c, worker.QueueConfig{BlockTimeout: 200 * time.Millisecond})
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// answer runs a query and returns its result without the request id and stats, as JSON.
func answer(t *testing.T, e *server.Engine, q string) (string, *server.QueryJobResult) {
	t.Helper()
	res, err := e.Query(context.Background(), "events", []byte(q), nil)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	if !res.Success {
		t.Fatalf("query %s failed: %s", q, res.ErrorMessage)
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

func fastRetries() server.RemoteConfig {
	rc := server.DefaultRemoteConfig()
	rc.PollInterval = 5 * time.Millisecond
	rc.RetryFailedInterval = 50 * time.Millisecond
	rc.RetryLostInterval = 500 * time.Millisecond
	rc.RunTimeout = 30 * time.Second
	return rc
}

func TestQueueModeMatchesEmbedded(t *testing.T) {
	env := newDistEnv(t, 40000, 4)
	want := map[string]string{}
	for _, q := range distQueries {
		want[q], _ = answer(t, env.embedded, q)
	}
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			env.startWorkers(t, workers, worker.LocalParts{})
			for _, selfSelect := range []bool{true, false} {
				rc := fastRetries()
				rc.SelfSelect = selfSelect
				e := env.engine(t, rc)
				for _, q := range distQueries {
					got, res := answer(t, e, q)
					if got != want[q] {
						t.Fatalf("self-select %v, query %s:\n got %s\nwant %s", selfSelect, q, got, want[q])
					}
					if inv := res.Stats.Invoker; inv.TotalTasks != 4 || inv.FailedTasks != 0 {
						t.Fatalf("stats: %+v", inv)
					}
					if res.Stats.Worker.ScannedRows == 0 {
						t.Fatalf("no rows scanned: %+v", res.Stats.Worker)
					}
				}
			}
			// Nothing of finished requests is left in Redis but the catalog.
			raw := redis.NewClient(&redis.Options{Addr: env.redis.Addr})
			defer raw.Close()
			keys, err := raw.Keys(context.Background(), "frocket:req-*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 0 {
				t.Fatalf("request keys left behind: %v", keys)
			}
		})
	}
}

// faultyParts wraps local parts and fails or stalls chosen (task, attempt) openings.
type faultyParts struct {
	worker.LocalParts
	mu       sync.Mutex
	opened   map[int]int // part index -> times opened
	failPart int         // this part fails on its first failFirst openings
	failN    int
	stall    time.Duration // the first opening of stallPart waits this long first
	stallOn  int
}

func (f *faultyParts) Open(ctx context.Context, ds cluster.DatasetRef, p cluster.PartRef) (*worker.Part, error) {
	f.mu.Lock()
	f.opened[p.Index]++
	n := f.opened[p.Index]
	f.mu.Unlock()
	if p.Index == f.failPart && n <= f.failN {
		return nil, fmt.Errorf("injected failure %d opening %s", n, p.Name)
	}
	if p.Index == f.stallOn && n == 1 && f.stall > 0 {
		time.Sleep(f.stall)
	}
	return f.LocalParts.Open(ctx, ds, p)
}

func TestQueueRetries(t *testing.T) {
	env := newDistEnv(t, 20000, 4)
	q := distQueries[2]
	want, _ := answer(t, env.embedded, q)

	t.Run("fails once", func(t *testing.T) {
		fp := &faultyParts{opened: map[int]int{}, failPart: 1, failN: 1, stallOn: -1}
		env.startWorkers(t, 2, fp)
		got, res := answer(t, env.engine(t, fastRetries()), q)
		if got != want {
			t.Fatalf("got %s\nwant %s", got, want)
		}
		if res.Stats.Invoker.FailedTasks != 1 || res.Stats.Invoker.TotalTasks != 5 {
			t.Fatalf("want 1 failed of 5 attempts: %+v", res.Stats.Invoker)
		}
	})

	t.Run("fails every attempt", func(t *testing.T) {
		fp := &faultyParts{opened: map[int]int{}, failPart: 2, failN: 1000, stallOn: -1}
		env.startWorkers(t, 2, fp)
		res, err := env.engine(t, fastRetries()).Query(context.Background(), "events", []byte(q), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Success {
			t.Fatal("want a failed job")
		}
		for _, s := range []string{"No more retries for task(s): [2]", "injected failure 3"} {
			if !strings.Contains(res.ErrorMessage, s) {
				t.Fatalf("message %q lacks %q", res.ErrorMessage, s)
			}
		}
	})

	t.Run("lost then both attempts succeed", func(t *testing.T) {
		// Part 3's first attempt stalls past the lost interval: the invoker retries it; both attempts
		// end successfully, and the answer counts the task once.
		fp := &faultyParts{opened: map[int]int{}, failPart: -1, stallOn: 3, stall: 1500 * time.Millisecond}
		env.startWorkers(t, 3, fp)
		got, res := answer(t, env.engine(t, fastRetries()), q)
		if got != want {
			t.Fatalf("got %s\nwant %s", got, want)
		}
		if res.Stats.Invoker.TotalTasks < 4 {
			t.Fatalf("stats: %+v", res.Stats.Invoker)
		}
		fp.mu.Lock()
		opened := fp.opened[3]
		fp.mu.Unlock()
		if opened < 2 {
			t.Fatalf("part 3 opened %d times, want a retry", opened)
		}
	})
}

func TestConcurrentQueriesTwoServers(t *testing.T) {
	env := newDistEnv(t, 20000, 4)
	want := map[string]string{}
	for _, q := range distQueries {
		want[q], _ = answer(t, env.embedded, q)
	}
	env.startWorkers(t, 4, worker.LocalParts{})
	servers := []*server.Engine{env.engine(t, fastRetries()), env.engine(t, fastRetries())}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := distQueries[i%len(distQueries)]
			res, err := servers[i%2].Query(context.Background(), "events", []byte(q), nil)
			if err != nil || !res.Success {
				errs <- fmt.Errorf("query %d: %v %v", i, err, res)
				return
			}
			b, _ := json.Marshal(struct {
				Q any `json:"query"`
				F any `json:"funnel"`
			}{res.Query, res.Funnel})
			if string(b) != want[q] {
				errs <- fmt.Errorf("query %d: got %s want %s", i, b, want[q])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRedisRestartBetweenRequests(t *testing.T) {
	env := newDistEnv(t, 10000, 2)
	env.startWorkers(t, 1, worker.LocalParts{})
	e := env.engine(t, fastRetries())
	want, _ := answer(t, env.embedded, `{}`)
	if got, _ := answer(t, e, `{}`); got != want {
		t.Fatalf("before restart: %s vs %s", got, want)
	}
	env.redis.Stop()
	// While Redis is down, requests fail with a clear error instead of hanging.
	_, err := e.Query(context.Background(), "events", []byte(`{}`), nil)
	if err == nil || !cluster.IsUnavailable(err) {
		t.Fatalf("query with Redis down: %v", err)
	}
	env.redis.Restart(t)
	// Without persistence the catalog went with Redis: register again, then query, on the same
	// engine and clients.
	res, err := e.Register(context.Background(), catalog.RegisterArgs{Name: "events", BasePath: env.dataDir,
		GroupColumn: "userId", TimestampColumn: "timestamp", ValidateUniques: true}, nil)
	if err != nil || !res.Success {
		t.Fatalf("register after restart: %v %+v", err, res)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := e.Query(context.Background(), "events", []byte(`{}`), nil)
		if err == nil && r.Success {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after restart: %v %+v", err, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _ := answer(t, e, `{}`); got != want {
		t.Fatalf("after restart: %s vs %s", got, want)
	}
}

func TestColumnCacheAnswersRepeatedQueries(t *testing.T) {
	env := newDistEnv(t, 20000, 4)
	want := map[string]string{}
	for _, q := range distQueries {
		want[q], _ = answer(t, env.embedded, q)
	}
	check := func(name string, e *server.Engine, cc *worker.ColumnCache) {
		t.Helper()
		// Each query twice in a row, as a user refining a query would: the second is answered from
		// memory.
		for _, q := range distQueries {
			for round := range 2 {
				if got, _ := answer(t, e, q); got != want[q] {
					t.Fatalf("%s, round %d, query %s:\n got %s\nwant %s", name, round, q, got, want[q])
				}
			}
		}
		if st := cc.Stats(); st.Hits == 0 {
			t.Fatalf("%s: the column cache answered nothing: %+v", name, st)
		}
	}

	// Queue workers keep decoded columns between tasks.
	cc := worker.NewColumnCache(64 << 20)
	env.startWorkersWith(t, 2, worker.LocalParts{}, cc)
	check("queue", env.engine(t, fastRetries()), cc)

	// So does an embedded server.
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cc = worker.NewColumnCache(64 << 20)
	emb, err := server.NewEngine(store, &server.LocalInvoker{Workers: 2, Columns: cc}, server.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := emb.Register(context.Background(), catalog.RegisterArgs{Name: "events", BasePath: env.dataDir,
		GroupColumn: "userId", TimestampColumn: "timestamp", ValidateUniques: true}, nil); err != nil || !res.Success {
		t.Fatalf("register: %v %+v", err, res)
	}
	check("embedded", emb, cc)
}

func TestMain(m *testing.M) {
	// go-redis logs failed dials on its own; the fault tests provoke them on purpose.
	cluster.SetRedisLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
