package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

func genParts(t *testing.T, cfg bench.GenConfig) []string {
	t.Helper()
	cfg.OutDir = filepath.Join(t.TempDir(), "data")
	st, err := bench.Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st.Files
}

// runParts answers v over paths, through cache when it is not nil, and merges the partials.
func runParts(t *testing.T, paths []string, v *query.Validated, cache *worker.ColumnCache) (*query.Partial, int) {
	t.Helper()
	var merged *query.Partial
	hits := 0
	for _, p := range paths {
		part, st, err := worker.Run(context.Background(), worker.Task{Path: p, GroupColumn: "userId", TimestampColumn: "timestamp", Query: v, Columns: cache})
		if err != nil {
			t.Fatalf("run %s: %v", p, err)
		}
		if st.ColumnCacheHit {
			hits++
		}
		if merged == nil {
			merged = part
		} else if err := merged.Merge(part); err != nil {
			t.Fatal(err)
		}
	}
	return merged, hits
}

// TestColumnCacheAnswersLikeCold runs random queries through one cache and checks every answer
// against an uncached run.
func TestColumnCacheAnswersLikeCold(t *testing.T) {
	for _, unsorted := range []bool{false, true} {
		paths := genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 2, Seed: 21, RowGroupRows: 1000, Unsorted: unsorted})
		d := openDataset(t, "userId", "timestamp", true, paths...)
		cache := worker.NewColumnCache(0)
		g := newQueryGen(d, 77)
		valid, hits := 0, 0
		for i := 0; i < 150; i++ {
			doc, err := json.Marshal(g.document())
			if err != nil {
				t.Fatal(err)
			}
			v, errs := query.Compile(doc, d.schema, query.DefaultConfig())
			if len(errs) > 0 {
				continue
			}
			valid++
			cold, _ := runParts(t, paths, v, nil)
			warm, h := runParts(t, paths, v, cache)
			hits += h
			if diff := diffPartials(cold, warm); diff != "" {
				t.Fatalf("unsorted %v, query %s: cached answer differs: %s", unsorted, doc, diff)
			}
			again, h := runParts(t, paths, v, cache)
			if h != len(paths) {
				t.Fatalf("query %s: repeated query hit the cache for %d of %d parts", doc, h, len(paths))
			}
			if diff := diffPartials(cold, again); diff != "" {
				t.Fatalf("unsorted %v, query %s: repeated cached answer differs: %s", unsorted, doc, diff)
			}
		}
		if valid < 100 || hits == 0 {
			t.Fatalf("unsorted %v: %d valid queries, %d first-run hits", unsorted, valid, hits)
		}
		if st := cache.Stats(); st.Parts != len(paths) || st.Bytes <= 0 || st.Hits == 0 || st.Misses == 0 {
			t.Fatalf("stats %+v", st)
		}
	}
}

// TestColumnCacheNeverStale rewrites a part in place and checks that the cache notices.
func TestColumnCacheNeverStale(t *testing.T) {
	a := genParts(t, bench.GenConfig{Rows: 3000, Users: 200, Files: 1, Seed: 31})
	b := genParts(t, bench.GenConfig{Rows: 2000, Users: 100, Files: 1, Seed: 32})
	d := openDataset(t, "userId", "timestamp", true, a...)
	v := d.compile(t, `{}`)
	path := filepath.Join(t.TempDir(), "part.parquet")
	copyFile(t, a[0], path)
	cache := worker.NewColumnCache(0)
	first, _ := runParts(t, []string{path}, v, cache)
	if _, hits := runParts(t, []string{path}, v, cache); hits != 1 {
		t.Fatal("repeated query missed the cache")
	}
	copyFile(t, b[0], path)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	second, hits := runParts(t, []string{path}, v, cache)
	if hits != 0 || second.Query.MatchingGroupRows != 2000 || first.Query.MatchingGroupRows != 3000 {
		t.Fatalf("after a rewrite: hits %d, rows %d (before %d)", hits, second.Query.MatchingGroupRows, first.Query.MatchingGroupRows)
	}

	// A part read through a Reader is cached only with a PartVersion, and keyed by it.
	data, err := os.ReadFile(a[0])
	if err != nil {
		t.Fatal(err)
	}
	task := worker.Task{Path: "mem", Reader: bytes.NewReader(data), Size: int64(len(data)), GroupColumn: "userId", TimestampColumn: "timestamp", Query: v, Columns: cache}
	for i, want := range []bool{false, false} {
		if _, st, err := worker.Run(context.Background(), task); err != nil || st.ColumnCacheHit != want {
			t.Fatalf("reader without version, run %d: hit %v, err %v", i, st != nil && st.ColumnCacheHit, err)
		}
	}
	task.PartVersion = "v1"
	for i, want := range []bool{false, true} {
		if _, st, err := worker.Run(context.Background(), task); err != nil || st.ColumnCacheHit != want {
			t.Fatalf("reader with version, run %d: want hit %v, err %v", i, want, err)
		}
	}
	task.PartVersion = "v2"
	if _, st, err := worker.Run(context.Background(), task); err != nil || st.ColumnCacheHit {
		t.Fatalf("new version served from the cache (err %v)", err)
	}
}

