package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// testRow is one row read back from a part, with nulls made explicit.
type testRow struct {
	part       int
	user       string // decimal int64 or the string id
	userNum    int64  // the int64 id, or the number in the string id
	tsMillis   int64  // int64 ms, or float seconds * 1000 rounded
	tsSeconds  float64
	eventType  string
	url        string
	browser    string
	country    string
	device     string
	sku        *string
	price      *float64
	quantity   *int64
	campaignID *int64
	loggedIn   bool
}

var wantColumns = []string{"userId", "timestamp", "eventType", "url", "browser", "country", "device",
	"sku", "price", "quantity", "campaignId", "loggedIn"}

// smallConfig is a modest dataset that still shows every hard case.
func smallConfig(t *testing.T) GenConfig {
	cfg := DefaultGenConfig()
	cfg.Rows = 200_000
	cfg.Users = 20_000
	cfg.Files = 4
	cfg.Seed = 42
	cfg.RowGroupRows = 16 * 1024
	cfg.OutDir = t.TempDir()
	return cfg
}

func generate(t *testing.T, cfg GenConfig) *GenStats {
	t.Helper()
	stats, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return stats
}

func openPart(t *testing.T, path string) *parquet.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return f
}

// readPart reads every row of a part, checking the column names and order.
func readPart(t *testing.T, part int, path string) []testRow {
	t.Helper()
	f := openPart(t, path)
	var names []string
	for _, c := range f.Schema().Fields() {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, wantColumns) {
		t.Fatalf("%s: columns %v, want %v", path, names, wantColumns)
	}
	opt := func(v parquet.Value) bool { return !v.IsNull() }
	var out []testRow
	r := parquet.NewReader(f)
	defer r.Close()
	buf := make([]parquet.Row, 1024)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			tr := testRow{part: part}
			for _, v := range row {
				switch c := v.Column(); c {
				case 0:
					if v.Kind() == parquet.ByteArray {
						tr.user = string(v.ByteArray())
						tr.userNum = parseStringID(t, tr.user)
					} else {
						tr.userNum = v.Int64()
						tr.user = StringUserID(tr.userNum)
					}
				case 1:
					if v.Kind() == parquet.Double {
						tr.tsSeconds = v.Double()
						tr.tsMillis = int64(tr.tsSeconds*1000 + 0.5)
					} else {
						tr.tsMillis = v.Int64()
					}
				case 2:
					tr.eventType = string(v.ByteArray())
				case 3:
					tr.url = string(v.ByteArray())
				case 4:
					tr.browser = string(v.ByteArray())
				case 5:
					tr.country = string(v.ByteArray())
				case 6:
					tr.device = string(v.ByteArray())
				case 7:
					if opt(v) {
						s := string(v.ByteArray())
						tr.sku = &s
					}
				case 8:
					if opt(v) {
						x := v.Double()
						tr.price = &x
					}
				case 9:
					if opt(v) {
						x := v.Int64()
						tr.quantity = &x
					}
				case 10:
					if opt(v) {
						x := v.Int64()
						tr.campaignID = &x
					}
				case 11:
					tr.loggedIn = v.Boolean()
				}
			}
			out = append(out, tr)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
	}
	return out
}

