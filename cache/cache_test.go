package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	reg1 = time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	reg2 = reg1.Add(time.Hour)
)

func key(part string) Key { return Key{Dataset: "ds", RegisteredAt: reg1, Part: part} }

// partData is the deterministic content of a part of n bytes.
func partData(k Key, n int) []byte {
	seed := []byte(k.String())
	data := make([]byte, n)
	for i := range data {
		data[i] = seed[i%len(seed)] + byte(i/len(seed))
	}
	return data
}

// fillOf returns a fill that writes data and counts its calls.
func fillOf(data []byte, calls *atomic.Int32) func(context.Context, io.Writer) (int64, error) {
	return func(ctx context.Context, w io.Writer) (int64, error) {
		if calls != nil {
			calls.Add(1)
		}
		n, err := w.Write(data)
		return int64(n), err
	}
}

func openCache(t *testing.T, dir string, maxBytes int64, useMmap bool) *Cache {
	t.Helper()
	c, err := Open(Config{Dir: dir, MaxBytes: maxBytes, UseMmap: useMmap})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAll reads the whole part through ReadAt and checks Size and, for a mapped reader, Bytes.
func readAll(t *testing.T, r Reader) []byte {
	t.Helper()
	got := make([]byte, r.Size())
	n, err := r.ReadAt(got, 0)
	if n != len(got) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt(all) = %d, %v; size %d", n, err, r.Size())
	}
	if b := r.Bytes(); b != nil && !bytes.Equal(b, got) {
		t.Fatalf("Bytes() differs from ReadAt")
	}
	return got
}

// fetch fetches k (size n on a miss), checks its content and closes the reader; it returns hit.
func fetch(t *testing.T, c *Cache, k Key, n int, calls *atomic.Int32) bool {
	t.Helper()
	want := partData(k, n)
	r, hit, err := c.Fetch(context.Background(), k, fillOf(want, calls))
	if err != nil {
		t.Fatalf("Fetch(%s): %v", k, err)
	}
	if got := readAll(t, r); !bytes.Equal(got, want) {
		t.Fatalf("Fetch(%s) content differs: %d bytes, want %d", k, len(got), len(want))
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close(%s): %v", k, err)
	}
	return hit
}

// dirFiles lists the cache directory without its lock file.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if de.Name() != lockName {
			names = append(names, de.Name())
		}
	}
	return names
}

func checkCandidates(t *testing.T, c *Cache, regAt time.Time, want ...string) {
	t.Helper()
	if got := c.Candidates("ds", regAt); !slices.Equal(got, want) {
		t.Fatalf("Candidates(ds, %v) = %q, want %q", regAt, got, want)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	d := DefaultConfig()
	if d.MaxBytes != 256<<20 || !d.UseMmap || d.Dir != filepath.Join(os.TempDir(), "frocket-cache") {
		t.Fatalf("DefaultConfig() = %+v", d)
	}
	err := Config{MaxBytes: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "dir is required") || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("Validate of an empty dir and a negative budget = %v, want both reported", err)
	}
	if _, err := Open(Config{MaxBytes: -1}); err == nil {
		t.Fatal("Open of an invalid config succeeded")
	}
}

func TestHitOnSecondFetch(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	var calls atomic.Int32
	if hit := fetch(t, c, key("a"), 1000, &calls); hit {
		t.Fatal("first Fetch was a hit")
	}
	if hit := fetch(t, c, key("a"), 1000, &calls); !hit {
		t.Fatal("second Fetch was a miss")
	}
	if calls.Load() != 1 {
		t.Fatalf("fill called %d times, want 1", calls.Load())
	}
	s := c.Stats()
	want := Stats{Entries: 1, Bytes: 1000, Hits: 1, Misses: 1, Downloads: 1, BytesDownloaded: 1000}
	if s != want {
		t.Fatalf("Stats = %+v, want %+v", s, want)
	}
}

