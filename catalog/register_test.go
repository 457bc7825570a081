package catalog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
	"github.com/parquet-go/parquet-go"
)

// eventRow is the row of the standard fixture parts.
type eventRow struct {
	UID   int64   `parquet:"uid"`
	TS    int64   `parquet:"ts"`
	Event string  `parquet:"event"`
	Price float64 `parquet:"price"`
	Flag  bool    `parquet:"flag"`
	Note  *string `parquet:"note,optional"`
	Tags  []int32 `parquet:"tags"`
}

var events = []string{"view", "view", "view", "buy", "cart", "view", "cart", "view"}

// writeEventParts writes n parts part-000.parquet... to dir; part i holds users
// [firstUser+i*users, firstUser+(i+1)*users), each with rowsPerUser rows.
func writeEventParts(t *testing.T, dir string, n, users, rowsPerUser int, firstUser int64) {
	t.Helper()
	for i := range n {
		var rows []eventRow
		for u := range users {
			uid := firstUser + int64(i*users+u)
			for r := range rowsPerUser {
				row := eventRow{
					UID:   uid,
					TS:    int64(1_600_000_000 + i*1000 + u*10 + r),
					Event: events[(u+r)%len(events)],
					Price: float64(i) + float64(r)/4,
					Flag:  r%2 == 0,
					Tags:  []int32{int32(r)},
				}
				if r%3 == 0 {
					note := fmt.Sprintf("note %d-%d-%d", i, u, r)
					row.Note = &note
				}
				rows = append(rows, row)
			}
		}
		writeRows(t, filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", i)), rows)
	}
}

func writeRows[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// remoteBucket hides a local bucket's paths, so registration goes through Open as for S3, and
// records which objects were opened.
type remoteBucket struct {
	*objstore.Local
	mu     sync.Mutex
	opened []string
}

func (b *remoteBucket) LocalPath(string) string { return "" }

func (b *remoteBucket) Open(ctx context.Context, name string) (objstore.ReaderAtCloser, int64, error) {
	b.mu.Lock()
	b.opened = append(b.opened, name)
	b.mu.Unlock()
	return b.Local.Open(ctx, name)
}

func registerArgs(dir string) RegisterArgs {
	return RegisterArgs{Name: "events", BasePath: dir, GroupColumn: "uid", TimestampColumn: "ts", ValidateUniques: true}
}

func seeded(seed uint64) RegisterConfig {
	cfg := DefaultRegisterConfig()
	cfg.Rand = rand.New(rand.NewPCG(seed, seed))
	return cfg
}

func TestRegisterSampledParts(t *testing.T) {
	ctx := context.Background()
	f := func(n, wantSampled int) {
		t.Helper()
		dir := t.TempDir()
		writeEventParts(t, dir, n, 2, 2, 0)
		b := &remoteBucket{Local: objstore.NewLocal(dir)}
		d, err := Register(ctx, b, registerArgs(dir), seeded(uint64(n)))
		if err != nil {
			t.Fatalf("Register(%d parts): %v", n, err)
		}
		if len(d.Parts) != n || !slices.IsSortedFunc(d.Parts, func(a, b Part) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatalf("Register(%d parts) listed %d parts", n, len(d.Parts))
		}
		for _, p := range d.Parts {
			st, err := os.Stat(filepath.Join(dir, p.Name))
			if err != nil || st.Size() != p.Size {
				t.Fatalf("part %s has size %d, file: %v %v", p.Name, p.Size, st, err)
			}
		}
		opened := slices.Clone(b.opened)
		slices.Sort(opened)
		if len(opened) != wantSampled || len(slices.Compact(slices.Clone(opened))) != wantSampled {
			t.Fatalf("Register(%d parts) inspected %v, want %d distinct parts", n, opened, wantSampled)
		}
		if opened[0] != d.Parts[0].Name || opened[len(opened)-1] != d.Parts[n-1].Name {
			t.Fatalf("Register(%d parts) inspected %v: not the first and the last", n, opened)
		}
	}
	f(1, 1)
	f(2, 2)
	f(20, 2)
	f(120, 10)
}

// TestRegisterDistinctSamples registers 120 parts with unique ids under many seeds: a sample drawn
// with replacement would inspect a part twice and report its ids as duplicates.
func TestRegisterDistinctSamples(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 120, 1, 1, 0)
	cfg := DefaultRegisterConfig()
	cfg.SampleRatio, cfg.SampleMax = 1, 60 // 60 of 120: a draw with replacement would repeat
	for seed := range uint64(5) {
		cfg.Rand = rand.New(rand.NewPCG(seed, 3))
		b := &remoteBucket{Local: objstore.NewLocal(dir)}
		if _, err := Register(context.Background(), b, registerArgs(dir), cfg); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(b.opened) != 60 || len(slices.Compact(slices.Sorted(slices.Values(b.opened)))) != 60 {
			t.Fatalf("seed %d: inspected %d parts, %v", seed, len(b.opened), b.opened)
		}
	}
}

func TestRegisterSchema(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 3, 4, 10, 100)
	args := registerArgs("file://" + dir)
	args.ValidationMode = ValidateFirstLast
	d, err := Register(context.Background(), objstore.NewLocal(dir), args, DefaultRegisterConfig())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "events" || d.BasePath != "file://"+dir || d.Pattern != "*.parquet" || d.GroupColumn != "uid" || d.TimestampColumn != "ts" {
		t.Fatalf("dataset header = %+v", d)
	}
	if d.RegisteredAt.Location() != time.UTC || d.RegisteredAt.Nanosecond()%1000 != 0 || time.Since(d.RegisteredAt) > time.Minute {
		t.Fatalf("RegisteredAt = %v, want now in UTC with microsecond precision", d.RegisteredAt)
	}
	s := d.Schema
	types := map[string]query.ColumnType{}
	for name, c := range s.Columns {
		types[name] = c.Type
	}
	wantTypes := map[string]query.ColumnType{"uid": "INT", "ts": "INT", "event": "STRING", "price": "FLOAT", "flag": "BOOL", "note": "STRING"}
	if fmt.Sprint(types) != fmt.Sprint(wantTypes) {
		t.Fatalf("column types = %v, want %v", types, wantTypes)
	}
	if len(s.Unsupported) != 1 || !strings.Contains(s.Unsupported["tags"], "INT32") {
		t.Fatalf("unsupported = %v, want tags", s.Unsupported)
	}
	// Parts 0 and 2 are sampled: uids 100-103 and 108-111, ts from 1.6e9 to 1.6e9+2000+39.
	if uid := s.Columns["uid"]; *uid.NumericMin != 100 || *uid.NumericMax != 111 {
		t.Errorf("uid range = [%v, %v]", *uid.NumericMin, *uid.NumericMax)
	}
	if s.MinTimestamp != 1_600_000_000 || s.MaxTimestamp != 1_600_002_039 {
		t.Errorf("timestamps = [%v, %v]", s.MinTimestamp, s.MaxTimestamp)
	}
	if p := s.Columns["price"]; *p.NumericMin != 0 || *p.NumericMax != 2+9.0/4 {
		t.Errorf("price range = [%v, %v]", *p.NumericMin, *p.NumericMax)
	}
	ev := s.Columns["event"]
	if !ev.Categorical || ev.CatUniqueRatio != 3.0/40 {
		t.Errorf("event = %+v, want categorical with ratio 3/40", ev)
	}
	// In every part, 40 rows with event index (u+r)%8 for u < 4, r < 10: view 25, cart 9, buy 6.
	if !approxShares(ev.CatTopValues, map[string]float64{"view": 25.0 / 40, "cart": 9.0 / 40, "buy": 6.0 / 40}) {
		t.Errorf("event top values = %v", ev.CatTopValues)
	}
	if s.Columns["note"].Categorical {
		t.Error("note (distinct per row) is categorical")
	}
	if qs := d.QuerySchema(); !qs.HasTimestampRange || qs.Columns["event"] != query.TypeString || qs.Unsupported["tags"] == "" {
		t.Errorf("QuerySchema = %+v", qs)
	}
}

