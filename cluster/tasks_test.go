package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/query"
)

func TestTaskAttemptField(t *testing.T) {
	t.Parallel()
	f := func(ta TaskAttempt, field string) {
		t.Helper()
		if got := ta.Field(); got != field {
			t.Fatalf("Field(%v) = %q, want %q", ta, got, field)
		}
		back, err := ParseTaskAttempt(field)
		if err != nil || back != ta {
			t.Fatalf("ParseTaskAttempt(%q) = %v, %v", field, back, err)
		}
	}
	f(TaskAttempt{}, "0/0")
	f(TaskAttempt{Task: 12, Attempt: 3}, "12/3")
	for _, bad := range []string{"", "1", "1/", "/1", "a/1", "1/b", "-1/0", "1/2/3", `{"taskIndex":1}`} {
		if _, err := ParseTaskAttempt(bad); err == nil {
			t.Errorf("ParseTaskAttempt(%q) succeeded", bad)
		}
	}
}

func TestInitTasksAndAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	before := UnixSeconds(time.Now())
	if err := c.InitTasks(ctx, "r1", 3, nil); err != nil {
		t.Fatal(err)
	}
	st, err := c.Statuses(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 {
		t.Fatalf("Statuses after InitTasks(3) = %v", st)
	}
	for i := range 3 {
		s, ok := st[TaskAttempt{Task: i}]
		if !ok || s.Status != StatusQueued || s.Time < before-1 || s.Time > before+60 {
			t.Fatalf("status of task %d attempt 0 = %+v, %v", i, s, ok)
		}
	}
	counters, err := c.rdb.HGetAll(ctx, c.Key("req-r1", "task", "attempt", "no")).Result()
	if err != nil || len(counters) != 3 || counters["0"] != "0" || counters["2"] != "0" {
		t.Fatalf("attempt counters = %v, %v", counters, err)
	}
	if n, _ := c.rdb.Exists(ctx, c.Key("req-r1", "job", "published", "parts")).Result(); n != 0 {
		t.Fatal("InitTasks without parts published a part set")
	}

	// Attempts of one task count 1, 2, ...; each writes QUEUED for itself.
	for want := 1; want <= 3; want++ {
		a, err := c.NewAttempt(ctx, "r1", 1)
		if err != nil || a != want {
			t.Fatalf("NewAttempt #%d = %d, %v", want, a, err)
		}
	}
	if a, err := c.NewAttempt(ctx, "r1", 2); err != nil || a != 1 {
		t.Fatalf("NewAttempt(task 2) = %d, %v; want 1", a, err)
	}
	st, err = c.Statuses(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	for _, ta := range []TaskAttempt{{1, 1}, {1, 2}, {1, 3}, {2, 1}} {
		if st[ta].Status != StatusQueued {
			t.Fatalf("status of %v = %+v, want QUEUED", ta, st[ta])
		}
	}
	if len(st) != 7 {
		t.Fatalf("Statuses has %d attempts, want 7: %v", len(st), st)
	}

	// Unparseable fields and values are skipped.
	key := c.Key("req-r1", "task", "attempt", "status")
	if err := c.rdb.HSet(ctx, key, "garbage", `{"status":"QUEUED"}`, "9/9", "not json").Err(); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Statuses(ctx, "r1"); err != nil || len(st) != 7 {
		t.Fatalf("Statuses with bad entries = %d entries, %v; want 7", len(st), err)
	}
	if st, err := c.Statuses(ctx, "unknown"); err != nil || len(st) != 0 {
		t.Fatalf("Statuses(unknown) = %v, %v", st, err)
	}

	// Bad arguments.
	if err := c.InitTasks(ctx, "", 1, nil); err == nil {
		t.Error("InitTasks with an empty request id succeeded")
	}
	if err := c.InitTasks(ctx, "r2", -1, nil); err == nil {
		t.Error("InitTasks(-1) succeeded")
	}
	if _, err := c.NewAttempt(ctx, "r1", -1); err == nil {
		t.Error("NewAttempt(-1) succeeded")
	}
}

func TestSetStatusNeverMovesBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	if err := c.InitTasks(ctx, "r", 2, nil); err != nil {
		t.Fatal(err)
	}
	ta := TaskAttempt{Task: 0}
	get := func() TaskStatus {
		t.Helper()
		st, err := c.Statuses(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		return st[ta]
	}
	if err := c.SetStatus(ctx, "r", ta, TaskStatus{Status: StatusLoadingData, Worker: "w1"}); err != nil {
		t.Fatal(err)
	}
	if s := get(); s.Status != StatusLoadingData || s.Worker != "w1" || s.Time == 0 {
		t.Fatalf("status = %+v, want LOADING_DATA by w1 with a time", s)
	}
	if err := c.SetStatus(ctx, "r", ta, TaskStatus{Status: StatusEndedFailed, Error: "boom", Time: 42}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetStatus(ctx, "r", ta, TaskStatus{Status: StatusRunningQuery}); err != nil {
		t.Fatalf("SetStatus over an ended status = %v, want a silent no-op", err)
	}
	if s := get(); s.Status != StatusEndedFailed || s.Error != "boom" || s.Time != 42 {
		t.Fatalf("status after a late RUNNING_QUERY = %+v, want ENDED_FAILED kept", s)
	}
	// An ended status may follow an ended one.
	if err := c.SetStatus(ctx, "r", ta, TaskStatus{Status: StatusEndedSuccess}); err != nil {
		t.Fatal(err)
	}
	if s := get(); s.Status != StatusEndedSuccess {
		t.Fatalf("status = %+v, want ENDED_SUCCESS", s)
	}
	// Other attempts are unaffected; a status of a new attempt is written.
	if err := c.SetStatus(ctx, "r", TaskAttempt{Task: 1, Attempt: 4}, TaskStatus{Status: StatusRunning}); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Statuses(ctx, "r")
	if st[TaskAttempt{Task: 1}].Status != StatusQueued || st[TaskAttempt{Task: 1, Attempt: 4}].Status != StatusRunning {
		t.Fatalf("statuses = %v", st)
	}
	if err := c.SetStatus(ctx, "r", TaskAttempt{Task: -1}, TaskStatus{Status: StatusRunning}); err == nil {
		t.Error("SetStatus of a negative task succeeded")
	}
}

func testResult(task, attempt int) *TaskResult {
	return &TaskResult{
		Partial: &query.Partial{Query: query.QueryPartial{MatchingGroups: int64(100*task + attempt), MatchingGroupRows: 7}},
		Metrics: TaskMetrics{TaskIndex: task, AttemptNo: attempt, Success: true, ScannedRows: 1000},
	}
}

func TestFinishAndResults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	if err := c.InitTasks(ctx, "r", 3, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := c.Finish(ctx, "r", TaskAttempt{Task: i}, TaskStatus{Status: StatusEndedSuccess}, testResult(i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Finish(ctx, "r", TaskAttempt{Task: 1, Attempt: 1}, TaskStatus{Status: StatusEndedFailed, Error: "no file"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(ctx, "r", TaskAttempt{Task: 1, Attempt: 2}, TaskStatus{Status: StatusRunningQuery}, testResult(1, 2)); err == nil {
		t.Error("Finish with a non-final status succeeded")
	}
	st, err := c.Statuses(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if st[TaskAttempt{Task: 1, Attempt: 1}].Status != StatusEndedFailed || st[TaskAttempt{Task: 1, Attempt: 1}].Error != "no file" {
		t.Fatalf("failed attempt status = %+v", st[TaskAttempt{Task: 1, Attempt: 1}])
	}
	if _, ok := st[TaskAttempt{Task: 1, Attempt: 2}]; ok {
		t.Fatal("a rejected Finish wrote a status")
	}
	res, err := c.Results(ctx, "r", []TaskAttempt{{2, 0}, {0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Partial.Query.MatchingGroups != 200 || res[1].Partial.Query.MatchingGroups != 0 ||
		res[0].Metrics.TaskIndex != 2 || res[0].Metrics.ScannedRows != 1000 || !res[0].Metrics.Success {
		t.Fatalf("Results = %+v %+v", res[0], res[1])
	}
	_, err = c.Results(ctx, "r", []TaskAttempt{{0, 0}, {1, 1}})
	if err == nil || !strings.Contains(err.Error(), "task 1 attempt 1") {
		t.Fatalf("Results of an attempt without a result = %v, want an error naming task 1 attempt 1", err)
	}
	if _, err := c.Results(ctx, "gone", []TaskAttempt{{0, 0}}); err == nil {
		t.Fatal("Results of an unknown request succeeded")
	}
	if res, err := c.Results(ctx, "r", nil); err != nil || len(res) != 0 {
		t.Fatalf("Results(none) = %v, %v", res, err)
	}
}

// TestFinishAtomic has a reader poll while attempts finish: whenever it sees an attempt ended
// successfully, that attempt's result must be readable.
func TestFinishAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	const tasks = 200
	if err := c.InitTasks(ctx, "r", tasks, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	quit := make(chan struct{})
	var writeErr error
	go func() {
		defer close(done)
		for i := range tasks {
			select {
			case <-quit:
				return
			default:
			}
			if err := c.Finish(ctx, "r", TaskAttempt{Task: i}, TaskStatus{Status: StatusEndedSuccess}, testResult(i, 0)); err != nil {
				writeErr = err
				return
			}
		}
	}()
	var readErr error
	checked := 0
	for stop := false; !stop && readErr == nil; {
		select {
		case <-done:
			stop = true // one more pass after the writer ended
		default:
		}
		st, err := c.Statuses(ctx, "r")
		if err != nil {
			readErr = err
			break
		}
		var ended []TaskAttempt
		for ta, s := range st {
			if s.Status == StatusEndedSuccess {
				ended = append(ended, ta)
			}
		}
		if _, err := c.Results(ctx, "r", ended); err != nil {
			readErr = fmt.Errorf("status visible without its result: %w", err)
		}
		checked = max(checked, len(ended))
	}
	close(quit)
	<-done
	if writeErr != nil || readErr != nil {
		t.Fatalf("writer: %v; reader: %v", writeErr, readErr)
	}
	if checked != tasks {
		t.Fatalf("last pass saw %d ended tasks, want %d", checked, tasks)
	}
}

func parts(n int) []PartRef {
	out := make([]PartRef, n)
	for i := range out {
		out[i] = PartRef{Index: i, Name: fmt.Sprintf("part-%03d.parquet", i), Size: int64(1000 + i)}
	}
	return out
}

func TestTakePart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	ps := parts(4)
	if err := c.InitTasks(ctx, "r", 4, ps); err != nil {
		t.Fatal(err)
	}
	// The first candidate still in the set wins.
	p, method, ok, err := c.TakePart(ctx, "r", []PartRef{ps[2], ps[1]})
	if err != nil || !ok || p != ps[2] || method != SelectSpecificCandidate {
		t.Fatalf("TakePart(2,1) = %v %s %v %v", p, method, ok, err)
	}
	p, method, ok, err = c.TakePart(ctx, "r", []PartRef{ps[2], ps[1]})
	if err != nil || !ok || p != ps[1] || method != SelectSpecificCandidate {
		t.Fatalf("TakePart(2,1) again = %v %s %v %v; want part 1", p, method, ok, err)
	}
	// Every candidate taken: a random member.
	p, method, ok, err = c.TakePart(ctx, "r", []PartRef{ps[2], ps[1]})
	if err != nil || !ok || (p != ps[0] && p != ps[3]) || method != SelectRandomCandidateTaken {
		t.Fatalf("TakePart(taken candidates) = %v %s %v %v", p, method, ok, err)
	}
	first := p
	p, method, ok, err = c.TakePart(ctx, "r", nil)
	if err != nil || !ok || p == first || (p != ps[0] && p != ps[3]) || method != SelectRandomNoCandidates {
		t.Fatalf("TakePart(no candidates) = %v %s %v %v", p, method, ok, err)
	}
	// The set is empty now (and Redis removed the key).
	for _, cand := range [][]PartRef{nil, ps} {
		if p, method, ok, err := c.TakePart(ctx, "r", cand); ok || err != nil {
			t.Fatalf("TakePart(empty set) = %v %s %v %v", p, method, ok, err)
		}
	}
	if _, _, ok, err := c.TakePart(ctx, "unknown", nil); ok || err != nil {
		t.Fatalf("TakePart(unknown request) = %v, %v", ok, err)
	}
}

func TestTakePartConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	const nParts, workers = 100, 20
	ps := parts(nParts)
	if err := c.InitTasks(ctx, "r", nParts, ps); err != nil {
		t.Fatal(err)
	}
	taken := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker "holds" a few parts that overlap with its neighbours'.
			cands := []PartRef{ps[(w*5)%nParts], ps[(w*5+1)%nParts], ps[(w*5+7)%nParts]}
			for {
				p, _, ok, err := c.TakePart(ctx, "r", cands)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				taken[w] = append(taken[w], p.Index)
			}
		}()
	}
	wg.Wait()
	var all []int
	for _, ts := range taken {
		all = append(all, ts...)
	}
	slices.Sort(all)
	if len(all) != nParts {
		t.Fatalf("%d parts taken, want %d", len(all), nParts)
	}
	for i, idx := range all {
		if idx != i {
			t.Fatalf("part %d taken twice or never (sorted takes: %v)", i, all)
		}
	}
}

func TestRequestTTLAndCleanup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.URL = shared.URL()
	cfg.Prefix = "t:TestRequestTTLAndCleanup:"
	cfg.RequestTTL = 90 * time.Second
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	clearPrefix(t, c)
	keys := c.RequestKeys("r")
	want := []string{
		"t:TestRequestTTLAndCleanup:req-r:task:attempt:status",
		"t:TestRequestTTLAndCleanup:req-r:task:attempt:result",
		"t:TestRequestTTLAndCleanup:req-r:task:attempt:no",
		"t:TestRequestTTLAndCleanup:req-r:job:published:parts",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("RequestKeys = %v\nwant %v", keys, want)
	}
	checkTTL := func(key string) {
		t.Helper()
		ttl, err := c.rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 80*time.Second || ttl > 90*time.Second {
			t.Fatalf("TTL of %s = %s, want about 90s", key, ttl)
		}
	}
	if err := c.InitTasks(ctx, "r", 2, parts(2)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{keys[0], keys[2], keys[3]} {
		checkTTL(k)
	}
	if err := c.Finish(ctx, "r", TaskAttempt{}, TaskStatus{Status: StatusEndedSuccess}, testResult(0, 0)); err != nil {
		t.Fatal(err)
	}
	checkTTL(keys[1])

	// A status written after Cleanup (a slow worker) recreates the key only with a TTL.
	if err := c.Cleanup(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.rdb.Exists(ctx, keys...).Result(); n != 0 || err != nil {
		t.Fatalf("%d request keys left after Cleanup (%v)", n, err)
	}
	if err := c.SetStatus(ctx, "r", TaskAttempt{Task: 1}, TaskStatus{Status: StatusLoadingData}); err != nil {
		t.Fatal(err)
	}
	checkTTL(keys[0])
	if a, err := c.NewAttempt(ctx, "r", 1); err != nil || a != 1 {
		t.Fatalf("NewAttempt after Cleanup = %d, %v", a, err)
	}
	checkTTL(keys[2])
	if err := c.Cleanup(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if err := c.Cleanup(ctx, "r"); err != nil {
		t.Fatalf("second Cleanup = %v", err)
	}
	if n, _ := c.rdb.Exists(ctx, keys...).Result(); n != 0 {
		t.Fatalf("%d request keys left", n)
	}
}

func TestInitTasksReplaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	if err := c.InitTasks(ctx, "r", 5, parts(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewAttempt(ctx, "r", 4); err != nil {
		t.Fatal(err)
	}
	if err := c.InitTasks(ctx, "r", 2, parts(2)); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Statuses(ctx, "r")
	n, _ := c.rdb.SCard(ctx, c.Key("req-r", "job", "published", "parts")).Result()
	if len(st) != 2 || n != 2 {
		t.Fatalf("after a second InitTasks: %d statuses, %d parts; want 2 and 2", len(st), n)
	}
}