func TestBadArguments(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	ctx := context.Background()
	if _, _, err := c.Fetch(ctx, key("a"), nil); err == nil {
		t.Error("Fetch with a nil fill succeeded")
	}
	if _, _, err := c.Fetch(ctx, Key{RegisteredAt: reg1}, fillOf(nil, nil)); err == nil {
		t.Error("Fetch of a key without dataset and part succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.Fetch(cctx, key("a"), fillOf([]byte("x"), nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with a cancelled context = %v", err)
	}
	// A fill that reports a size other than what it wrote is refused.
	lying := func(ctx context.Context, w io.Writer) (int64, error) {
		w.Write([]byte("abc"))
		return 10, nil
	}
	if _, _, err := c.Fetch(ctx, key("a"), lying); err == nil {
		t.Error("Fetch with a fill that misreports its size succeeded")
	}
	if got := dirFiles(t, c.cfg.Dir); len(got) != 0 {
		t.Errorf("files left after failed fetches: %q", got)
	}
}

func TestKeyIncludesRegisteredAt(t *testing.T) {
	c := openCache(t, t.TempDir(), 250, true)
	var calls atomic.Int32
	fetch(t, c, key("a"), 100, &calls)
	// The same instant in another location is the same key.
	same := Key{Dataset: "ds", RegisteredAt: reg1.In(time.FixedZone("x", 3600)), Part: "a"}
	if hit := fetch(t, c, same, 100, &calls); !hit {
		t.Fatal("the same registration instant in another zone missed")
	}
	reReg := Key{Dataset: "ds", RegisteredAt: reg2, Part: "a"}
	if hit := fetch(t, c, reReg, 100, &calls); hit {
		t.Fatal("Fetch after re-registration was a hit")
	}
	if calls.Load() != 2 {
		t.Fatalf("fill called %d times, want 2", calls.Load())
	}
	// The old registration's entry stays until LRU evicts it.
	checkCandidates(t, c, reg1, "a")
	checkCandidates(t, c, reg2, "a")
	fetch(t, c, Key{Dataset: "ds", RegisteredAt: reg2, Part: "b"}, 100, &calls)
	checkCandidates(t, c, reg1)
	checkCandidates(t, c, reg2, "b", "a")
	if s := c.Stats(); s.Evictions != 1 || s.Entries != 2 || s.Bytes != 200 {
		t.Fatalf("Stats = %+v, want 1 eviction, 2 entries of 200 bytes", s)
	}
}

func TestLRUEvictionByRecencyOfUse(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 300, true)
	for _, p := range []string{"a", "b", "c"} {
		fetch(t, c, key(p), 100, nil)
	}
	if !fetch(t, c, key("a"), 100, nil) { // a is now more recent than b and c
		t.Fatal("a missed")
	}
	fetch(t, c, key("d"), 100, nil) // evicts b, the least recently used, not a (inserted first)
	checkCandidates(t, c, reg1, "d", "a", "c")
	fetch(t, c, key("e"), 150, nil) // over by 150: evicts c, then a
	checkCandidates(t, c, reg1, "e", "d")
	if s := c.Stats(); s.Evictions != 3 || s.Bytes != 250 || s.Entries != 2 {
		t.Fatalf("Stats = %+v, want 3 evictions, 2 entries of 250 bytes", s)
	}
	// Evicted entries' files are gone and evicted parts download again.
	if got := len(dirFiles(t, dir)); got != 4 {
		t.Fatalf("%d files in the cache dir, want 4 (2 parts, 2 sidecars): %q", got, dirFiles(t, dir))
	}
	if fetch(t, c, key("b"), 100, nil) {
		t.Fatal("evicted b was a hit")
	}
}

func TestMaxBytesZeroKeepsLast(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 0, true)
	fetch(t, c, key("a"), 100, nil)
	checkCandidates(t, c, reg1, "a")
	fetch(t, c, key("b"), 100, nil)
	checkCandidates(t, c, reg1, "b")
	if !fetch(t, c, key("b"), 100, nil) {
		t.Fatal("the last downloaded part missed")
	}
	// A hit on b does not make it evictable.
	checkCandidates(t, c, reg1, "b")
	if fetch(t, c, key("a"), 100, nil) {
		t.Fatal("a was a hit with a zero budget after b")
	}
	checkCandidates(t, c, reg1, "a")
	if got := len(dirFiles(t, dir)); got != 2 {
		t.Fatalf("%d files in the cache dir, want 2", got)
	}
}