type stringIDRow struct {
	UID   string  `parquet:"uid"`
	TS    float64 `parquet:"ts"`
	Event string  `parquet:"event"`
}

func TestRegisterStringIDs(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		var rows []stringIDRow
		for u := range 5 {
			rows = append(rows, stringIDRow{UID: fmt.Sprintf("user-%d-%d", i, u), TS: 0.5 + float64(i*10+u), Event: "x"})
		}
		writeRows(t, filepath.Join(dir, fmt.Sprintf("p%d.parquet", i)), rows)
	}
	d, err := Register(context.Background(), objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	if d.Schema.Columns["uid"].Type != query.TypeString || d.Schema.Columns["ts"].Type != query.TypeFloat {
		t.Fatalf("schema = %+v", d.Schema.Columns)
	}
	if d.Schema.MinTimestamp != 0.5 || d.Schema.MaxTimestamp != 24.5 {
		t.Fatalf("timestamps = [%v, %v]", d.Schema.MinTimestamp, d.Schema.MaxTimestamp)
	}
	// A part that repeats a user of another.
	writeRows(t, filepath.Join(dir, "p9.parquet"), []stringIDRow{{UID: "user-0-3", TS: 1}, {UID: "user-9-0", TS: 2}})
	_, err = Register(context.Background(), objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err == nil || !strings.Contains(err.Error(), `"user-0-3" in `+filepath.Join(dir, "p0.parquet")+", "+filepath.Join(dir, "p9.parquet")) {
		t.Fatalf("shared string id: %v", err)
	}
}

func TestRegisterNonUniqueIDs(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 2, 3, 2, 0)
	// A copy of the first part, sorting last.
	data, err := os.ReadFile(filepath.Join(dir, "part-000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-999.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Register(context.Background(), objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err == nil {
		t.Fatal("duplicate ids accepted")
	}
	for _, w := range []string{"not unique", "3 IDs", "0 in " + filepath.Join(dir, "part-000.parquet") + ", " + filepath.Join(dir, "part-999.parquet")} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	args := registerArgs(dir)
	args.ValidateUniques = false
	if _, err := Register(context.Background(), objstore.NewLocal(dir), args, seeded(1)); err != nil {
		t.Fatalf("without the uniqueness check: %v", err)
	}
	// A single part is never checked for uniqueness (there is nothing to compare it with).
	args = registerArgs(dir)
	args.Pattern = "part-000.parquet"
	if _, err := Register(context.Background(), objstore.NewLocal(dir), args, seeded(1)); err != nil {
		t.Fatalf("single part: %v", err)
	}
}

type extraColumnRow struct {
	UID   int64   `parquet:"uid"`
	TS    int64   `parquet:"ts"`
	Event string  `parquet:"event"`
	Price int64   `parquet:"price"`
	Flag  bool    `parquet:"flag"`
	Note  *string `parquet:"note,optional"`
	Tags  []int32 `parquet:"tags"`
	Extra string  `parquet:"extra"`
}

func TestRegisterSchemasDiffer(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 1, 2, 2, 0)
	writeRows(t, filepath.Join(dir, "part-001.parquet"), []extraColumnRow{{UID: 50, TS: 1, Event: "x", Price: 3, Extra: "e"}})
	_, err := Register(context.Background(), objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err == nil {
		t.Fatal("different schemas accepted")
	}
	p0, p1 := filepath.Join(dir, "part-000.parquet"), filepath.Join(dir, "part-001.parquet")
	for _, w := range []string{
		"schemas differ",
		"column price is FLOAT in " + p0 + " but INT in " + p1,
		"column extra is STRING in " + p1 + " but missing in " + p0,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

type nullableIDRow struct {
	UID *int64 `parquet:"uid,optional"`
	TS  int64  `parquet:"ts"`
}

func TestRegisterBadColumns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeEventParts(t, dir, 2, 2, 2, 0)
	f := func(mutate func(*RegisterArgs), want ...string) {
		t.Helper()
		args := registerArgs(dir)
		mutate(&args)
		_, err := Register(ctx, objstore.NewLocal(dir), args, seeded(1))
		if err == nil {
			t.Fatalf("Register(%+v) succeeded", args)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
	part0 := filepath.Join(dir, "part-000.parquet")
	f(func(a *RegisterArgs) { a.GroupColumn = "user" }, part0, `"user" not found`)
	f(func(a *RegisterArgs) { a.TimestampColumn = "time" }, part0, `"time" not found`)
	f(func(a *RegisterArgs) { a.TimestampColumn = "event" }, part0, `"event" is not numeric`)
	f(func(a *RegisterArgs) { a.GroupColumn = "price" }, part0, `group column "price" type must be either integer or string`)
	f(func(a *RegisterArgs) { a.GroupColumn = "tags" }, part0, `"tags"`)

	nulls := t.TempDir()
	one := int64(1)
	writeRows(t, filepath.Join(nulls, "a.parquet"), []nullableIDRow{{UID: &one, TS: 1}, {UID: nil, TS: 2}})
	_, err := Register(ctx, objstore.NewLocal(nulls), registerArgs(nulls), seeded(1))
	if err == nil || !strings.Contains(err.Error(), "null") || !strings.Contains(err.Error(), filepath.Join(nulls, "a.parquet")) {
		t.Fatalf("null group ids: %v", err)
	}
	// Not a Parquet file.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.parquet"), []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Register(ctx, &remoteBucket{Local: objstore.NewLocal(bad)}, registerArgs(bad), seeded(1))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "x.parquet")) {
		t.Fatalf("invalid file: %v", err)
	}
}

func TestRegisterDiscovery(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Register(ctx, objstore.NewLocal(missing), registerArgs(missing), seeded(1))
	if err == nil || !objstore.IsNotFound(err) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing dir: %v", err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Register(ctx, objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if want := "no files found at " + dir + " matching *.parquet"; err == nil || err.Error() != want {
		t.Fatalf("no parts: %v, want %q", err, want)
	}

	// Patterns: the default takes only *.parquet; others select what they match.
	writeEventParts(t, dir, 2, 1, 1, 0)
	for _, name := range []string{"part-000.parquet.tmp", "other.pq"} {
		data, _ := os.ReadFile(filepath.Join(dir, "part-000.parquet"))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := func(pattern string, want ...string) {
		t.Helper()
		args := registerArgs(dir)
		args.Pattern = pattern
		args.ValidateUniques = false
		d, err := Register(ctx, objstore.NewLocal(dir), args, seeded(1))
		if err != nil {
			t.Fatalf("pattern %q: %v", pattern, err)
		}
		if got := d.PartsInfo().Filenames; !slices.Equal(got, want) {
			t.Fatalf("pattern %q: parts %v, want %v", pattern, got, want)
		}
		if d.Pattern != args.Pattern && !(pattern == "" && d.Pattern == DefaultPattern) {
			t.Fatalf("pattern %q stored as %q", pattern, d.Pattern)
		}
	}
	f("", "part-000.parquet", "part-001.parquet")
	f("*.pq", "other.pq")
	f("part-00[1-9].parquet", "part-001.parquet")
	f("part-000*", "part-000.parquet", "part-000.parquet.tmp")
}

func TestRegisterArgsValidate(t *testing.T) {
	a := RegisterArgs{Name: "ok", BasePath: "/x", GroupColumn: "u", TimestampColumn: "t"}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Pattern != DefaultPattern || a.ValidationMode != ValidateSample {
		t.Fatalf("defaults not filled: %+v", a)
	}
	bad := RegisterArgs{Name: "-bad", BasePath: "hdfs://x/y", ValidationMode: "first_last"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad args accepted")
	}
	for _, w := range []string{"invalid dataset name", "storage protocol 'hdfs'", "groupIdColumn is required", "timestampColumn is required", "'first_last' is not a valid validation mode"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	same := RegisterArgs{Name: "x", BasePath: "/x", GroupColumn: "c", TimestampColumn: "c"}
	if err := same.Validate(); err == nil {
		t.Error("same group and timestamp column accepted")
	}
	for _, name := range []string{"a", "A1", "ds_1.v-2", "9x"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "_a", ".a", "a/b", "a b", "ä"} {
		if err := ValidateName(name); err == nil {
			t.Errorf("ValidateName(%q) accepted", name)
		}
	}
	cfg := DefaultRegisterConfig()
	cfg.SampleRatio, cfg.TopCount = 2, -1
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sample ratio") || !strings.Contains(err.Error(), "top count") {
		t.Errorf("RegisterConfig.Validate = %v", err)
	}
	if _, err := Register(context.Background(), objstore.NewLocal("/x"), RegisterArgs{}, cfg); err == nil {
		t.Error("Register with bad args succeeded")
	}
}

func TestRegisterCanceled(t *testing.T) {
	dir := t.TempDir()
	writeEventParts(t, dir, 3, 1, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Register(ctx, objstore.NewLocal(dir), registerArgs(dir), seeded(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Register with a canceled context = %v", err)
	}
}

func TestReRegister(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeEventParts(t, dir, 2, 2, 2, 0)
	store := openStore(t, t.TempDir())
	first, err := Register(ctx, objstore.NewLocal(dir), registerArgs(dir), seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := store.TouchLastUsed(ctx, "events", time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Microsecond)
	second, err := Register(ctx, objstore.NewLocal(dir), registerArgs(dir), seeded(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RegisteredAt.After(first.RegisteredAt) || !got.RegisteredAt.Equal(second.RegisteredAt) {
		t.Fatalf("after re-registering, RegisteredAt = %v (first %v, second %v)", got.RegisteredAt, first.RegisteredAt, second.RegisteredAt)
	}
	if _, ok, _ := store.LastUsed(ctx, "events"); ok {
		t.Fatal("re-registering kept the last-used time")
	}
	if list, _ := store.List(ctx); len(list) != 1 {
		t.Fatalf("%d datasets after re-registering, want 1", len(list))
	}
}
