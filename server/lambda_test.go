package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/internal/lambdaemu"
	"github.com/frocket/frocket/internal/testredis"
	"github.com/frocket/frocket/server"
)

func TestLambdaCost(t *testing.T) {
	near := func(got *float64, want float64) bool {
		return got != nil && math.Abs(*got-want) <= 1e-12*math.Max(1, math.Abs(want))
	}
	t.Run("rounding", func(t *testing.T) {
		cost := server.LambdaCost(server.LambdaConfig{MemoryMB: 1024, PricePerGBSecond: 1})
		f := func(totalTime float64, memoryMB int, want float64) {
			t.Helper()
			got := cost([]cluster.TaskMetrics{{TotalTime: totalTime, MemoryMB: memoryMB, Success: true}})
			if !near(got, want) {
				t.Errorf("%vs at %d MB: cost %v, want %v", totalTime, memoryMB, deref(got), want)
			}
		}
		f(0.1, 1024, 0.108)    // 108 ms exactly: no extra millisecond for (0.1+0.008)*1000 = 108.00000000000001
		f(0.2, 1024, 0.208)    // likewise 208.00000000000003
		f(0.992, 2048, 2.0)    // 1000 ms at 2 GB
		f(0, 512, 0.004)       // the 8 ms alone, at half a GB
		f(0.0005, 1024, 0.009) // 8.5 ms rounds up to 9
		f(1.2345, 1024, 1.243) // 1242.5 ms rounds up to 1243
		f(-1, 1024, 0.008)     // a clock step backwards bills nothing but the 8 ms
	})
	t.Run("memory default", func(t *testing.T) {
		one := []cluster.TaskMetrics{{TotalTime: 0.992}}
		if got := server.LambdaCost(server.LambdaConfig{MemoryMB: 512, PricePerGBSecond: 1})(one); !near(got, 0.5) {
			t.Errorf("attempt without memory, config 512 MB: %v, want 0.5", deref(got))
		}
		if got := server.LambdaCost(server.LambdaConfig{PricePerGBSecond: 1})(one); !near(got, 2) {
			t.Errorf("no memory anywhere: %v, want 2 (2048 MB)", deref(got))
		}
	})
	t.Run("regions", func(t *testing.T) {
		f := func(cfg server.LambdaConfig, want float64) {
			t.Helper()
			cfg.MemoryMB = 1024
			// One billed GB-second costs the price.
			if got := server.LambdaCost(cfg)([]cluster.TaskMetrics{{TotalTime: 0.992}}); !near(got, want) {
				t.Errorf("%+v: %v, want %v", cfg, deref(got), want)
			}
		}
		f(server.LambdaConfig{Region: "us-east-1"}, 0.0000166667)
		f(server.LambdaConfig{}, 0.0000166667)
		f(server.LambdaConfig{Region: "eu-west-1"}, 0.0000166667)
		f(server.LambdaConfig{Region: "eu-south-1"}, 0.0000195172)
		f(server.LambdaConfig{Region: "me-south-1"}, 0.0000206667)
		f(server.LambdaConfig{Region: "ap-northeast-3"}, 0.00002153)
		f(server.LambdaConfig{Region: "af-south-1"}, 0.0000221)
		f(server.LambdaConfig{Region: "ap-east-1"}, 0.00002292)
		// A function ARN's region wins over Region; an explicit price wins over both.
		f(server.LambdaConfig{Region: "us-east-1", FunctionName: "arn:aws:lambda:ap-east-1:123456789012:function:frocket"}, 0.00002292)
		f(server.LambdaConfig{Region: "ap-east-1", PricePerGBSecond: 0.25}, 0.25)
	})
	t.Run("every attempt counts", func(t *testing.T) {
		cost := server.LambdaCost(server.LambdaConfig{MemoryMB: 1024, PricePerGBSecond: 1})
		attempts := []cluster.TaskMetrics{
			{TaskIndex: 0, AttemptNo: 0, Success: false, TotalTime: 0.042, MemoryMB: 1024}, // 50 ms
			{TaskIndex: 0, AttemptNo: 1, Success: true, TotalTime: 0.092, MemoryMB: 1024},  // 100 ms
			{TaskIndex: 1, AttemptNo: 0, Success: true, TotalTime: 0.192, MemoryMB: 2048},  // 200 ms at 2 GB
		}
		if got := cost(attempts); !near(got, 0.05+0.1+0.4) {
			t.Errorf("cost %v, want 0.55", deref(got))
		}
		if got := cost(nil); got != nil {
			t.Errorf("no attempts: cost %v, want none", *got)
		}
	})
}