func TestPinnedEntriesSurviveUntilClose(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 0, true)
	want := partData(key("a"), 4096)
	r, _, err := c.Fetch(context.Background(), key("a"), fillOf(want, nil))
	if err != nil {
		t.Fatal(err)
	}
	pathA := c.partPath(key("a").id().fileName())
	fetch(t, c, key("b"), 100, nil) // over budget, but a is pinned
	fetch(t, c, key("c"), 100, nil) // b goes, a stays
	checkCandidates(t, c, reg1, "c", "a")
	if _, err := os.Stat(pathA); err != nil {
		t.Fatalf("pinned part removed: %v", err)
	}
	if s := c.Stats(); s.Pinned != 1 || s.Entries != 2 {
		t.Fatalf("Stats = %+v, want 2 entries, 1 pinned", s)
	}
	// A second reader of a pinned entry, closed first, does not unpin it.
	r2, hit, err := c.Fetch(context.Background(), key("a"), fillOf(want, nil))
	if err != nil || !hit {
		t.Fatalf("Fetch of pinned a = %v, hit %v", err, hit)
	}
	r2.Close()
	fetch(t, c, key("d"), 100, nil)
	checkCandidates(t, c, reg1, "d", "a")
	if got := readAll(t, r); !bytes.Equal(got, want) {
		t.Fatal("pinned part content changed")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	checkCandidates(t, c, reg1, "d")
	if _, err := os.Stat(pathA); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("part still on disk after its last Close: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), 0); err == nil {
		t.Fatal("ReadAt after Close succeeded")
	}
	if r.Bytes() != nil {
		t.Fatal("Bytes after Close is not nil")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if s := c.Stats(); s.Pinned != 0 || s.Entries != 1 || s.Bytes != 100 {
		t.Fatalf("Stats = %+v, want 1 unpinned entry of 100 bytes", s)
	}
}

func TestFailedOrCancelledFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	k := key("a")
	want := partData(k, 1000)
	half := func(ctx context.Context, w io.Writer) (int64, error) {
		n, _ := w.Write(want[:500])
		return int64(n), errors.New("connection reset")
	}
	if _, _, err := c.Fetch(context.Background(), k, half); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Fetch with a failing fill = %v", err)
	}
	if got := dirFiles(t, dir); len(got) != 0 {
		t.Fatalf("files left after a failed fill: %q", got)
	}

	// Cancelled halfway: the writer refuses further writes even if fill ignores ctx.
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := func(ctx context.Context, w io.Writer) (int64, error) {
		n, err := w.Write(want[:500])
		if err != nil {
			return int64(n), err
		}
		cancel()
		m, err := w.Write(want[500:])
		return int64(n + m), err
	}
	if _, _, err := c.Fetch(ctx, k, cancelling); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch cancelled halfway = %v, want context.Canceled", err)
	}
	// A fill that ignores the error of its writes and reports success is still refused.
	ctx2, cancel2 := context.WithCancel(context.Background())
	ignoring := func(ctx context.Context, w io.Writer) (int64, error) {
		w.Write(want[:500])
		cancel2()
		w.Write(want[500:])
		return int64(len(want)), nil
	}
	if _, _, err := c.Fetch(ctx2, k, ignoring); err == nil {
		t.Fatal("Fetch cancelled halfway with a fill reporting success succeeded")
	}
	if got := dirFiles(t, dir); len(got) != 0 {
		t.Fatalf("files left after a cancelled fill: %q", got)
	}
	if s := c.Stats(); s.Entries != 0 || s.Downloads != 0 {
		t.Fatalf("Stats after failures = %+v", s)
	}
	var calls atomic.Int32
	if hit := fetch(t, c, k, 1000, &calls); hit || calls.Load() != 1 {
		t.Fatalf("Fetch after failures: hit %v, %d fill calls; want a download", hit, calls.Load())
	}
}

func TestOpenRemovesCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	fetch(t, c, key("kept"), 100, nil)
	c.Close()

	k := key("a")
	name := k.id().fileName()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := partData(k, 100)
	write(tmpPrefix+"123456", data[:50]) // a download cut short
	write(tmpPrefix+"999", data)         // a complete download not yet renamed
	write(name+partExt, data)            // renamed, but the sidecar was never written
	write("unrelated.txt", []byte("not ours"))

	c = openCache(t, dir, 1<<20, true)
	got := dirFiles(t, dir)
	slices.Sort(got)
	kept := key("kept").id().fileName()
	want := []string{kept + metaExt, kept + partExt, "unrelated.txt"}
	if !slices.Equal(got, want) {
		t.Fatalf("files after Open = %q, want %q", got, want)
	}
	checkCandidates(t, c, reg1, "kept")
	var calls atomic.Int32
	if hit := fetch(t, c, k, 100, &calls); hit || calls.Load() != 1 {
		t.Fatalf("Fetch of a crashed download: hit %v, %d fill calls", hit, calls.Load())
	}
}

func TestRestartKeepsEntriesAndOrder(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	for _, p := range []string{"a", "b", "c", "d"} {
		fetch(t, c, key(p), 100, nil)
	}
	fetch(t, c, key("b"), 100, nil)
	fetch(t, c, key("a"), 100, nil)
	checkCandidates(t, c, reg1, "a", "b", "d", "c")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Fetch(context.Background(), key("a"), fillOf(nil, nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fetch after Close = %v, want ErrClosed", err)
	}

	c = openCache(t, dir, 1<<20, true)
	checkCandidates(t, c, reg1, "a", "b", "d", "c")
	var calls atomic.Int32
	for _, p := range []string{"c", "d"} {
		if !fetch(t, c, key(p), 100, &calls) {
			t.Fatalf("%s missed after a restart", p)
		}
	}
	if s := c.Stats(); s.Entries != 4 || s.Bytes != 400 || calls.Load() != 0 {
		t.Fatalf("Stats after restart = %+v, %d fill calls", s, calls.Load())
	}
	c.Close()

	// A smaller budget on restart evicts the least recently used.
	c = openCache(t, dir, 200, true)
	checkCandidates(t, c, reg1, "d", "c")
	if got := len(dirFiles(t, dir)); got != 4 {
		t.Fatalf("%d files after restart with a smaller budget, want 4", got)
	}
	c.Close()
	// A zero budget on restart keeps the most recent.
	c = openCache(t, dir, 0, true)
	checkCandidates(t, c, reg1, "d")
}

func TestDirLockedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	if c2, err := Open(Config{Dir: dir, MaxBytes: 1 << 20}); err == nil {
		c2.Close()
		t.Fatal("a second Open of the same dir succeeded")
	}
	c.Close()
	openCache(t, dir, 1<<20, true)
}

