package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/query"
)

// baseTime and testDataset are catalogtest.BaseTime and catalogtest.Dataset for the package's
// internal tests, which cannot import catalogtest (it imports catalog: an import cycle). Keep them
// equal; the store contract itself is tested by catalogtest.TestStore.
var baseTime = time.Date(2021, 2, 10, 8, 32, 12, 412792000, time.UTC)

func testDataset(name string, registeredAt time.Time) *Dataset {
	lo, hi := 1.5e9, 1.6e9
	return &Dataset{
		Name:            name,
		BasePath:        "/data/" + name,
		Pattern:         "*.parquet",
		GroupColumn:     "uid",
		TimestampColumn: "ts",
		RegisteredAt:    registeredAt,
		Parts:           []Part{{Name: "a.parquet", Size: 10}, {Name: "b.parquet", Size: 20}},
		Schema: Schema{
			GroupColumn:     "uid",
			TimestampColumn: "ts",
			Columns: map[string]ColumnSchema{
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

func openStore(t *testing.T, dir string) *FileStore {
	t.Helper()
	s, err := OpenFileStore(dir)
	if err != nil {
		t.Fatalf("OpenFileStore: %v", err)
	}
	return s
}

// TestFileStoreReopen checks what the acceptance suite (package catalogtest, run against FileStore in
// its own tests) cannot: the directory is created when missing, and everything survives a reopen.
func TestFileStoreReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s := openStore(t, dir)
	for _, d := range []*Dataset{testDataset("a", baseTime), testDataset("b", baseTime.Add(time.Hour)), testDataset("c", baseTime.Add(-time.Hour))} {
		if err := s.Put(ctx, d); err != nil {
			t.Fatalf("Put(%s): %v", d.Name, err)
		}
	}
	used := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := s.TouchLastUsed(ctx, "a", used); err != nil {
		t.Fatal(err)
	}
	if found, err := s.Delete(ctx, "b"); !found || err != nil {
		t.Fatalf("Delete(b) = %v, %v", found, err)
	}

	s2 := openStore(t, dir)
	list, err := s2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := datasetNames(list); names != "a,c" {
		t.Fatalf("List after reopen = %s, want a,c", names)
	}
	if lu, ok, err := s2.LastUsed(ctx, "a"); !ok || err != nil || !lu.Equal(used) {
		t.Fatalf("LastUsed after reopen = %v, %v, %v; want %v", lu, ok, err, used)
	}
}

func TestOpenFileStoreOnFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileStore(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("OpenFileStore(a file) = %v, want an error naming it", err)
	}
}

func TestFileStoreCrashBeforeRename(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Put(ctx, testDataset("a", baseTime)); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, catalogFileName))
	if err != nil {
		t.Fatal(err)
	}

	// At the point of the rename the old catalog is intact and the new one complete beside it.
	checked := false
	s.beforeRename = func(tmp, target string) error {
		if filepath.Dir(tmp) != dir {
			t.Errorf("temporary file %s is not in %s", tmp, dir)
		}
		cur, err := os.ReadFile(target)
		if err != nil || string(cur) != string(before) {
			t.Errorf("catalog changed before the rename: %v", err)
		}
		s2 := &FileStore{dir: dir, catalogPath: tmp}
		c, err := s2.readCatalog()
		if err != nil || len(c.Datasets) != 2 {
			t.Errorf("temporary catalog is not the complete new one: %v", err)
		}
		checked = true
		return errors.New("simulated crash")
	}
	if err := s.Put(ctx, testDataset("b", baseTime)); err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("Put with a crash before the rename = %v", err)
	}
	if !checked {
		t.Fatal("the rename hook did not run")
	}
	after, err := os.ReadFile(filepath.Join(dir, catalogFileName))
	if err != nil || string(after) != string(before) {
		t.Fatalf("catalog changed by an aborted write: %v", err)
	}
	s.beforeRename = nil
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatalf("Get(a) after the aborted write: %v", err)
	}
	if _, err := s.Get(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(b) after the aborted write = %v, want not found", err)
	}
}

