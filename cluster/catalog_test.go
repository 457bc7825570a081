package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/catalog/catalogtest"
)

// baseTime and testDataset are the shared fixtures under the names the package's tests use.
var baseTime = catalogtest.BaseTime

func testDataset(name string, registeredAt time.Time) *catalog.Dataset {
	return catalogtest.Dataset(name, registeredAt)
}

// TestCatalogStore runs the acceptance suite against the Redis store; it keeps last-used times in
// whole seconds.
func TestCatalogStore(t *testing.T) {
	t.Parallel()
	catalogtest.TestStore(t, func(t *testing.T) catalog.Store {
		return newClient(t).Catalog()
	}, catalogtest.Options{LastUsedPrecision: time.Second})
}

// TestCatalogStoreKeys checks what the store writes into Redis: last-used times as Unix seconds in
// <prefix>dataset_lastused, removed with the dataset.
func TestCatalogStoreKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	s := c.Catalog()
	if err := s.Put(ctx, testDataset("a", baseTime)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, testDataset("b", baseTime)); err != nil {
		t.Fatal(err)
	}
	used := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)
	if err := s.TouchLastUsed(ctx, "a", used); err != nil {
		t.Fatal(err)
	}
	if raw, err := c.rdb.HGet(ctx, c.Key("dataset_lastused"), "a").Result(); err != nil || raw != "1704164645" {
		t.Fatalf("stored last-used time = %q, %v; want Unix seconds 1704164645", raw, err)
	}
	if err := s.TouchLastUsed(ctx, "b", used); err != nil {
		t.Fatal(err)
	}
	if found, err := s.Delete(ctx, "b"); !found || err != nil {
		t.Fatalf("Delete(b) = %v, %v", found, err)
	}
	if n, err := c.rdb.HExists(ctx, c.Key("dataset_lastused"), "b").Result(); n || err != nil {
		t.Fatalf("Delete left the last-used field: %v, %v", n, err)
	}
	if n, err := c.rdb.HExists(ctx, c.Key("datasets"), "b").Result(); n || err != nil {
		t.Fatalf("Delete left the dataset field: %v, %v", n, err)
	}
}

// TestCatalogStoreCorrupt checks that a corrupt entry is an error naming the dataset, not a panic or
// a silent skip.
func TestCatalogStoreCorrupt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	s := c.Catalog()
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
