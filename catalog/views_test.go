package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/frocket/frocket/objstore"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares v, encoded as indented JSON, with testdata/name.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestViewsGolden(t *testing.T) {
	d := testDataset("events", baseTime)
	checkGolden(t, "info.json", d.Info())
	checkGolden(t, "short_schema.json", d.ShortSchema())
	checkGolden(t, "full_schema.json", d.FullSchema())
	checkGolden(t, "parts.json", d.PartsInfo())
}

// TestRegisteredViewsGolden pins the views of a real registration, and checks that the dataset
// survives the store unchanged.
func TestRegisteredViewsGolden(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 2, 4, 10, 100)
	d, err := Register(context.Background(), objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	d.BasePath = "/data/events"
	d.RegisteredAt = time.Date(2024, 5, 6, 7, 8, 9, 123000, time.UTC)
	checkGolden(t, "registered_info.json", d.Info())
	checkGolden(t, "registered_short_schema.json", d.ShortSchema())
	checkGolden(t, "registered_full_schema.json", d.FullSchema())
	checkGolden(t, "registered_parts.json", d.PartsInfo())

	s := openStore(t, t.TempDir())
	if err := s.Put(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), d.Name)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(d)
	if !bytes.Equal(a, b) || !got.RegisteredAt.Equal(d.RegisteredAt) {
		t.Fatalf("dataset changed through the store:\n got %s\nwant %s", a, b)
	}
}

// TestViewsShape checks the keys of every view against the Funnel Rocket API, independently of
// the golden files.
func TestViewsShape(t *testing.T) {
	d := testDataset("events", baseTime.In(time.FixedZone("X", 3*3600)))
	d.Schema.Columns["flag"] = ColumnSchema{Name: "flag", Type: "BOOL", DtypeName: "bool"}

	info := decodeObject(t, d.Info())
	wantKeys(t, "info", info, "basepath", "totalParts", "id", "groupIdColumn", "timestampColumn")
	id := info["id"].(map[string]any)
	wantKeys(t, "info.id", id, "name", "registeredAt")
	if id["registeredAt"] != "2021-02-10T08:32:12.412792+00:00" {
		t.Errorf("registeredAt = %v", id["registeredAt"])
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`).MatchString(testDataset("x", baseTime.Truncate(time.Second)).Info().ID.RegisteredAt) {
		t.Error("registeredAt of a whole second lost its microseconds")
	}
	if info["totalParts"] != 2.0 {
		t.Errorf("totalParts = %v", info["totalParts"])
	}

	short := decodeObject(t, d.ShortSchema())
	wantKeys(t, "short", short, "columns", "minTimestamp", "maxTimestamp", "sourceCategoricals", "potentialCategoricals")
	if cols := short["columns"].(map[string]any); cols["event"] != "STRING" || cols["flag"] != "BOOL" || cols["uid"] != "INT" {
		t.Errorf("short columns = %v", cols)
	}
	if pc := short["potentialCategoricals"].([]any); len(pc) != 1 || pc[0] != "event" {
		t.Errorf("potentialCategoricals = %v", pc)
	}
	if sc := short["sourceCategoricals"].([]any); len(sc) != 0 {
		t.Errorf("sourceCategoricals = %v", sc)
	}

	full := decodeObject(t, d.FullSchema())
	wantKeys(t, "full", full, "groupIdColumn", "timestampColumn", "columns", "unsupportedColumns")
	for name, c := range full["columns"].(map[string]any) {
		col := c.(map[string]any)
		wantKeys(t, "full.columns."+name, col, "name", "dtypeName", "coltype", "colattrs")
		attrs := col["colattrs"].(map[string]any)
		switch name {
		case "uid", "ts":
			wantKeys(t, "colattrs of "+name, attrs, "numericMin", "numericMax", "categorical")
		case "event":
			wantKeys(t, "colattrs of "+name, attrs, "categorical", "catTopValues", "catUniqueRatio")
		case "flag":
			wantKeys(t, "colattrs of "+name, attrs, "categorical")
		}
	}
	d.Schema.Unsupported = nil
	if _, ok := decodeObject(t, d.FullSchema())["unsupportedColumns"]; ok {
		t.Error("empty unsupportedColumns present")
	}

	parts := decodeObject(t, d.PartsInfo())
	wantKeys(t, "parts", parts, "namingMethod", "totalParts", "totalSize", "filenames")
	if parts["namingMethod"] != "LIST" || parts["totalSize"] != 30.0 {
		t.Errorf("parts = %v", parts)
	}

	// No rows sampled: no timestamp range.
	ts := d.Schema.Columns["ts"]
	ts.NumericMin, ts.NumericMax = nil, nil
	d.Schema.Columns["ts"] = ts
	short = decodeObject(t, d.ShortSchema())
	if _, ok := short["minTimestamp"]; ok {
		t.Error("minTimestamp present without a timestamp range")
	}
}

func decodeObject(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s has keys %v, want %v", what, got, keys)
	}
}