// TestColumnCacheBudget checks that the cache stays within its budget and widens entries.
func TestColumnCacheBudget(t *testing.T) {
	paths := genParts(t, bench.GenConfig{Rows: 8000, Users: 400, Files: 4, Seed: 41})
	d := openDataset(t, "userId", "timestamp", true, paths...)
	empty, funnel := d.compile(t, `{}`), d.compile(t, `{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","purchase"]}]}}`)

	big := worker.NewColumnCache(0)
	runParts(t, paths[:1], funnel, big)
	// The funnel's table (userId, timestamp, eventType) serves the empty query too.
	if _, hits := runParts(t, paths[:1], empty, big); hits != 1 {
		t.Fatal("a wider cached table did not serve a narrower query")
	}
	one := big.Stats().Bytes

	small := worker.NewColumnCache(one * 2) // room for about two of the four parts
	for range 2 {
		runParts(t, paths, funnel, small)
	}
	st := small.Stats()
	if st.Bytes > st.MaxBytes || st.Parts < 1 || st.Parts >= len(paths) {
		t.Fatalf("stats %+v, one part %d bytes", st, one)
	}
	// Narrow first, then wide: the wide table decodes the union and replaces the entry.
	c := worker.NewColumnCache(0)
	runParts(t, paths[:1], empty, c)
	if _, hits := runParts(t, paths[:1], funnel, c); hits != 0 {
		t.Fatal("a narrower cached table served a wider query")
	}
	if _, hits := runParts(t, paths[:1], empty, c); hits != 1 {
		t.Fatal("the widened entry did not serve the narrow query")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuffersAnswersLikeFresh runs random queries with one scan.Buffers recycling every table's
// memory and checks each answer against fresh allocations.
func TestBuffersAnswersLikeFresh(t *testing.T) {
	paths := append(genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 2, Seed: 51, RowGroupRows: 1000}),
		genParts(t, bench.GenConfig{Rows: 5000, Users: 250, Files: 2, Seed: 52, RowGroupRows: 700, Unsorted: true})...)
	d := openDataset(t, "userId", "timestamp", true, paths...)
	bufs := &scan.Buffers{}
	g := newQueryGen(d, 91)
	valid := 0
	for i := 0; i < 150; i++ {
		doc, err := json.Marshal(g.document())
		if err != nil {
			t.Fatal(err)
		}
		v, errs := query.Compile(doc, d.schema, query.DefaultConfig())
		if len(errs) > 0 {
			continue
		}
		valid++
		for _, p := range paths {
			task := worker.Task{Path: p, GroupColumn: "userId", TimestampColumn: "timestamp", Query: v}
			fresh, _, err := worker.Run(context.Background(), task)
			if err != nil {
				t.Fatal(err)
			}
			task.Buffers = bufs
			reused, _, err := worker.Run(context.Background(), task)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diffPartials(fresh, reused); diff != "" {
				t.Fatalf("query %s on %s: answer with recycled buffers differs: %s", doc, p, diff)
			}
		}
	}
	if valid < 100 {
		t.Fatalf("%d valid queries", valid)
	}
}

