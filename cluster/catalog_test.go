package cluster

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

var baseTime = time.Date(2021, 2, 10, 8, 32, 12, 412792000, time.UTC)

func testDataset(name string, registeredAt time.Time) *catalog.Dataset {
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

func datasetNames(list []*catalog.Dataset) string {
	names := make([]string, len(list))
	for i, d := range list {
		names[i] = d.Name
	}
	return strings.Join(names, ",")
}

func TestCatalogStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	s := c.Catalog()

	if _, err := s.Get(ctx, "a"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get(absent) = %v, want ErrNotFound", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("List(empty) = %v, %v", list, err)
	}
	a := testDataset("a", baseTime)
	b := testDataset("b", baseTime.Add(time.Hour))
	c2 := testDataset("c", baseTime.Add(-time.Hour))
	d := testDataset("d", baseTime) // same time as a: ordered by name
	for _, ds := range []*catalog.Dataset{a, b, c2, d} {
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
	if names := datasetNames(list); names != "b,a,d,c" {
		t.Fatalf("List order = %s, want b,a,d,c (RegisteredAt descending, then name)", names)
	}

	// Last-used times, kept to the second.
	if _, ok, err := s.LastUsed(ctx, "a"); ok || err != nil {
		t.Fatalf("LastUsed(never used) = %v, %v", ok, err)
	}
	used := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)
	if err := s.TouchLastUsed(ctx, "a", used); err != nil {
		t.Fatal(err)
	}
	if lu, ok, err := s.LastUsed(ctx, "a"); !ok || err != nil || !lu.Equal(used.Truncate(time.Second)) {
		t.Fatalf("LastUsed = %v, %v, %v; want %v", lu, ok, err, used.Truncate(time.Second))
	}
	if raw, err := c.rdb.HGet(ctx, c.Key("dataset_lastused"), "a").Result(); err != nil || raw != "1704164645" {
		t.Fatalf("stored last-used time = %q, %v; want Unix seconds 1704164645", raw, err)
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
	newer := testDataset("a", baseTime.Add(2*time.Hour))
	newer.BasePath = "/data/v2"
	if err := s.Put(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "a"); err != nil || got.BasePath != "/data/v2" || !got.RegisteredAt.Equal(newer.RegisteredAt) {
		t.Fatalf("Get after re-register = %+v, %v", got, err)
	}
	if _, ok, _ := s.LastUsed(ctx, "a"); ok {
		t.Fatal("Put did not clear the last-used time")
	}
	if _, ok, _ := s.LastUsed(ctx, "b"); !ok {
		t.Fatal("Put of a cleared b's last-used time")
	}
	if list, _ := s.List(ctx); datasetNames(list) != "a,b,d,c" {
		t.Fatalf("List after re-register = %s, want a,b,d,c", datasetNames(list))
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
	if n, err := c.rdb.HExists(ctx, c.Key("dataset_lastused"), "b").Result(); n || err != nil {
		t.Fatalf("Delete left the last-used field: %v, %v", n, err)
	}
}

func TestCatalogStoreRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	s := c.Catalog()
	if err := s.Put(ctx, nil); err == nil {
		t.Error("Put(nil) succeeded")
	}
	if err := s.Put(ctx, testDataset("../x", baseTime)); err == nil {
		t.Error("Put with a bad name succeeded")
	}
	if err := s.Put(ctx, testDataset("x", time.Time{})); err == nil {
		t.Error("Put without RegisteredAt succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a canceled context = %v", err)
	}
	// A corrupt entry is an error naming the dataset, not a panic or a silent skip.
	if err := c.rdb.HSet(ctx, c.Key("datasets"), "bad", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "bad"); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("Get(corrupt) = %v, want an error naming it", err)
	}
	if _, err := s.List(ctx); err == nil {
		t.Error("List with a corrupt entry succeeded")
	}
}
