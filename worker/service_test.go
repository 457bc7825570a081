package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

// memStore is an in-memory TaskStore for unit tests of the service's logic; the Redis protocol
// itself is tested against a real redis-server in package cluster and end to end in server.
type memStore struct {
	mu        sync.Mutex
	statuses  map[cluster.TaskAttempt][]string
	results   map[cluster.TaskAttempt]*cluster.TaskResult
	published []cluster.PartRef
	took      []string // methods of TakePart calls
	errs      map[cluster.TaskAttempt]string
	// finished, when not nil, receives every finished task attempt.
	finished chan cluster.TaskAttempt
}

func newMemStore(parts ...cluster.PartRef) *memStore {
	return &memStore{statuses: map[cluster.TaskAttempt][]string{}, results: map[cluster.TaskAttempt]*cluster.TaskResult{},
		errs: map[cluster.TaskAttempt]string{}, published: parts}
}

func (m *memStore) SetStatus(_ context.Context, _ string, ta cluster.TaskAttempt, st cluster.TaskStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statuses[ta] = append(m.statuses[ta], st.Status)
	return nil
}

func (m *memStore) Finish(_ context.Context, _ string, ta cluster.TaskAttempt, st cluster.TaskStatus, res *cluster.TaskResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statuses[ta] = append(m.statuses[ta], st.Status)
	m.results[ta] = res
	m.errs[ta] = st.Error
	if m.finished != nil {
		m.finished <- ta
	}
	return nil
}

func (m *memStore) TakePart(_ context.Context, _ string, candidates []cluster.PartRef) (cluster.PartRef, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range candidates {
		for i, p := range m.published {
			if p == c {
				m.published = append(m.published[:i], m.published[i+1:]...)
				m.took = append(m.took, cluster.SelectSpecificCandidate)
				return p, cluster.SelectSpecificCandidate, true, nil
			}
		}
	}
	if len(m.published) == 0 {
		return cluster.PartRef{}, "", false, nil
	}
	p := m.published[0]
	m.published = m.published[1:]
	method := cluster.SelectRandomNoCandidates
	if len(candidates) > 0 {
		method = cluster.SelectRandomCandidateTaken
	}
	m.took = append(m.took, method)
	return p, method, true, nil
}

// stubParts serves a missing local file, so tasks fail fast after choosing a part; it claims to
// hold the parts in cached.
type stubParts struct{ cached []cluster.PartRef }

func (s stubParts) Open(context.Context, cluster.DatasetRef, cluster.PartRef) (*worker.Part, error) {
	return nil, errors.New("no such part")
}
func (s stubParts) Candidates(cluster.DatasetRef) []cluster.PartRef { return s.cached }

func request(mode cluster.PartMode, part *cluster.PartRef, invoked time.Time) *cluster.TaskRequest {
	return &cluster.TaskRequest{RequestID: "r1", InvokeTime: cluster.UnixSeconds(invoked), Mode: mode, Part: part,
		Dataset: cluster.DatasetRef{Name: "ds", BasePath: "/nonexistent"}, Query: json.RawMessage(`{}`)}
}