// TestColumnCacheConcurrent runs queries from several goroutines through one small cache (so
// entries are evicted and replaced while others read them) and one Buffers; run it with -race.
func TestColumnCacheConcurrent(t *testing.T) {
	paths := genParts(t, bench.GenConfig{Rows: 8000, Users: 400, Files: 4, Seed: 61, RowGroupRows: 1000, Unsorted: true})
	d := openDataset(t, "userId", "timestamp", true, paths...)
	docs := []string{`{}`,
		`{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","purchase"]}]}}`,
		`{"query":{"conditions":[{"filter":["eventType","==","purchase"],"target":["count",">=",1]}],"aggregations":[{"column":"country","type":"groupsPerValue"}]}}`}
	var vs []*query.Validated
	var want []*query.Partial
	for _, doc := range docs {
		v := d.compile(t, doc)
		vs = append(vs, v)
		p, _ := runParts(t, paths, v, nil)
		want = append(want, p)
	}
	probe := worker.NewColumnCache(0)
	runParts(t, paths[:1], vs[1], probe)
	cache := worker.NewColumnCache(probe.Stats().Bytes * 3 / 2) // about one part: constant eviction
	bufs := &scan.Buffers{}
	errs := make(chan string, 4)
	for w := range 4 {
		go func() {
			msg := ""
			for i := range 30 {
				k := (w + i) % len(vs)
				var merged *query.Partial
				for _, p := range paths {
					task := worker.Task{Path: p, GroupColumn: "userId", TimestampColumn: "timestamp", Query: vs[k]}
					if (w+i)%2 == 0 {
						task.Columns = cache
					} else {
						task.Buffers = bufs
					}
					part, _, err := worker.Run(context.Background(), task)
					if err != nil {
						msg = err.Error()
						break
					}
					if merged == nil {
						merged = part
					} else if err := merged.Merge(part); err != nil {
						msg = err.Error()
						break
					}
				}
				if msg == "" {
					msg = diffPartials(want[k], merged)
				}
				if msg != "" {
					msg = docs[k] + ": " + msg
					break
				}
			}
			errs <- msg
		}()
	}
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Fatal(msg)
		}
	}
	if st := cache.Stats(); st.Bytes > st.MaxBytes || st.Parts < 1 || st.Hits == 0 || st.Misses == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestColumnCacheAlternatingTimeframes alternates two queries over different timeframes of the same
// parts: each decodes once, then both are answered from memory, side by side in the cache.
func TestColumnCacheAlternatingTimeframes(t *testing.T) {
	paths := genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 3, Seed: 43, RowGroupRows: 500})
	d := openDataset(t, "userId", "timestamp", true, paths...)
	lo, hi := int64(d.schema.MinTimestamp), int64(d.schema.MaxTimestamp)
	mid := lo + (hi-lo)/2
	funnel := `"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","purchase"]}]}`
	early := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},%s}`, lo, mid, funnel))
	late := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},%s}`, mid, hi+1, funnel))
	whole := d.compile(t, `{"query":{"aggregations":[{"column":"country","type":"countPerValue"}]}}`)
	queries := []*query.Validated{early, late, whole}
	var want []*query.Partial
	for _, v := range queries {
		p, _ := runParts(t, paths, v, nil)
		want = append(want, p)
	}
	cache := worker.NewColumnCache(0)
	for round := range 4 {
		for i, v := range queries {
			got, hits := runParts(t, paths, v, cache)
			if wantHits := len(paths) * min(round, 1); hits != wantHits {
				t.Fatalf("round %d, query %d: %d hits, want %d", round, i, hits, wantHits)
			}
			if diff := diffPartials(want[i], got); diff != "" {
				t.Fatalf("round %d, query %d: cached answer differs: %s", round, i, diff)
			}
		}
	}
	st := cache.Stats()
	if st.Parts != len(paths) || st.Entries != len(queries)*len(paths) || st.Misses != int64(len(queries)*len(paths)) {
		t.Fatalf("stats %+v", st)
	}
	// A wider column set of one timeframe replaces that timeframe's entry only.
	wider := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},%s,"query":{"aggregations":[{"column":"device","type":"countPerValue"}]}}`, lo, mid, funnel))
	if _, hits := runParts(t, paths, wider, cache); hits != 0 {
		t.Fatal("a narrower entry served a wider query")
	}
	if st := cache.Stats(); st.Entries != len(queries)*len(paths) {
		t.Fatalf("after widening: %+v", st)
	}
	for i, v := range append(queries, wider) {
		if _, hits := runParts(t, paths, v, cache); hits != len(paths) {
			t.Fatalf("after widening, query %d: %d hits", i, hits)
		}
	}
}

// TestColumnCacheEvictsEntriesByBytes alternates timeframes through a cache that holds about three
// entries of the six the queries need: it stays within its budget, evicts the least recently used
// entries, and every answer stays right.
func TestColumnCacheEvictsEntriesByBytes(t *testing.T) {
	paths := genParts(t, bench.GenConfig{Rows: 6000, Users: 300, Files: 2, Seed: 47, RowGroupRows: 500})
	d := openDataset(t, "userId", "timestamp", true, paths...)
	lo, hi := int64(d.schema.MinTimestamp), int64(d.schema.MaxTimestamp)
	var queries []*query.Validated
	var want []*query.Partial
	for i := range 3 {
		from := lo + int64(i)*(hi-lo)/4 // overlapping windows of half the range
		v := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},"query":{"aggregations":[{"column":"country","type":"countPerValue"}]}}`, from, from+(hi-lo)/2))
		queries = append(queries, v)
		p, _ := runParts(t, paths, v, nil)
		want = append(want, p)
	}
	probe := worker.NewColumnCache(0)
	for _, v := range queries {
		runParts(t, paths, v, probe)
	}
	all := probe.Stats()
	if all.Entries != 6 {
		t.Fatalf("unbounded cache: %+v", all)
	}
	cache := worker.NewColumnCache(all.Bytes / 2)
	hits := 0
	for round := range 3 {
		for i, v := range queries {
			got, h := runParts(t, paths, v, cache)
			hits += h
			if diff := diffPartials(want[i], got); diff != "" {
				t.Fatalf("round %d, query %d: answer differs: %s", round, i, diff)
			}
			if st := cache.Stats(); st.Bytes > st.MaxBytes || st.Entries > 4 {
				t.Fatalf("round %d, query %d: over budget: %+v", round, i, st)
			}
		}
	}
	// Cycling through three timeframes in LRU order with room for half of them evicts each entry
	// before it is asked for again.
	if st := cache.Stats(); hits != 0 || st.Entries < 2 || st.Misses != 18 {
		t.Fatalf("%d hits, stats %+v", hits, st)
	}
	// Repeating one query is answered from memory.
	if _, h := runParts(t, paths, queries[2], cache); h != len(paths) {
		t.Fatalf("the most recent query: %d hits", h)
	}
}