func parseStringID(t *testing.T, s string) int64 {
	t.Helper()
	if len(s) != 1+userIDWidth || s[0] != 'u' {
		t.Fatalf("bad string user id %q", s)
	}
	var n int64
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			t.Fatalf("bad string user id %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

func readAll(t *testing.T, stats *GenStats) []testRow {
	t.Helper()
	var rows []testRow
	for p, path := range stats.Files {
		rows = append(rows, readPart(t, p, path)...)
	}
	return rows
}

func readFiles(t *testing.T, stats *GenStats) [][]byte {
	t.Helper()
	var out [][]byte
	for _, path := range stats.Files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 50_000, 0
	a := readFiles(t, generate(t, cfg))

	// Another directory, a different core count: the same bytes.
	cfg.OutDir = t.TempDir()
	prev := runtime.GOMAXPROCS(1)
	b := readFiles(t, generate(t, cfg))
	runtime.GOMAXPROCS(prev)
	if len(a) != len(b) {
		t.Fatalf("got %d and %d files", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("part %d differs between runs (%d and %d bytes)", i, len(a[i]), len(b[i]))
		}
	}

	cfg.OutDir = t.TempDir()
	cfg.Seed++
	c := readFiles(t, generate(t, cfg))
	if bytes.Equal(a[0], c[0]) {
		t.Error("a different seed produced the same part 0")
	}
}

func TestGenerateCountsAndPartitions(t *testing.T) {
	cfg := smallConfig(t)
	stats := generate(t, cfg)
	if stats.Rows != cfg.Rows || stats.Users != cfg.Users {
		t.Fatalf("stats say %d rows %d users, want %d %d", stats.Rows, stats.Users, cfg.Rows, cfg.Users)
	}
	if len(stats.Files) != cfg.Files {
		t.Fatalf("got %d files, want %d", len(stats.Files), cfg.Files)
	}
	var size int64
	for p, path := range stats.Files {
		if want := filepath.Join(cfg.OutDir, fmt.Sprintf("part-%05d.parquet", p)); path != want {
			t.Errorf("file %d is %s, want %s", p, path, want)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		size += info.Size()
		if perm := info.Mode().Perm(); perm != 0o644 {
			t.Errorf("%s has mode %v, want 0644", path, perm)
		}
	}
	if size != stats.Bytes {
		t.Errorf("stats say %d bytes, files hold %d", stats.Bytes, size)
	}
	entries, _ := os.ReadDir(cfg.OutDir)
	if len(entries) != cfg.Files {
		t.Errorf("output dir holds %d entries, want only the %d parts (no temp files)", len(entries), cfg.Files)
	}

	rows := readAll(t, stats)
	if int64(len(rows)) != cfg.Rows {
		t.Fatalf("read %d rows, want %d", len(rows), cfg.Rows)
	}
	partOf := map[int64]int{}
	perPart := make([]int, cfg.Files)
	for _, r := range rows {
		if p, ok := partOf[r.userNum]; ok && p != r.part {
			t.Fatalf("user %d in parts %d and %d", r.userNum, p, r.part)
		}
		partOf[r.userNum] = r.part
		if want := PartOfInt64UserID(r.userNum, cfg.Files); r.part != want {
			t.Fatalf("user %d in part %d, hash says %d", r.userNum, r.part, want)
		}
		perPart[r.part]++
	}
	if int64(len(partOf)) != cfg.Users {
		t.Errorf("read %d distinct users, want %d", len(partOf), cfg.Users)
	}
	for p, n := range perPart {
		if n < len(rows)/cfg.Files/2 {
			t.Errorf("part %d holds only %d of %d rows", p, n, len(rows))
		}
	}
	for u := range cfg.Users {
		if _, ok := partOf[u]; !ok {
			t.Fatalf("user %d has no rows", u)
		}
	}
}

func TestGenerateSortedMetadataAndLayout(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 60_000, 0
	stats := generate(t, cfg)
	for p, path := range stats.Files {
		f := openPart(t, path)
		if v, ok := f.Lookup(SortedMetadataKey); !ok || v != "userId,timestamp" {
			t.Errorf("part %d: %s = %q, %v", p, SortedMetadataKey, v, ok)
		}
		md := f.Metadata()
		for i, rg := range md.RowGroups {
			if rg.NumRows > int64(cfg.RowGroupRows) {
				t.Errorf("part %d row group %d has %d rows, above %d", p, i, rg.NumRows, cfg.RowGroupRows)
			}
			if len(rg.SortingColumns) != 2 || rg.SortingColumns[0].ColumnIdx != 0 || rg.SortingColumns[1].ColumnIdx != 1 ||
				rg.SortingColumns[0].Descending || rg.SortingColumns[1].Descending {
				t.Errorf("part %d row group %d sorting columns %+v", p, i, rg.SortingColumns)
			}
			for _, c := range rg.Columns {
				name := c.MetaData.PathInSchema[0]
				if want := map[bool]string{false: "SNAPPY", true: "UNCOMPRESSED"}[name == "timestamp"]; c.MetaData.Codec.String() != want {
					t.Errorf("%s: codec %s, want %s", name, c.MetaData.Codec, want)
				}
				var encs []string
				for _, e := range c.MetaData.Encoding {
					encs = append(encs, e.String())
				}
				switch name {
				case "userId", "timestamp", "quantity", "campaignId":
					if !slices.Contains(encs, "DELTA_BINARY_PACKED") {
						t.Errorf("%s: encodings %v, want delta", name, encs)
					}
				case "eventType", "url", "browser", "country", "device", "sku":
					if !slices.Contains(encs, "RLE_DICTIONARY") {
						t.Errorf("%s: encodings %v, want dictionary", name, encs)
					}
				}
			}
		}
		if len(md.RowGroups) < 2 && md.NumRows > int64(cfg.RowGroupRows) {
			t.Errorf("part %d: %d rows in %d row groups", p, md.NumRows, len(md.RowGroups))
		}
		rows := readPart(t, p, path)
		for i := 1; i < len(rows); i++ {
			a, b := rows[i-1], rows[i]
			if a.userNum > b.userNum || a.userNum == b.userNum && a.tsMillis > b.tsMillis {
				t.Fatalf("part %d rows %d, %d out of (user, ts) order: (%d, %d) then (%d, %d)",
					p, i-1, i, a.userNum, a.tsMillis, b.userNum, b.tsMillis)
			}
		}
	}
}

func TestGenerateUnsorted(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 40_000, 0
	sorted := readAll(t, generate(t, cfg))
	cfg.OutDir = t.TempDir()
	cfg.Unsorted = true
	stats := generate(t, cfg)
	unsorted := readAll(t, stats)
	for p, path := range stats.Files {
		f := openPart(t, path)
		if _, ok := f.Lookup(SortedMetadataKey); ok {
			t.Errorf("part %d of an unsorted dataset has %s", p, SortedMetadataKey)
		}
		if sc := f.Metadata().RowGroups[0].SortingColumns; len(sc) != 0 {
			t.Errorf("part %d of an unsorted dataset declares sorting columns %+v", p, sc)
		}
	}
	if len(sorted) != len(unsorted) {
		t.Fatalf("%d sorted rows, %d unsorted", len(sorted), len(unsorted))
	}
	inversions := 0
	for i := 1; i < len(unsorted); i++ {
		a, b := unsorted[i-1], unsorted[i]
		if a.part == b.part && (a.userNum > b.userNum || a.userNum == b.userNum && a.tsMillis > b.tsMillis) {
			inversions++
		}
	}
	if inversions < len(unsorted)/4 {
		t.Errorf("only %d of %d adjacent pairs out of order: not shuffled", inversions, len(unsorted))
	}
	// The same rows, in another order.
	key := func(r testRow) string {
		return strings.Join([]string{r.user, strconv.FormatInt(r.tsMillis, 10), r.eventType, r.url, r.country}, "|")
	}
	var ka, kb []string
	for i := range sorted {
		ka = append(ka, key(sorted[i]))
		kb = append(kb, key(unsorted[i]))
	}
	slices.Sort(ka)
	slices.Sort(kb)
	if !slices.Equal(ka, kb) {
		t.Error("the unsorted dataset does not hold the same rows as the sorted one")
	}
}

func TestGenerateNulls(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 50_000, 0
	rows := readAll(t, generate(t, cfg))
	seen := map[string]int{}
	for i, r := range rows {
		seen[r.eventType]++
		product := r.eventType == "addToCart" || r.eventType == "purchase"
		if (r.sku != nil) != product || (r.price != nil) != product || (r.quantity != nil) != product {
			t.Fatalf("row %d (%s): sku %v price %v quantity %v", i, r.eventType, r.sku != nil, r.price != nil, r.quantity != nil)
		}
		if product && (!strings.HasPrefix(*r.sku, "SKU-") || *r.price <= 0 || *r.quantity < 1) {
			t.Fatalf("row %d (%s): sku %q price %v quantity %d", i, r.eventType, *r.sku, *r.price, *r.quantity)
		}
		if (r.campaignID != nil) != (r.eventType == "campaignClick") {
			t.Fatalf("row %d (%s): campaignId set %v", i, r.eventType, r.campaignID != nil)
		}
		if r.campaignID != nil && *r.campaignID < firstCampaign {
			t.Fatalf("row %d: campaign id %d", i, *r.campaignID)
		}
		if r.url == "" || r.browser == "" || r.country == "" || r.device == "" {
			t.Fatalf("row %d has an empty required string: %+v", i, r)
		}
		if r.tsMillis < DefaultStartMillis || r.tsMillis >= DefaultStartMillis+spanMillis {
			t.Fatalf("row %d: timestamp %d outside the 30 days", i, r.tsMillis)
		}
	}
	for _, et := range []string{"pageview", "search", "addToCart", "purchase", "campaignClick", "signup", "login", "goal"} {
		if seen[et] == 0 {
			t.Errorf("no %s rows", et)
		}
	}
	if len(seen) != 8 {
		t.Errorf("event types %v", seen)
	}
	if pv := seen["pageview"]; pv < len(rows)/3 || pv < seen["search"] || seen["search"] < seen["addToCart"] || seen["addToCart"] < seen["purchase"] {
		t.Errorf("implausible event type frequencies: %v", seen)
	}
}

// byUser groups rows per user, each user's rows in timestamp order.
func byUser(rows []testRow) map[int64][]testRow {
	m := map[int64][]testRow{}
	for _, r := range rows {
		m[r.userNum] = append(m[r.userNum], r)
	}
	for _, rs := range m {
		slices.SortStableFunc(rs, func(a, b testRow) int { return int(a.tsMillis - b.tsMillis) })
	}
	return m
}

func TestGenerateHardCasesAndFunnel(t *testing.T) {
	cfg := smallConfig(t)
	rows := readAll(t, generate(t, cfg))
	users := byUser(rows)

	single, maxRows, sameMilli := 0, 0, 0
	var stepUsers [3]int
	for _, rs := range users {
		if len(rs) == 1 {
			single++
		}
		maxRows = max(maxRows, len(rs))
		for i := 1; i < len(rs); i++ {
			if rs[i].tsMillis == rs[i-1].tsMillis {
				sameMilli++
			}
		}
		// pageview -> addToCart -> purchase, each step strictly later.
		step, last := 0, int64(-1)
		want := []string{"pageview", "addToCart", "purchase"}
		for _, r := range rs {
			if step < 3 && r.eventType == want[step] && r.tsMillis > last {
				stepUsers[step]++
				step++
				last = r.tsMillis
			}
		}
	}
	n := len(users)
	t.Logf("users %d, single-row %d, max rows %d, same-millisecond pairs %d, funnel %v", n, single, maxRows, sameMilli, stepUsers)
	if f := float64(single) / float64(n); f < 0.03 || f > 0.08 {
		t.Errorf("single-row users are %.3f of users, want about 0.05", f)
	}
	if maxRows < 1000 {
		t.Errorf("the busiest user has %d rows, want at least 1000", maxRows)
	}
	if sameMilli < len(rows)/200 {
		t.Errorf("only %d events share a millisecond with the user's previous event", sameMilli)
	}
	if f := float64(stepUsers[0]) / float64(n); f < 0.85 {
		t.Errorf("only %.2f of users viewed a page", f)
	}
	cart := float64(stepUsers[1]) / float64(stepUsers[0])
	buy := float64(stepUsers[2]) / float64(stepUsers[0])
	if cart < 0.18 || cart > 0.33 || buy < 0.05 || buy > 0.12 {
		t.Errorf("funnel pageview -> addToCart -> purchase is 100%% / %.1f%% / %.1f%%, want about 25%% / 8%%", 100*cart, 100*buy)
	}
}

func TestGenerateStringIDsAndFloatTimestamps(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 30_000, 3_000
	want := readAll(t, generate(t, cfg))
	cfg.StringUserIDs, cfg.FloatTimestamps = true, true
	cfg.OutDir = t.TempDir()
	stats := generate(t, cfg)
	f := openPart(t, stats.Files[0])
	if k := f.Schema().Fields()[0].Type().Kind(); k != parquet.ByteArray {
		t.Errorf("userId kind %v, want a byte array", k)
	}
	if k := f.Schema().Fields()[1].Type().Kind(); k != parquet.Double {
		t.Errorf("timestamp kind %v, want double", k)
	}
	got := readAll(t, stats)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	fraction := 0
	for p, path := range stats.Files {
		rows := readPart(t, p, path)
		for i, r := range rows {
			if PartOfStringUserID(r.user, cfg.Files) != p {
				t.Fatalf("user %s in part %d, hash says %d", r.user, p, PartOfStringUserID(r.user, cfg.Files))
			}
			if i > 0 && (rows[i-1].user > r.user || rows[i-1].user == r.user && rows[i-1].tsSeconds > r.tsSeconds) {
				t.Fatalf("part %d rows %d, %d out of (user, ts) order", p, i-1, i)
			}
			if r.tsSeconds != float64(int64(r.tsSeconds)) {
				fraction++
			}
		}
	}
	if fraction < len(got)/2 {
		t.Errorf("only %d of %d float timestamps have a fraction", fraction, len(got))
	}
	// Same users and events as the int64 layout, only spelled differently.
	key := func(r testRow) string {
		return r.user + "|" + strconv.FormatInt(r.tsMillis, 10) + "|" + r.eventType + "|" + r.url
	}
	var ka, kb []string
	for i := range want {
		ka = append(ka, key(want[i]))
		kb = append(kb, key(got[i]))
	}
	slices.Sort(ka)
	slices.Sort(kb)
	if !slices.Equal(ka, kb) {
		t.Error("string ids and float timestamps changed the events")
	}
}

func TestGenerateTinyAndEmptyParts(t *testing.T) {
	f := func(rows, users int64, files int) {
		t.Helper()
		cfg := smallConfig(t)
		cfg.Rows, cfg.Users, cfg.Files = rows, users, files
		stats := generate(t, cfg)
		got := readAll(t, stats)
		if int64(len(got)) != rows {
			t.Errorf("rows=%d users=%d files=%d: read %d rows", rows, users, files, len(got))
		}
		if n := int64(len(byUser(got))); n != users {
			t.Errorf("rows=%d users=%d files=%d: read %d users", rows, users, files, n)
		}
	}
	f(1, 1, 1)
	f(5, 5, 1)
	f(1000, 1, 2) // one user, one empty part
	f(10, 3, 7)   // more parts than users
	f(7, 6, 3)
}

func TestGenerateProgressAndCancel(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Rows, cfg.Users = 300_000, 0
	var calls, last int64
	cfg.Progress = func(done int64) {
		calls++
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last = done
	}
	generate(t, cfg)
	if calls < 2 || last != cfg.Rows {
		t.Errorf("progress called %d times, last %d, want several and %d", calls, last, cfg.Rows)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg.OutDir = t.TempDir()
	if _, err := Generate(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled generate returned %v", err)
	}
	entries, _ := os.ReadDir(cfg.OutDir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultGenConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	f := func(mutate func(*GenConfig), wants ...string) {
		t.Helper()
		cfg := DefaultGenConfig()
		mutate(&cfg)
		err := cfg.Validate()
		if err == nil {
			t.Fatalf("no error, want %q", wants)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		if _, gerr := Generate(context.Background(), cfg); gerr == nil {
			t.Errorf("Generate accepted an invalid config")
		}
	}
	f(func(c *GenConfig) { c.Rows = 0 }, "rows must be at least 1")
	f(func(c *GenConfig) { c.Users = -1 }, "users must be 0")
	f(func(c *GenConfig) { c.Users = c.Rows + 1 }, "must not exceed rows")
	f(func(c *GenConfig) { c.Files = 0 }, "files must be in")
	f(func(c *GenConfig) { c.Files = 100001 }, "files must be in")
	f(func(c *GenConfig) { c.OutDir = "" }, "output dir")
	f(func(c *GenConfig) { c.RowGroupRows = -5 }, "row group rows")
	f(func(c *GenConfig) { c.StartMillis = -1 }, "start millis")
	// Every problem at once.
	f(func(c *GenConfig) { c.Rows, c.Files, c.OutDir, c.RowGroupRows = -1, -1, "", -1 },
		"rows must be", "files must be", "output dir", "row group rows")
}

func TestStringUserIDAndPartitionHash(t *testing.T) {
	f := func(n int64, want string) {
		t.Helper()
		if got := StringUserID(n); got != want {
			t.Errorf("StringUserID(%d) = %q, want %q", n, got, want)
		}
	}
	f(0, "u0000000000")
	f(42, "u0000000042")
	f(9999999999, "u9999999999")
	// The hashes are part of the on-disk contract: pin a few values.
	pinnedIntParts := []int{0, 89, 60}
	pinnedStringParts := []int{4, 15, 31}
	if got := []int{PartOfInt64UserID(0, 100), PartOfInt64UserID(1, 100), PartOfInt64UserID(123456, 100)}; !slices.Equal(got, pinnedIntParts) {
		t.Errorf("int parts %v, want %v", got, pinnedIntParts)
	}
	if got := []int{PartOfStringUserID("u0000000000", 100), PartOfStringUserID("u0000000001", 100), PartOfStringUserID("abc", 100)}; !slices.Equal(got, pinnedStringParts) {
		t.Errorf("string parts %v, want %v", got, pinnedStringParts)
	}
	counts := make([]int, 10)
	for u := range int64(100_000) {
		counts[PartOfInt64UserID(u, 10)]++
	}
	for p, c := range counts {
		if c < 9_500 || c > 10_500 {
			t.Errorf("part %d gets %d of 100000 sequential ids", p, c)
		}
	}
}