func TestFileStoreLeftoverTemp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Put(ctx, testDataset("a", baseTime)); err != nil {
		t.Fatal(err)
	}
	// A writer that died after writing half of its temporary file.
	leftover := filepath.Join(dir, catalogFileName+tempInfix+"12345")
	if err := os.WriteFile(leftover, []byte(`{"version":1,"datasets":{"b":{"na`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatalf("Get with a leftover temporary file: %v", err)
	}
	s2 := openStore(t, dir)
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Fatalf("OpenFileStore left the temporary file: %v", err)
	}
	list, err := s2.List(ctx)
	if err != nil || datasetNames(list) != "a" {
		t.Fatalf("List = %v, %v; want a", list, err)
	}
}

func TestFileStoreCorrupt(t *testing.T) {
	ctx := context.Background()
	f := func(file, content, want string) {
		t.Helper()
		dir := t.TempDir()
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := OpenFileStore(dir)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Fatalf("OpenFileStore with %s = %q: %v, want an error naming it and saying %q", file, content, err, want)
		}
	}
	f(catalogFileName, "", "corrupt")
	f(catalogFileName, "{not json", "corrupt")
	f(catalogFileName, `{"version":1,"datasets":{}}{}`, "corrupt")
	f(catalogFileName, `{"version":7,"datasets":{}}`, "version 7")
	f(lastUsedFileName, `{"version":1,"lastUsed":{"a":"yesterday"}}`, "corrupt")

	// Corrupted after opening: reads and writes fail, and the file is not reset.
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Put(ctx, testDataset("a", baseTime)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, catalogFileName)
	if err := os.WriteFile(path, []byte(`{"version":1,"datasets":{"a":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Get on a corrupt catalog = %v", err)
	}
	if err := s.Put(ctx, testDataset("b", baseTime)); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Put on a corrupt catalog = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `{"version":1,"datasets":{"a":` {
		t.Fatalf("the corrupt catalog was overwritten: %q", data)
	}
	// A dataset entry that does not decode.
	if err := os.WriteFile(path, []byte(`{"version":1,"datasets":{"a":{"name":5}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); err == nil || !strings.Contains(err.Error(), "dataset a") {
		t.Fatalf("Get of an undecodable dataset = %v", err)
	}
}

// TestFileStoreConcurrentWriters runs writers in goroutines over two FileStore instances on one
// directory, and in two other processes; no update may be lost.
func TestFileStoreConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stores := []*FileStore{openStore(t, dir), openStore(t, dir)}
	if err := stores[0].Put(ctx, testDataset("shared", baseTime)); err != nil {
		t.Fatal(err)
	}
	const goroutines, perGoroutine, procs, perProc = 6, 8, 2, 10

	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CATALOG_HELPER_DIR="+dir, "CATALOG_HELPER_ID="+strconv.Itoa(p), "CATALOG_HELPER_N="+strconv.Itoa(perProc))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine*2)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[g%2]
			for i := range perGoroutine {
				name := fmt.Sprintf("g%d-%d", g, i)
				if err := s.Put(ctx, testDataset(name, baseTime.Add(time.Duration(g*100+i)*time.Second))); err != nil {
					errs <- err
				}
				if err := s.TouchLastUsed(ctx, "shared", baseTime.Add(time.Duration(i)*time.Minute)); err != nil {
					errs <- err
				}
				if _, err := s.List(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	}
	list, err := openStore(t, dir).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + goroutines*perGoroutine + procs*perProc; len(list) != want {
		t.Fatalf("%d datasets after concurrent writes, want %d", len(list), want)
	}
	if _, ok, err := stores[1].LastUsed(ctx, "shared"); !ok || err != nil {
		t.Fatalf("LastUsed(shared) = %v, %v", ok, err)
	}
}

func datasetNames(list []*Dataset) string {
	names := make([]string, len(list))
	for i, d := range list {
		names[i] = d.Name
	}
	return strings.Join(names, ",")
}