func TestCorruptSidecarDropsEntry(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	for _, p := range []string{"garbage", "size", "swapped", "version", "truncated", "ok"} {
		fetch(t, c, key(p), 100, nil)
	}
	c.Close()
	metaOf := func(p string) string { return filepath.Join(dir, key(p).id().fileName()+metaExt) }
	if err := os.WriteFile(metaOf("garbage"), []byte("{\"vers\x00ion"), 0o644); err != nil {
		t.Fatal(err)
	}
	rewrite := func(p, old, new string) {
		t.Helper()
		b, err := os.ReadFile(metaOf(p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("sidecar of %s has no %q: %s", p, old, b)
		}
		if err := os.WriteFile(metaOf(p), bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rewrite("size", `"size":100`, `"size":99`)
	rewrite("swapped", `"part":"swapped"`, `"part":"other"`) // the key no longer hashes to the file name
	rewrite("version", `"version":1`, `"version":7`)
	if err := os.Truncate(filepath.Join(dir, key("truncated").id().fileName()+partExt), 10); err != nil {
		t.Fatal(err)
	}

	c = openCache(t, dir, 1<<20, true)
	checkCandidates(t, c, reg1, "ok")
	if got := len(dirFiles(t, dir)); got != 2 {
		t.Fatalf("files after Open = %q, want only the valid entry's two", dirFiles(t, dir))
	}
	var calls atomic.Int32
	if hit := fetch(t, c, key("garbage"), 100, &calls); hit || calls.Load() != 1 {
		t.Fatalf("Fetch of a dropped entry: hit %v, %d fill calls", hit, calls.Load())
	}
}

func TestPartChangedOnDiskDownloadsAgain(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir, 1<<20, true)
	fetch(t, c, key("a"), 100, nil)
	fetch(t, c, key("b"), 100, nil)
	if err := os.Remove(c.partPath(key("a").id().fileName())); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(c.partPath(key("b").id().fileName()), 50); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	for _, p := range []string{"a", "b"} {
		if hit := fetch(t, c, key(p), 100, &calls); hit {
			t.Fatalf("Fetch of %s changed on disk was a hit", p)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("fill called %d times, want 2", calls.Load())
	}
	if s := c.Stats(); s.Entries != 2 || s.Bytes != 200 {
		t.Fatalf("Stats = %+v, want 2 entries of 200 bytes", s)
	}
}

func TestMmapAndPlainReadsAgree(t *testing.T) {
	mm := openCache(t, t.TempDir(), 1<<30, true)
	plain := openCache(t, t.TempDir(), 1<<30, false)
	for _, size := range []int{0, 1, 4095, 4096, 4097, 1 << 20} {
		k := key(fmt.Sprintf("p%d", size))
		data := partData(k, size)
		rm, _, err := mm.Fetch(context.Background(), k, fillOf(data, nil))
		if err != nil {
			t.Fatal(err)
		}
		rp, _, err := plain.Fetch(context.Background(), k, fillOf(data, nil))
		if err != nil {
			t.Fatal(err)
		}
		if rm.Size() != int64(size) || rp.Size() != int64(size) {
			t.Fatalf("size %d: Size() = %d (mmap), %d (plain)", size, rm.Size(), rp.Size())
		}
		if size > 0 && !bytes.Equal(rm.Bytes(), data) {
			t.Fatalf("size %d: mmap Bytes() differ from the part", size)
		}
		if size == 0 && rm.Bytes() != nil {
			t.Fatal("an empty part has mapped Bytes()")
		}
		if rp.Bytes() != nil {
			t.Fatal("a plain reader has Bytes()")
		}
		for _, off := range []int64{-1, 0, 1, int64(size) / 2, int64(size) - 1, int64(size), int64(size) + 10} {
			for _, n := range []int{0, 1, 100, size} {
				bm, bp := make([]byte, n), make([]byte, n)
				nm, em := rm.ReadAt(bm, off)
				np, ep := rp.ReadAt(bp, off)
				if nm != np || (em == nil) != (ep == nil) || (em == io.EOF) != (ep == io.EOF) || !bytes.Equal(bm[:nm], bp[:np]) {
					t.Fatalf("size %d ReadAt(%d bytes, %d): mmap %d, %v; plain %d, %v", size, n, off, nm, em, np, ep)
				}
				if off >= 0 && off <= int64(size) && !bytes.Equal(bm[:nm], data[off:off+int64(nm)]) {
					t.Fatalf("size %d ReadAt(%d bytes, %d) differs from the part", size, n, off)
				}
			}
		}
		rm.Close()
		rp.Close()
	}
}

func TestCandidatesFilterAndOrder(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	other := Key{Dataset: "other", RegisteredAt: reg1, Part: "x"}
	oldReg := Key{Dataset: "ds", RegisteredAt: reg2, Part: "y"}
	nano := Key{Dataset: "ds", RegisteredAt: reg1.Add(time.Nanosecond), Part: "z"}
	for _, k := range []Key{key("p1"), other, key("p2"), oldReg, nano, key("p3")} {
		fetch(t, c, k, 10, nil)
	}
	fetch(t, c, key("p1"), 10, nil)
	checkCandidates(t, c, reg1, "p1", "p3", "p2")
	checkCandidates(t, c, reg2, "y")
	checkCandidates(t, c, reg1.Add(time.Nanosecond), "z")
	checkCandidates(t, c, reg1.Add(time.Second))
	if got := c.Candidates("other", reg1.In(time.FixedZone("y", -7200))); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("Candidates(other) = %q", got)
	}
	if got := c.Candidates("nope", reg1); got != nil {
		t.Fatalf("Candidates(nope) = %q, want none", got)
	}
	keys := c.Keys()
	if len(keys) != 6 || keys[0] != (Key{Dataset: "ds", RegisteredAt: reg1, Part: "p1"}) || keys[5] != other {
		t.Fatalf("Keys() = %v", keys)
	}
}
