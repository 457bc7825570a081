// Package catalogtest is the acceptance suite every catalog.Store implementation passes, and the
// dataset builder the stores' tests share.
//
// It is imported only by tests (package catalog's own internal tests cannot import it: that would be
// an import cycle). It imports catalog and query and must not import cluster or any other backend.
package catalogtest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

// BaseTime is a registration time with microsecond precision, the precision registration uses.
var BaseTime = time.Date(2021, 2, 10, 8, 32, 12, 412792000, time.UTC)

// Dataset returns a complete dataset named name: two parts and a schema with a group column, a
// timestamp column, a categorical string column and an unsupported one. Each call returns a new value.
func Dataset(name string, registeredAt time.Time) *catalog.Dataset {
	lo, hi := 1.5e9, 1.6e9
	return &catalog.Dataset{
		Name:            name,
		BasePath:        "/data/" + name,
		Pattern:         "*.parquet",
		GroupColumn:     "uid",
		TimestampColumn: "ts",
		RegisteredAt:    registeredAt,
		Parts:           []catalog.Part{{Name: "a.parquet", Size: 10}, {Name: "b.parquet", Size: 20}},
		Schema: catalog.Schema{
			GroupColumn:     "uid",
			TimestampColumn: "ts",
			Columns: map[string]catalog.ColumnSchema{
				"uid":   {Name: "uid", Type: query.TypeInt, DtypeName: "int64", NumericMin: &lo, NumericMax: &hi},
				"ts":    {Name: "ts", Type: query.TypeInt, DtypeName: "int64", NumericMin: &lo, NumericMax: &hi},
				"event": {Name: "event", Type: query.TypeString, DtypeName: "object", Categorical: true, CatUniqueRatio: 0.01, CatTopValues: map[string]float64{"view": 0.75, "buy": 0.25}},
			},
			Unsupported:  map[string]string{"tags": "LIST"},
			MinTimestamp: lo,
			MaxTimestamp: hi,
		},
	}
}

// Names joins the names of list with commas, for comparing an order in one string.
func Names(list []*catalog.Dataset) string {
	names := make([]string, len(list))
	for i, d := range list {
		names[i] = d.Name
	}
	return strings.Join(names, ",")
}

// Options states where a backend may differ from the full contract.
type Options struct {
	// LastUsedPrecision is the unit last-used times are truncated to (time.Second for Redis, which
	// keeps Unix seconds); 0 means full precision.
	LastUsedPrecision time.Duration
}

// TestStore runs the acceptance suite, one subtest per concern, each on a new empty store made by
// newStore (called with the subtest's t, so it may register cleanups and key by t.Name()).
func TestStore(t *testing.T, newStore func(t *testing.T) catalog.Store, opts Options) {
	t.Helper()
	t.Run("Basics", func(t *testing.T) { testBasics(t, newStore(t), opts) })
	t.Run("Rejects", func(t *testing.T) { testRejects(t, newStore(t)) })
}

// testBasics walks one store through the whole contract: absent names, List order, round trip,
// last-used times, re-registration and deletion.
func testBasics(t *testing.T, s catalog.Store, opts Options) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get(absent) = %v, want ErrNotFound", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("List(empty) = %v, %v", list, err)
	}
	a := Dataset("a", BaseTime)
	b := Dataset("b", BaseTime.Add(time.Hour))
	c := Dataset("c", BaseTime.Add(-time.Hour))
	d := Dataset("d", BaseTime) // same time as a: ordered by name
	for _, ds := range []*catalog.Dataset{a, b, c, d} {
		if err := s.Put(ctx, ds); err != nil {
			t.Fatalf("Put(%s): %v", ds.Name, err)
		}
	}
	got, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("Get(a) = %+v\nwant %+v", got, a)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := Names(list); names != "b,a,d,c" {
		t.Fatalf("List order = %s, want b,a,d,c (RegisteredAt descending, then name)", names)
	}

	// Last-used times, to the backend's precision.
	if _, ok, err := s.LastUsed(ctx, "a"); ok || err != nil {
		t.Fatalf("LastUsed(never used) = %v, %v", ok, err)
	}
	used := time.Date(2024, 1, 2, 3, 4, 5, 600006000, time.UTC)
	want := used
	if opts.LastUsedPrecision > 0 {
		want = used.Truncate(opts.LastUsedPrecision)
	}
	if err := s.TouchLastUsed(ctx, "a", used); err != nil {
		t.Fatal(err)
	}
	if lu, ok, err := s.LastUsed(ctx, "a"); !ok || err != nil || !lu.Equal(want) {
		t.Fatalf("LastUsed = %v, %v, %v; want %v", lu, ok, err, want)
	}
	if err := s.TouchLastUsed(ctx, "nope", used); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("TouchLastUsed(absent) = %v, want ErrNotFound", err)
	}
	if _, ok, _ := s.LastUsed(ctx, "nope"); ok {
		t.Fatal("TouchLastUsed of an absent dataset left a last-used time")
	}

	// Re-registering replaces the dataset and clears that name's last-used time only.
	if err := s.TouchLastUsed(ctx, "b", used); err != nil {
		t.Fatal(err)
	}
	newer := Dataset("a", BaseTime.Add(2*time.Hour))
	newer.BasePath = "/data/v2"
	if err := s.Put(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "a"); err != nil || got.BasePath != "/data/v2" || !got.RegisteredAt.Equal(newer.RegisteredAt) {
		t.Fatalf("Get after re-register = %+v, %v; want the newer registration", got, err)
	}
	if _, ok, _ := s.LastUsed(ctx, "a"); ok {
		t.Fatal("Put did not clear the last-used time")
	}
	if _, ok, _ := s.LastUsed(ctx, "b"); !ok {
		t.Fatal("Put of a cleared b's last-used time")
	}
	if list, err := s.List(ctx); err != nil || Names(list) != "a,b,d,c" {
		t.Fatalf("List after re-register = %s, %v; want a,b,d,c (one entry per name)", Names(list), err)
	}

	// Delete removes the metadata and the last-used time; a second delete finds nothing.
	if found, err := s.Delete(ctx, "b"); !found || err != nil {
		t.Fatalf("Delete(b) = %v, %v", found, err)
	}
	if found, err := s.Delete(ctx, "b"); found || err != nil {
		t.Fatalf("second Delete(b) = %v, %v", found, err)
	}
	if _, err := s.Get(ctx, "b"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get(deleted) = %v", err)
	}
	if _, ok, _ := s.LastUsed(ctx, "b"); ok {
		t.Fatal("Delete left the last-used time")
	}
	if list, err := s.List(ctx); err != nil || Names(list) != "a,d,c" {
		t.Fatalf("List after Delete = %s, %v; want a,d,c", Names(list), err)
	}
}

// testRejects checks that Put refuses what must never be stored and that a cancelled context stops
// a read.
func testRejects(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, nil); err == nil {
		t.Error("Put(nil) succeeded")
	}
	if err := s.Put(ctx, Dataset("../x", BaseTime)); err == nil {
		t.Error("Put with a bad name succeeded")
	}
	if err := s.Put(ctx, Dataset("x", time.Time{})); err == nil {
		t.Error("Put without RegisteredAt succeeded")
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("List after rejected Puts = %s, %v; want nothing stored", Names(list), err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a canceled context = %v", err)
	}
}