// TestColumnCacheStaleEntriesOfEveryTimeframe rewrites a part cached under two timeframes: neither
// entry serves the new file, and the first new table drops both.
func TestColumnCacheStaleEntriesOfEveryTimeframe(t *testing.T) {
	a := genParts(t, bench.GenConfig{Rows: 3000, Users: 200, Files: 1, Seed: 33})
	b := genParts(t, bench.GenConfig{Rows: 2000, Users: 100, Files: 1, Seed: 34})
	d := openDataset(t, "userId", "timestamp", true, a[0], b[0])
	lo, hi := int64(d.schema.MinTimestamp), int64(d.schema.MaxTimestamp)
	v1 := d.compile(t, fmt.Sprintf(`{"timeframe":{"from":%d}}`, lo))
	v2 := d.compile(t, fmt.Sprintf(`{"timeframe":{"to":%d}}`, hi+1))
	path := filepath.Join(t.TempDir(), "part.parquet")
	copyFile(t, a[0], path)
	cache := worker.NewColumnCache(0)
	for _, v := range []*query.Validated{v1, v2, v1, v2} {
		if p, _ := runParts(t, []string{path}, v, cache); p.Query.MatchingGroupRows != 3000 {
			t.Fatalf("before the rewrite: %d rows", p.Query.MatchingGroupRows)
		}
	}
	if st := cache.Stats(); st.Entries != 2 || st.Hits != 2 {
		t.Fatalf("before the rewrite: %+v", st)
	}
	copyFile(t, b[0], path)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	p, hits := runParts(t, []string{path}, v2, cache)
	if hits != 0 || p.Query.MatchingGroupRows != 2000 {
		t.Fatalf("after the rewrite: %d hits, %d rows", hits, p.Query.MatchingGroupRows)
	}
	if st := cache.Stats(); st.Entries != 1 || st.Parts != 1 {
		t.Fatalf("the old version's entries were kept: %+v", st)
	}
	if p, hits := runParts(t, []string{path}, v1, cache); hits != 0 || p.Query.MatchingGroupRows != 2000 {
		t.Fatalf("other timeframe after the rewrite: %d hits, %d rows", hits, p.Query.MatchingGroupRows)
	}

	// The same for a part read through a Reader and identified by its PartVersion.
	data, err := os.ReadFile(a[0])
	if err != nil {
		t.Fatal(err)
	}
	c := worker.NewColumnCache(0)
	run := func(version string, v *query.Validated) bool {
		task := worker.Task{Path: "mem", Reader: bytes.NewReader(data), Size: int64(len(data)), GroupColumn: "userId", TimestampColumn: "timestamp",
			Query: v, Columns: c, PartVersion: version}
		_, st, err := worker.Run(context.Background(), task)
		if err != nil {
			t.Fatal(err)
		}
		return st.ColumnCacheHit
	}
	for i, want := range []bool{false, false, true, true} {
		if hit := run("v1", []*query.Validated{v1, v2}[i%2]); hit != want {
			t.Fatalf("version v1, run %d: hit %v", i, hit)
		}
	}
	if run("v2", v1) || run("v2", v2) {
		t.Fatal("a new version was served from the old version's entries")
	}
	if st := c.Stats(); st.Entries != 2 || st.Parts != 1 {
		t.Fatalf("after a new version: %+v", st)
	}
}
