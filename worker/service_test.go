package worker

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/cluster"
)

// memStore is an in-memory TaskStore for unit tests of the service's logic; the Redis protocol
// itself is tested against a real redis-server in package cluster and end to end in server.
type memStore struct {
	mu        sync.Mutex
	statuses  map[cluster.TaskAttempt][]string
	results   map[cluster.TaskAttempt]*cluster.TaskResult
	published []cluster.PartRef
	took      []string // methods of TakePart calls
}

func newMemStore(parts ...cluster.PartRef) *memStore {
	return &memStore{statuses: map[cluster.TaskAttempt][]string{}, results: map[cluster.TaskAttempt]*cluster.TaskResult{}, published: parts}
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

func (s stubParts) Open(context.Context, cluster.DatasetRef, cluster.PartRef) (*Part, error) {
	return nil, errors.New("no such part")
}
func (s stubParts) Candidates(cluster.DatasetRef) []cluster.PartRef { return s.cached }

func request(mode cluster.PartMode, part *cluster.PartRef, invoked time.Time) *cluster.TaskRequest {
	return &cluster.TaskRequest{RequestID: "r1", InvokeTime: cluster.UnixSeconds(invoked), Mode: mode, Part: part,
		Dataset: cluster.DatasetRef{Name: "ds", BasePath: "/nonexistent"}, Query: json.RawMessage(`{}`)}
}

func newTestService(t *testing.T, store TaskStore, parts PartSource, preflight time.Duration) *Service {
	t.Helper()
	cfg := DefaultServiceConfig()
	cfg.Preflight = preflight
	cfg.RejectAge = time.Second
	s, err := NewService(store, parts, cfg, nil)
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
	if !errors.Is(err, ErrRejected) {
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
