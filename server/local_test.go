package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/server"
	"github.com/frocket/frocket/worker"
)

// localQueries are distQueries and two more over other timeframes, so that a column cache holds
// several entries per part.
var localQueries = append(append([]string(nil), distQueries...),
	`{"timeframe":{"from":1610000000000},"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","purchase"]}],
	  "endAggregations":[{"column":"country","type":"countPerValue"}]}}`,
	`{"timeframe":{"to":1610000000000},"query":{"conditions":[{"filter":["price",">",20],"target":{"type":"sum","column":"price","op":">","value":100}}],
	  "aggregations":[{"column":"browser","type":"sumPerValue","otherColumn":"quantity"}]}}`)

// localEnv is a generated dataset registered in an embedded catalog, and its queries compiled.
type localEnv struct {
	ds   *catalog.Dataset
	jobs []*server.QueryJob
	// want holds each job's partial answers merged in task order, decoded without recycled buffers
	// or a column cache, as JSON.
	want []string
}

func newLocalEnv(t *testing.T, unsorted bool) *localEnv {
	t.Helper()
	ctx := context.Background()
	g := bench.DefaultGenConfig()
	g.Rows, g.Files, g.Seed, g.Unsorted, g.RowGroupRows = 16000, 4, 13, unsorted, 1000
	g.OutDir = filepath.Join(t.TempDir(), "events")
	if _, err := bench.Generate(ctx, g); err != nil {
		t.Fatal(err)
	}
	store, err := catalog.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := server.NewEngine(store, nil, server.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.Register(ctx, catalog.RegisterArgs{Name: "events", BasePath: g.OutDir, GroupColumn: "userId",
		TimestampColumn: "timestamp"}, nil); err != nil || !res.Success {
		t.Fatalf("register: %v %+v", err, res)
	}
	env := &localEnv{}
	if env.ds, err = store.Get(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	for i, q := range localQueries {
		v, errs := query.Compile([]byte(q), env.ds.QuerySchema(), query.DefaultConfig())
		if len(errs) > 0 {
			t.Fatalf("compile %s: %v", q, errs)
		}
		env.jobs = append(env.jobs, &server.QueryJob{RequestID: fmt.Sprintf("q%d", i), Dataset: env.ds, Query: v})
		var merged *query.Partial
		for _, p := range env.ds.Parts {
			part, _, err := worker.Run(ctx, worker.Task{Path: filepath.Join(env.ds.BasePath, p.Name), GroupColumn: "userId",
				TimestampColumn: "timestamp", Query: v})
			if err != nil {
				t.Fatal(err)
			}
			if merged == nil {
				merged = part
			} else if err := merged.Merge(part); err != nil {
				t.Fatal(err)
			}
		}
		env.want = append(env.want, partialJSON(t, merged))
	}
	return env
}

func partialJSON(t *testing.T, p *query.Partial) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// check runs job i through inv and returns how its merged answer differs from the expected one
// ("" when it does not).
func (env *localEnv) check(inv *server.LocalInvoker, i int) string {
	run := inv.RunQuery(context.Background(), env.jobs[i], nil)
	if run.Err != nil {
		return fmt.Sprintf("query %d: %v", i, run.Err)
	}
	b, err := json.Marshal(run.Merged)
	if err != nil {
		return err.Error()
	}
	if got := string(b); got != env.want[i] {
		return fmt.Sprintf("query %d: %s\n got %s\nwant %s", i, localQueries[i], got, env.want[i])
	}
	return ""
}

// TestLocalInvokerBuffersAnswerLikeFresh runs every query several times from three goroutines at
// once through one invoker without a column cache, whose pool recycles decoded memory across tasks
// and queries, and checks each answer against decodes into fresh memory. Run it with -race.
func TestLocalInvokerBuffersAnswerLikeFresh(t *testing.T) {
	for _, unsorted := range []bool{false, true} {
		env := newLocalEnv(t, unsorted)
		inv := &server.LocalInvoker{Workers: 3}
		errs := make(chan string, 3)
		for g := range 3 {
			go func() {
				for round := range 3 {
					for k := range env.jobs {
						if msg := env.check(inv, (k+g+round)%len(env.jobs)); msg != "" {
							errs <- fmt.Sprintf("unsorted %v, goroutine %d, round %d, %s", unsorted, g, round, msg)
							return
						}
					}
				}
				errs <- ""
			}()
		}
		for range 3 {
			if msg := <-errs; msg != "" {
				t.Fatal(msg)
			}
		}
	}
}

// TestLocalInvokerColumnCacheKeepsItsMemory answers queries over different timeframes through an
// invoker with a column cache, then many queries through an invoker without one that shares its
// Buffers, and repeats the first queries: they must come from the cache and be answered as before,
// so no cached table shared memory with what the Buffers handed out again.
func TestLocalInvokerColumnCacheKeepsItsMemory(t *testing.T) {
	// A sorted dataset: a cached table (rows in (user, timestamp) order) then adds up floats in the
	// same order as a decode in file order, so the answers compare exactly.
	env := newLocalEnv(t, false)
	bufs := &scan.Buffers{}
	cc := worker.NewColumnCache(64 << 20)
	cached := &server.LocalInvoker{Workers: 2, Columns: cc, Buffers: bufs}
	plain := &server.LocalInvoker{Workers: 2, Buffers: bufs}
	var wg sync.WaitGroup
	errs := make(chan string, 2*len(env.jobs))
	for i := range env.jobs {
		if msg := env.check(cached, i); msg != "" {
			t.Fatalf("first cached run, %s", msg)
		}
	}
	before := cc.Stats()
	if before.Parts != len(env.ds.Parts) || before.Entries <= before.Parts {
		t.Fatalf("queries over several timeframes: %+v", before)
	}
	for range 2 {
		for i := range env.jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- env.check(plain, i)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		if msg != "" {
			t.Fatalf("uncached run: %s", msg)
		}
	}
	for i := range env.jobs {
		if msg := env.check(cached, i); msg != "" {
			t.Fatalf("cached run after the buffers were reused, %s", msg)
		}
	}
	if after := cc.Stats(); after.Hits-before.Hits != int64(len(env.jobs)*len(env.ds.Parts)) {
		t.Fatalf("repeated queries missed the cache: before %+v, after %+v", before, after)
	}
}