func deref(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestLambdaConfigFromEnv(t *testing.T) {
	vars := []string{"FROCKET_INVOKER_LAMBDA_NAME", "FROCKET_LAMBDA_AWS_REGION", "FROCKET_AWS_REGION", "AWS_REGION",
		"FROCKET_LAMBDA_AWS_ENDPOINT_URL", "FROCKET_AWS_ENDPOINT_URL", "FROCKET_LAMBDA_AWS_ACCESS_KEY_ID",
		"FROCKET_AWS_ACCESS_KEY_ID", "FROCKET_LAMBDA_AWS_SECRET_ACCESS_KEY", "FROCKET_AWS_SECRET_ACCESS_KEY",
		"FROCKET_LAMBDA_AWS_NO_SIGNATURE", "FROCKET_AWS_NO_SIGNATURE", "FROCKET_INVOKER_LAMBDA_THREADS",
		"FROCKET_INVOKER_LAMBDA_MEMORY_MB", "FROCKET_INVOKER_LAMBDA_PRICE_PER_GB_SECOND", "FROCKET_LAMBDA_AWS_READ_TIMEOUT"}
	unset := func() {
		for _, v := range vars {
			t.Setenv(v, "")
		}
	}
	unset()
	cfg, err := server.LambdaConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg != server.DefaultLambdaConfig() {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg.FunctionName != "frocket" || cfg.Concurrency != 20 || cfg.MemoryMB != 2048 || cfg.Region != "us-east-1" {
		t.Fatalf("defaults are not Funnel Rocket's: %+v", cfg)
	}

	t.Setenv("FROCKET_INVOKER_LAMBDA_NAME", "fn")
	t.Setenv("FROCKET_AWS_REGION", "eu-west-1")
	t.Setenv("FROCKET_LAMBDA_AWS_REGION", "eu-south-1")
	t.Setenv("FROCKET_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("FROCKET_AWS_NO_SIGNATURE", "true")
	t.Setenv("FROCKET_INVOKER_LAMBDA_THREADS", "5")
	t.Setenv("FROCKET_INVOKER_LAMBDA_MEMORY_MB", "1_024")
	t.Setenv("FROCKET_INVOKER_LAMBDA_PRICE_PER_GB_SECOND", "0.00001")
	t.Setenv("FROCKET_LAMBDA_AWS_READ_TIMEOUT", "2.5")
	cfg, err = server.LambdaConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := server.LambdaConfig{FunctionName: "fn", Region: "eu-south-1", Endpoint: "http://127.0.0.1:1", NoSignature: true,
		Concurrency: 5, MemoryMB: 1024, PricePerGBSecond: 0.00001, Timeout: 2500 * time.Millisecond}
	if cfg != want {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}

	// Every problem is reported at once.
	unset()
	t.Setenv("FROCKET_INVOKER_LAMBDA_THREADS", "many")
	t.Setenv("FROCKET_INVOKER_LAMBDA_MEMORY_MB", "1.5")
	if _, err := server.LambdaConfigFromEnv(); err == nil ||
		!strings.Contains(err.Error(), "FROCKET_INVOKER_LAMBDA_THREADS") || !strings.Contains(err.Error(), "FROCKET_INVOKER_LAMBDA_MEMORY_MB") {
		t.Fatalf("malformed numbers: %v", err)
	}
	unset()
	t.Setenv("FROCKET_LAMBDA_AWS_ENDPOINT_URL", "ftp://x")
	t.Setenv("FROCKET_AWS_ACCESS_KEY_ID", "key")
	t.Setenv("FROCKET_INVOKER_LAMBDA_THREADS", "0")
	_, err = server.LambdaConfigFromEnv()
	for _, s := range []string{"scheme", "set together", "concurrency"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Fatalf("invalid config: want %q in %v", s, err)
		}
	}
}

// invokeRecorder is a fake Lambda Invoke API that records the calls it gets.
type invokeRecorder struct {
	status   int // answer status; 202 unless set
	delay    time.Duration
	mu       sync.Mutex
	reqs     []cluster.TaskRequest
	paths    map[string]int
	types    map[string]int
	inFlight atomic.Int64
	maxSeen  atomic.Int64
}

func (f *invokeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxSeen.Load(); n > m && !f.maxSeen.CompareAndSwap(m, n); m = f.maxSeen.Load() {
	}
	time.Sleep(f.delay)
	body, _ := io.ReadAll(r.Body)
	var req cluster.TaskRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.paths[r.URL.Path]++
	f.types[r.Header.Get("X-Amz-Invocation-Type")]++
	f.mu.Unlock()
	if f.status == http.StatusBadRequest {
		w.Header().Set("X-Amzn-ErrorType", "InvalidParameterValueException")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"Type":"User","message":"bad payload"}`)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func TestLambdaDispatcher(t *testing.T) {
	reqs := make([]cluster.TaskRequest, 12)
	for i := range reqs {
		reqs[i] = cluster.TaskRequest{RequestID: "r1", TaskIndex: i, InvokeTime: 1700000000.5, Mode: cluster.SelectedByWorker,
			Dataset: cluster.DatasetRef{Name: "ds", BasePath: "s3://b/p"}, Query: json.RawMessage(`{"query":{}}`), UsedColumns: []string{"a"}}
	}
	dispatcher := func(t *testing.T, f *invokeRecorder, concurrency int) *server.LambdaDispatcher {
		t.Helper()
		f.paths, f.types = map[string]int{}, map[string]int{}
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		cfg := server.DefaultLambdaConfig()
		cfg.Endpoint, cfg.AccessKeyID, cfg.SecretAccessKey, cfg.Concurrency = srv.URL, "k", "s", concurrency
		d, err := server.NewLambdaDispatcher(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("events within the concurrency", func(t *testing.T) {
		f := &invokeRecorder{delay: 40 * time.Millisecond}
		if err := dispatcher(t, f, 3).Dispatch(context.Background(), reqs); err != nil {
			t.Fatal(err)
		}
		if len(f.reqs) != len(reqs) || f.paths["/2015-03-31/functions/frocket/invocations"] != len(reqs) || f.types["Event"] != len(reqs) {
			t.Fatalf("calls: %d requests, paths %v, types %v", len(f.reqs), f.paths, f.types)
		}
		seen := map[int]bool{}
		for _, r := range f.reqs {
			seen[r.TaskIndex] = true
			if r.RequestID != "r1" || r.Mode != cluster.SelectedByWorker || string(r.Query) != `{"query":{}}` || r.InvokeTime != 1700000000.5 {
				t.Fatalf("payload decoded to %+v", r)
			}
		}
		if len(seen) != len(reqs) {
			t.Fatalf("tasks invoked: %v", seen)
		}
		if got := f.maxSeen.Load(); got != 3 {
			t.Fatalf("at most %d calls at once, want exactly 3", got)
		}
	})
	t.Run("status not 202", func(t *testing.T) {
		err := dispatcher(t, &invokeRecorder{status: http.StatusOK}, 2).Dispatch(context.Background(), reqs[:1])
		if err == nil || !strings.HasPrefix(err.Error(), "Failed to invoke lambda function 'frocket': ") || !strings.Contains(err.Error(), "200") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("rejected stops the rest", func(t *testing.T) {
		f := &invokeRecorder{status: http.StatusBadRequest}
		err := dispatcher(t, f, 1).Dispatch(context.Background(), reqs)
		if err == nil || !strings.HasPrefix(err.Error(), "Failed to invoke lambda function 'frocket': ") || !strings.Contains(err.Error(), "bad payload") {
			t.Fatalf("got %v", err)
		}
		if len(f.reqs) >= len(reqs) {
			t.Fatalf("all %d calls were made after the first failed", len(f.reqs))
		}
	})
}

// TestLambdaEndToEnd runs the Lambda path with real processes: an engine whose RemoteInvoker
// dispatches through LambdaDispatcher to a pool of emulators running the frocket bootstrap, which
// reads an S3 dataset from versitygw and reports to Redis.
func TestLambdaEndToEnd(t *testing.T) {
	const processes, memoryMB = 2, 1024
	const region = "eu-south-1" // priced 0.0000195172 per GB-s
	env := newS3Env(t, 20000, 4)
	rs := testredis.Start(t)
	bootstrap := lambdaemu.BuildBootstrap(t)
	pool := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: bootstrap, Processes: processes, Env: []string{
		"FROCKET_REDIS_URL=" + rs.URL(),
		"FROCKET_S3_AWS_ENDPOINT_URL=" + env.s3.Endpoint,
		"FROCKET_S3_AWS_REGION=" + env.s3.Region,
		"FROCKET_S3_AWS_ACCESS_KEY_ID=" + env.s3.AccessKey,
		"FROCKET_S3_AWS_SECRET_ACCESS_KEY=" + env.s3.SecretKey,
		"FROCKET_PART_SELECTION_PREFLIGHT_MS=50",
		"FROCKET_LOG_LEVEL=info",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_REGION=" + region,
	}})
	defer func() {
		if t.Failed() {
			t.Log(pool.Logs())
		}
	}()

	denv := &distEnv{redis: rs}
	client := denv.newClient(t)
	lc := server.DefaultLambdaConfig()
	lc.Endpoint, lc.Region, lc.NoSignature = pool.Endpoint(), region, true
	d, err := server.NewLambdaDispatcher(context.Background(), lc)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		attempts []cluster.TaskMetrics
	)
	rc := fastRetries()
	rc.RetryFailedInterval = 500 * time.Millisecond
	rc.RetryLostInterval = 10 * time.Second
	cost := server.LambdaCost(lc)
	rc.Cost = func(ms []cluster.TaskMetrics) *float64 {
		mu.Lock()
		attempts = append([]cluster.TaskMetrics(nil), ms...)
		mu.Unlock()
		return cost(ms)
	}
	lastAttempts := func() []cluster.TaskMetrics {
		mu.Lock()
		defer mu.Unlock()
		return attempts
	}
	inv, err := server.NewRemoteInvoker(client, d, rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := env.engine(t, client.Catalog(), inv)
	register(t, eng, "s3", "s3://events/data")
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	embedded := env.engine(t, store, nil)
	register(t, embedded, "local", env.local)
	want := map[string]string{}
	for _, q := range distQueries {
		want[q], _ = queryAnswer(t, embedded, "local", q)
	}

	// checkCost recomputes the cost of the attempts the invoker reported, with the formula written out.
	checkCost := func(t *testing.T, res *server.QueryJobResult, wantAttempts int) {
		t.Helper()
		ms := lastAttempts()
		if len(ms) != wantAttempts || res.Stats.Invoker.TotalTasks != wantAttempts {
			t.Fatalf("%d attempts priced, %d in the stats, want %d", len(ms), res.Stats.Invoker.TotalTasks, wantAttempts)
		}
		sum := 0.0
		for _, m := range ms {
			if m.MemoryMB != memoryMB {
				t.Fatalf("attempt %d/%d reported %d MB, want %d", m.TaskIndex, m.AttemptNo, m.MemoryMB, memoryMB)
			}
			billedMillis := math.Ceil((m.TotalTime+0.008)*1000 - 1e-6)
			sum += billedMillis / 1000 * float64(m.MemoryMB) / 1024 * 0.0000195172
		}
		if res.Stats.Cost == nil || math.Abs(*res.Stats.Cost-sum) > 1e-15 {
			t.Fatalf("stats.cost %v, want %v", deref(res.Stats.Cost), sum)
		}
	}

	t.Run("first query is cold", func(t *testing.T) {
		got, res := queryAnswer(t, eng, "s3", distQueries[0])
		if got != want[distQueries[0]] {
			t.Fatalf("Lambda answer differs:\n got %s\nwant %s", got, want[distQueries[0]])
		}
		w := res.Stats.Worker
		if w.ColdTasks != processes || w.WarmTasks != 4-processes || w.Cache.Source != 4 {
			t.Fatalf("want %d cold tasks (one per emulator) and 4 downloads: %+v", processes, w)
		}
		checkCost(t, res, 4)
	})

	t.Run("warm queries answer exactly and hit the cache", func(t *testing.T) {
		for _, q := range distQueries {
			got, res := queryAnswer(t, eng, "s3", q)
			if got != want[q] {
				t.Fatalf("query %s: Lambda answer differs:\n got %s\nwant %s", q, got, want[q])
			}
			if w := res.Stats.Worker; w.ColdTasks != 0 || w.WarmTasks != 4 {
				t.Fatalf("query %s: want 4 warm tasks: %+v", q, w)
			}
			// The first task to take a part finds every part it holds still available. (Usually each
			// emulator's first task does, but a slow one may find its parts taken by the other.)
			hits := res.Stats.Worker.Cache.DiskCache
			if hits < 1 {
				t.Fatalf("query %s: no cache hit: %+v", q, res.Stats.Worker.Cache)
			}
			t.Logf("query %.30s...: %d of 4 parts from the disk cache", q, hits)
			checkCost(t, res, 4)
		}
	})

	t.Run("handler errors and old requests keep the process", func(t *testing.T) {
		call := func(payload string) (string, string) {
			t.Helper()
			resp, err := http.Post(pool.Endpoint()+"/2015-03-31/functions/frocket/invocations", "application/json", strings.NewReader(payload))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v: %s", resp.StatusCode, err, b)
			}
			return resp.Header.Get("X-Amz-Function-Error"), string(b)
		}
		for _, bad := range []string{`{"requestId":"bad"}`, `[1,2]`} {
			if fnErr, body := call(bad); fnErr != "Unhandled" {
				t.Fatalf("request %s: want a function error, got %q: %s", bad, fnErr, body)
			}
		}
		old, err := json.Marshal(cluster.TaskRequest{RequestID: "old", InvokeTime: cluster.UnixSeconds(time.Now().Add(-2 * time.Minute)),
			Dataset: cluster.DatasetRef{Name: "s3", BasePath: "s3://events/data"}, Mode: cluster.SetByInvoker,
			Part: &cluster.PartRef{Name: "part-00000.parquet"}, Query: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if fnErr, body := call(string(old)); fnErr != "" || body != `{"statusCode":200}` {
			t.Fatalf("old request: function error %q, answer %s; want a plain {\"statusCode\":200}", fnErr, body)
		}
		// Dropped, not run: nothing was reported for it.
		if sts, err := client.Statuses(context.Background(), "old"); err != nil || len(sts) != 0 {
			t.Fatalf("statuses of the old request: %v %v", sts, err)
		}
		// Had a bootstrap ended, its emulator would have started a new, cold one.
		_, res := queryAnswer(t, eng, "s3", distQueries[0])
		if w := res.Stats.Worker; w.ColdTasks != 0 {
			t.Fatalf("cold tasks after handler errors: %+v", w)
		}
	})

	t.Run("a failed task is retried", func(t *testing.T) {
		// A new registration, so that every part is downloaded again; then one object goes away.
		register(t, eng, "s3r", "s3://events/data")
		const object = "data/part-00001.parquet"
		content, err := os.ReadFile(filepath.Join(env.local, "part-00001.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.s3.NewClient().DeleteObject(context.Background(), &s3.DeleteObjectInput{
			Bucket: aws.String("events"), Key: aws.String(object)}); err != nil {
			t.Fatal(err)
		}
		// Put the object back as soon as an attempt has failed, before the retry.
		raw := redis.NewClient(&redis.Options{Addr: rs.Addr})
		defer raw.Close()
		restored := make(chan string, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		go func() {
			defer close(restored)
			for ctx.Err() == nil {
				keys, _ := raw.Keys(ctx, "frocket:req-*:task:attempt:status").Result()
				for _, k := range keys {
					all, _ := raw.HGetAll(ctx, k).Result()
					for field, st := range all {
						if strings.Contains(st, cluster.StatusEndedFailed) {
							_, err := env.s3.NewClient().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("events"),
								Key: aws.String(object), Body: bytes.NewReader(content), ContentLength: aws.Int64(int64(len(content)))})
							if err != nil {
								st += " (put back: " + err.Error() + ")"
							}
							restored <- field + " " + st
							return
						}
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		got, res := queryAnswer(t, eng, "s3r", distQueries[2])
		failure, ok := <-restored
		if !ok {
			t.Fatal("no attempt failed")
		}
		if !strings.Contains(failure, "part-00001") {
			t.Fatalf("the failed attempt does not name the missing object: %s", failure)
		}
		if got != want[distQueries[2]] {
			t.Fatalf("answer after a retry differs:\n got %s\nwant %s", got, want[distQueries[2]])
		}
		if inv := res.Stats.Invoker; inv.FailedTasks != 1 || inv.TotalTasks != 5 {
			t.Fatalf("want 1 failed attempt of 5: %+v", inv)
		}
		checkCost(t, res, 5)
		failed := 0
		for _, m := range lastAttempts() {
			if !m.Success {
				failed++
			}
		}
		if failed != 1 {
			t.Fatalf("the failed attempt is not among the priced ones: %+v", lastAttempts())
		}
	})

	t.Run("dispatch failure fails the job", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + l.Addr().String()
		l.Close()
		bad := lc
		bad.Endpoint, bad.Timeout = down, time.Second
		bd, err := server.NewLambdaDispatcher(context.Background(), bad)
		if err != nil {
			t.Fatal(err)
		}
		binv, err := server.NewRemoteInvoker(client, bd, rc, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.engine(t, client.Catalog(), binv).Query(context.Background(), "s3", []byte(`{}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Success || !strings.HasPrefix(res.ErrorMessage, "Failed to invoke lambda function 'frocket': ") {
			t.Fatalf("want a failed job: %+v", res)
		}
		t.Logf("endpoint down: %s", res.ErrorMessage)
	})

	if got := pool.MaxInFlight(); got != 1 {
		t.Fatalf("the pool sent %d calls at once to one emulator", got)
	}
	if got := pool.Invocations(); got < 4*(2+len(distQueries))+5+3 {
		t.Fatalf("the emulators answered %d invocations, fewer than the tasks run", got)
	}
	if pids := pool.PIDs(); len(pids) != processes {
		t.Fatalf("emulators alive: %v", pids)
	}
}