func newTestService(t *testing.T, store worker.TaskStore, parts worker.PartSource, preflight time.Duration) *worker.Service {
	t.Helper()
	cfg := worker.DefaultServiceConfig()
	cfg.Preflight = preflight
	cfg.RejectAge = time.Second
	s, err := worker.NewService(store, parts, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServiceRejectsOldRequests(t *testing.T) {
	store := newMemStore()
	s := newTestService(t, store, stubParts{}, 0)
	p := cluster.PartRef{Index: 0, Name: "a"}
	err := s.Handle(context.Background(), request(cluster.SetByInvoker, &p, time.Now().Add(-2*time.Second)))
	if !errors.Is(err, worker.ErrRejected) {
		t.Fatalf("want ErrRejected, got %v", err)
	}
	if len(store.statuses) != 0 {
		t.Fatalf("a rejected request must write no status: %v", store.statuses)
	}
}

func TestServiceReportsFailure(t *testing.T) {
	store := newMemStore()
	s := newTestService(t, store, stubParts{}, 0)
	p := cluster.PartRef{Index: 3, Name: "a"}
	req := request(cluster.SetByInvoker, &p, time.Now())
	req.AttemptNo = 1
	if err := s.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	ta := cluster.TaskAttempt{Task: 3, Attempt: 1}
	if got := store.statuses[ta]; len(got) != 2 || got[0] != cluster.StatusLoadingData || got[1] != cluster.StatusEndedFailed {
		t.Fatalf("statuses: %v", got)
	}
	m := store.results[ta].Metrics
	if m.Success || m.PartSelectMethod != cluster.SelectSetByInvoker || m.AttemptNo != 1 || m.TaskIndex != 3 {
		t.Fatalf("metrics: %+v", m)
	}
}

func TestServicePreflight(t *testing.T) {
	a, b := cluster.PartRef{Index: 0, Name: "a"}, cluster.PartRef{Index: 1, Name: "b"}
	const preflight = 150 * time.Millisecond

	// A worker holding a candidate takes it at once, without sleeping.
	store := newMemStore(a, b)
	s := newTestService(t, store, stubParts{cached: []cluster.PartRef{b}}, preflight)
	if err := s.Handle(context.Background(), request(cluster.SelectedByWorker, nil, time.Now())); err != nil {
		t.Fatal(err)
	}
	res := store.results[cluster.TaskAttempt{Task: 1}]
	if res == nil || res.Metrics.PreflightSleep != 0 || res.Metrics.PartSelectMethod != cluster.SelectSpecificCandidate {
		t.Fatalf("with a candidate: %+v", res)
	}

	// A worker without candidates waits out the preflight window, then takes any part.
	store = newMemStore(a, b)
	s = newTestService(t, store, stubParts{}, preflight)
	start := time.Now()
	if err := s.Handle(context.Background(), request(cluster.SelectedByWorker, nil, start)); err != nil {
		t.Fatal(err)
	}
	res = store.results[cluster.TaskAttempt{Task: 0}]
	if res == nil || res.Metrics.PreflightSleep <= 0 || res.Metrics.PreflightSleep > preflight.Seconds() ||
		res.Metrics.PartSelectMethod != cluster.SelectRandomNoCandidates || time.Since(start) < preflight {
		t.Fatalf("without candidates: %+v after %v", res, time.Since(start))
	}

	// With no preflight window there is no sleep.
	store = newMemStore(a)
	s = newTestService(t, store, stubParts{}, 0)
	if err := s.Handle(context.Background(), request(cluster.SelectedByWorker, nil, time.Now())); err != nil {
		t.Fatal(err)
	}
	if res = store.results[cluster.TaskAttempt{Task: 0}]; res == nil || res.Metrics.PreflightSleep != 0 {
		t.Fatalf("no preflight: %+v", res)
	}

	// Nothing left to take: no status is written.
	if err := s.Handle(context.Background(), request(cluster.SelectedByWorker, nil, time.Now())); err != nil {
		t.Fatal(err)
	}
	if len(store.statuses) != 1 {
		t.Fatalf("statuses: %v", store.statuses)
	}
}

// chanQueue is a Queue over a channel, as a Redis list is one.
type chanQueue chan *cluster.TaskRequest

func (q chanQueue) Dequeue(ctx context.Context, _ string, timeout time.Duration) (*cluster.TaskRequest, error) {
	select {
	case r := <-q:
		return r, nil
	case <-time.After(timeout):
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// localDataset describes generated parts (all in one directory) as a registered dataset.
func localDataset(t *testing.T, paths []string) (cluster.DatasetRef, []cluster.PartRef) {
	t.Helper()
	ds := cluster.DatasetRef{Name: "ds", BasePath: filepath.Dir(paths[0]), GroupColumn: "userId", TimestampColumn: "timestamp",
		RegisteredAt: time.Now()}
	var parts []cluster.PartRef
	for i, p := range paths {
		if filepath.Dir(p) != ds.BasePath {
			t.Fatalf("part %s is not in %s", p, ds.BasePath)
		}
		parts = append(parts, cluster.PartRef{Index: i, Name: filepath.Base(p)})
	}
	return ds, parts
}

// taskRequests returns one request per part for v, as the queue invoker sends them; the task
// indexes start at first, so that requests of several queries can share one store.
func taskRequests(t *testing.T, ds cluster.DatasetRef, parts []cluster.PartRef, v *query.Validated, first int) []*cluster.TaskRequest {
	t.Helper()
	doc, err := json.Marshal(v.Query)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []*cluster.TaskRequest
	for i, p := range parts {
		p.Index = first + i
		reqs = append(reqs, &cluster.TaskRequest{RequestID: fmt.Sprintf("r%d", first), InvokeTime: cluster.UnixSeconds(time.Now()),
			TaskIndex: p.Index, Dataset: ds, Mode: cluster.SetByInvoker, Part: &p, Query: doc, UsedColumns: v.UsedColumns})
	}
	return reqs
}

// serveQueue runs reqs through s.RunQueue with concurrency slots and returns each task's partial
// by task index; it fails the test when a task fails.
func serveQueue(t *testing.T, s *worker.Service, store *memStore, concurrency int, reqs []*cluster.TaskRequest) map[int]*query.Partial {
	t.Helper()
	q := make(chanQueue, len(reqs))
	for _, r := range reqs {
		q <- r
	}
	store.finished = make(chan cluster.TaskAttempt, len(reqs))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() {
		stopped <- s.RunQueue(ctx, q, worker.QueueConfig{Concurrency: concurrency, BlockTimeout: 20 * time.Millisecond})
	}()
	timeout := time.After(2 * time.Minute)
	for range reqs {
		select {
		case <-store.finished:
		case <-timeout:
			t.Fatal("tasks did not finish")
		}
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	out := map[int]*query.Partial{}
	for _, r := range reqs {
		ta := cluster.TaskAttempt{Task: r.TaskIndex}
		res := store.results[ta]
		if res == nil || !res.Metrics.Success || res.Partial == nil {
			t.Fatalf("task %d: %q, result %+v", r.TaskIndex, store.errs[ta], res)
		}
		out[r.TaskIndex] = res.Partial
	}
	return out
}

// freshPartial answers v over one part without a cache or recycled buffers.
func freshPartial(t *testing.T, path string, v *query.Validated) *query.Partial {
	t.Helper()
	p, _, err := worker.Run(context.Background(), worker.Task{Path: path, GroupColumn: "userId", TimestampColumn: "timestamp", Query: v})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServiceBuffersAnswerLikeFresh runs random queries through a queue worker with three slots and
// no column cache, so every task decodes into memory recycled from the tasks before it (and those
// running beside it), and checks every partial against a fresh decode. Run it with -race.
func TestServiceBuffersAnswerLikeFresh(t *testing.T) {
	for _, unsorted := range []bool{false, true} {
		paths := genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 3, Seed: 81, RowGroupRows: 700, Unsorted: unsorted})
		d := openDataset(t, "userId", "timestamp", true, paths...)
		ds, parts := localDataset(t, paths)
		g := newQueryGen(d, 83)
		var reqs []*cluster.TaskRequest
		var want []*query.Partial
		for len(want) < 40*len(paths) {
			doc, err := json.Marshal(g.document())
			if err != nil {
				t.Fatal(err)
			}
			v, errs := query.Compile(doc, d.schema, query.DefaultConfig())
			if len(errs) > 0 {
				continue
			}
			reqs = append(reqs, taskRequests(t, ds, parts, v, len(want))...)
			for _, p := range paths {
				want = append(want, freshPartial(t, p, v))
			}
		}
		bufs := &scan.Buffers{}
		cfg := worker.DefaultServiceConfig()
		cfg.Buffers = bufs
		store := newMemStore()
		s, err := worker.NewService(store, worker.LocalParts{}, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := serveQueue(t, s, store, 3, reqs)
		for i, w := range want {
			if diff := diffPartials(w, got[i]); diff != "" {
				t.Fatalf("unsorted %v, task %d (%s, part %s): answer with recycled buffers differs: %s", unsorted, i, reqs[i].Query, reqs[i].Part.Name, diff)
			}
		}
	}
}

// TestServiceColumnCacheKeepsItsMemory checks that a table in the column cache never shares memory
// with the Buffers later tasks decode into. A worker with a cache answers two queries with
// different timeframes (two entries per part); then a worker without a cache, sharing the
// Buffers, runs other queries, and every slice the Buffers hand out is overwritten. The cached
// tables must come through untouched: the first worker answers both queries again from memory,
// exactly as before, and as a fresh decode does.
func TestServiceColumnCacheKeepsItsMemory(t *testing.T) {
	paths := genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 3, Seed: 71, RowGroupRows: 1000})
	d := openDataset(t, "userId", "timestamp", true, paths...)
	ds, parts := localDataset(t, paths)
	lo, hi := int64(d.schema.MinTimestamp), int64(d.schema.MaxTimestamp)
	a := d.compile(t, `{"query":{"conditions":[{"filter":["eventType","==","addToCart"],"target":["count",">=",1]}],
		"aggregations":[{"column":"country","type":"countPerValue"},{"column":"country","type":"sumPerValue","otherColumn":"price"}]},
		"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","purchase"]}]}}`)
	b := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},
		"query":{"aggregations":[{"column":"device","type":"groupsPerValue"},{"column":"browser","type":"meanPerValue","otherColumn":"quantity"}]}}`,
		lo+(hi-lo)/4, hi-(hi-lo)/4))
	other := []*query.Validated{d.compile(t, `{"query":{"aggregations":[{"column":"sku","type":"countPerValue"}]}}`),
		d.compile(t, `{}`), d.compile(t, `{"funnel":{"sequence":[{"filter":["url","contains","a"]},{"filter":["price",">",10]}]}}`)}

	bufs := &scan.Buffers{}
	cache := worker.NewColumnCache(0)
	cfg := worker.DefaultServiceConfig()
	cfg.Columns, cfg.Buffers = cache, bufs
	store := newMemStore()
	warm, err := worker.NewService(store, worker.LocalParts{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(parts)
	first := serveQueue(t, warm, store, 2, append(taskRequests(t, ds, parts, a, 0), taskRequests(t, ds, parts, b, n)...))
	if st := cache.Stats(); st.Entries != 2*n || st.Parts != n || st.Hits != 0 {
		t.Fatalf("after two queries with different timeframes: %+v, want %d entries", st, 2*n)
	}

	cfg.Columns = nil
	coldStore := newMemStore()
	cold, err := worker.NewService(coldStore, worker.LocalParts{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		var reqs []*cluster.TaskRequest
		for i, v := range other {
			reqs = append(reqs, taskRequests(t, ds, parts, v, 100*round+10*i)...)
		}
		serveQueue(t, cold, coldStore, 2, reqs)
		scribble(t, paths, bufs)
	}

	again := serveQueue(t, warm, store, 2, append(taskRequests(t, ds, parts, a, 1000), taskRequests(t, ds, parts, b, 1000+n)...))
	if st := cache.Stats(); st.Hits != int64(2*n) {
		t.Fatalf("repeated queries: %+v, want %d hits", st, 2*n)
	}
	for i := range 2 * n {
		v := a
		if i >= n {
			v = b
		}
		if diff := diffPartials(first[i], again[1000+i]); diff != "" {
			t.Fatalf("task %d: cached answer changed after other tasks reused the buffers: %s", i, diff)
		}
		if diff := diffPartials(freshPartial(t, paths[i%n], v), again[1000+i]); diff != "" {
			t.Fatalf("task %d: cached answer differs from a fresh decode: %s", i, diff)
		}
	}
}

// scribble decodes every column of each part into memory taken from bufs, overwrites all of it,
// and gives it back: whatever else still used that memory now reads garbage.
func scribble(t *testing.T, paths []string, bufs *scan.Buffers) {
	t.Helper()
	for _, p := range paths {
		tbl, err := scan.ReadPath(p, scan.Request{GroupColumn: "userId", TimestampColumn: "timestamp", Unordered: true, Buffers: bufs,
			Columns: []string{"eventType", "url", "browser", "country", "device", "sku", "price", "quantity", "campaignId"}})
		if err != nil {
			t.Fatal(err)
		}
		fillInts := func(s []int64) {
			for i := range s {
				s[i] = -1 << 40
			}
		}
		fillCodes := func(s []uint32) {
			for i := range s {
				s[i] = 1<<32 - 1
			}
		}
		fillInts(tbl.TS)
		fillCodes(tbl.GroupOf)
		for _, c := range append([]*scan.Column{tbl.Group}, slices.Collect(maps.Values(tbl.Columns))...) {
			if c == nil {
				continue
			}
			fillInts(c.Ints)
			fillCodes(c.Codes)
			for i := range c.Floats {
				c.Floats[i] = -1e300
			}
		}
		bufs.Release(tbl)
	}
}
