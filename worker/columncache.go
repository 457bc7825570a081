package worker

import (
	"container/list"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/frocket/frocket/scan"
)

// DefaultColumnCacheBytes is the default budget of a ColumnCache: 1 GiB.
const DefaultColumnCacheBytes = 1 << 30

// ColumnCache keeps the decoded tables of recently used parts in memory, within a byte budget, so
// that a query refined over the same dataset pays the decoding of a part once. It is safe for
// concurrent use; cached tables are shared and only read.
//
// A part may have several entries, one per group column and timeframe (a table holds only the rows
// of its timeframe), so that a user alternating between queries over two time ranges is answered
// from memory both ways; the least recently used entries go first when the budget runs out. An
// entry is tied to the part's identity: its path, its size and a version (the file's modification
// time for a local path, Task.PartVersion otherwise), so a rewritten file or a re-registered dataset
// is never answered from stale columns; putting a table of a new version drops the entries of the
// old ones. An entry serves any later task on the same part with the same timeframe that needs a
// subset of its columns and the same ordering or a coarser one; a task that needs more columns
// decodes the union, which replaces the entry.
type ColumnCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	lru      *list.List // of *cacheEntry, most recently used first
	byKey    map[entryKey]*list.Element
	byPath   map[string][]*list.Element // every entry of a path, of whatever version
	hits     int64
	misses   int64
}

// partKey identifies one version of a part.
type partKey struct {
	path    string
	size    int64
	version string
}

// entryKey identifies one entry: a version of a part read with a group column and a timeframe.
type entryKey struct {
	part           partKey
	group          string
	from, to       int64
	hasFrom, hasTo bool
}

// keyOf returns the entry key of the table of part k read with req.
func keyOf(k partKey, req scan.Request) entryKey {
	e := entryKey{part: k, group: req.GroupColumn}
	if req.From != nil {
		e.from, e.hasFrom = *req.From, true
	}
	if req.To != nil {
		e.to, e.hasTo = *req.To, true
	}
	return e
}

// cacheEntry is one cached table and what it was read with.
type cacheEntry struct {
	key   entryKey
	req   scan.Request
	tbl   *scan.Table
	index *codeIndex // per-code masks of tbl's low-cardinality STRING columns, built on first use
	bytes int64      // tbl's and, reserved up front, its index's
}

// NewColumnCache returns an empty cache holding at most maxBytes of decoded columns
// (DefaultColumnCacheBytes when maxBytes <= 0).
func NewColumnCache(maxBytes int64) *ColumnCache {
	if maxBytes <= 0 {
		maxBytes = DefaultColumnCacheBytes
	}
	return &ColumnCache{maxBytes: maxBytes, lru: list.New(), byKey: map[entryKey]*list.Element{}, byPath: map[string][]*list.Element{}}
}

// ColumnCacheStats describes a ColumnCache.
type ColumnCacheStats struct {
	Parts        int   // distinct parts (path and version) held
	Entries      int   // tables held: a part has one per timeframe
	Bytes        int64 // decoded bytes held
	MaxBytes     int64 // the budget
	Hits, Misses int64 // lookups answered from memory and not
}

// Stats returns the cache's current size and counters.
func (c *ColumnCache) Stats() ColumnCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := map[partKey]bool{}
	for k := range c.byKey {
		parts[k.part] = true
	}
	return ColumnCacheStats{Parts: len(parts), Entries: c.lru.Len(), Bytes: c.bytes, MaxBytes: c.maxBytes, Hits: c.hits, Misses: c.misses}
}

// Clear drops every entry.
func (c *ColumnCache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.byKey)
	clear(c.byPath)
	c.bytes = 0
}

// partIdentity returns the cache key of t's part, or false when the part cannot be identified
// safely (a reader without a PartVersion).
func partIdentity(t Task) (partKey, bool, error) {
	if t.PartVersion != "" {
		return partKey{path: t.Path, size: t.Size, version: t.PartVersion}, true, nil
	}
	if t.Reader != nil {
		return partKey{}, false, nil
	}
	fi, err := os.Stat(t.Path)
	if err != nil {
		return partKey{}, false, fmt.Errorf("open part %s: %w", t.Path, err)
	}
	return partKey{path: t.Path, size: fi.Size(), version: fi.ModTime().UTC().Format(time.RFC3339Nano)}, true, nil
}

// get returns a cached table of the part that answers req and its code index, or nil.
func (c *ColumnCache) get(k partKey, req scan.Request) (*scan.Table, *codeIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[keyOf(k, req)]
	if !ok || !serves(el.Value.(*cacheEntry).req, req) {
		c.misses++
		return nil, nil
	}
	c.lru.MoveToFront(el)
	c.hits++
	e := el.Value.(*cacheEntry)
	return e.tbl, e.index
}

// widen returns req extended by the columns (and the timestamp column) of the part's cached table
// read with the same group column and timeframe, so that the table decoded for req can replace
// that entry and still serve what it served.
func (c *ColumnCache) widen(k partKey, req scan.Request) scan.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[keyOf(k, req)]
	if !ok {
		return req
	}
	old := el.Value.(*cacheEntry).req
	if req.TimestampColumn == "" {
		req.TimestampColumn = old.TimestampColumn // keep serving the tasks that need time order
	}
	cols := slices.Clone(req.Columns)
	for _, name := range old.Columns {
		if !slices.Contains(cols, name) {
			cols = append(cols, name)
		}
	}
	req.Columns = cols
	return req
}

// put stores tbl, read with req, as the entry of its part and timeframe, and drops the entries of
// other versions of the part's path, then the least recently used entries past the budget. An
// entry that already serves everything tbl does (put by a task that ran alongside) is kept
// instead. A table larger than the whole budget is not kept.
func (c *ColumnCache) put(k partKey, req scan.Request, tbl *scan.Table) {
	size := tableBytes(tbl) + indexBytes(tbl)
	key := keyOf(k, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, el := range slices.Clone(c.byPath[k.path]) {
		if el.Value.(*cacheEntry).key.part != k {
			c.remove(el)
		}
	}
	if el, ok := c.byKey[key]; ok {
		if serves(el.Value.(*cacheEntry).req, req) {
			return
		}
		c.remove(el)
	}
	if size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	req.Columns = slices.Clone(req.Columns)
	el := c.lru.PushFront(&cacheEntry{key: key, req: req, tbl: tbl, index: newCodeIndex(), bytes: size})
	c.byKey[key] = el
	c.byPath[k.path] = append(c.byPath[k.path], el)
	c.bytes += size
}

func (c *ColumnCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	path := e.key.part.path
	if rest := slices.DeleteFunc(c.byPath[path], func(x *list.Element) bool { return x == el }); len(rest) > 0 {
		c.byPath[path] = rest
	} else {
		delete(c.byPath, path)
	}
	c.bytes -= e.bytes
}

// serves reports whether a table read with have answers a task that needs want: same group column
// and timeframe, every wanted column present, and an order at least as fine (a table in
// (group, ts) order also serves a task that needs the group order only).
func serves(have, want scan.Request) bool {
	if have.GroupColumn != want.GroupColumn || !sameBound(have.From, want.From) || !sameBound(have.To, want.To) {
		return false
	}
	if want.TimestampColumn != "" && have.TimestampColumn != want.TimestampColumn {
		return false
	}
	for _, name := range want.Columns {
		if !slices.Contains(have.Columns, name) {
			return false
		}
	}
	return true
}

func sameBound(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// tableBytes estimates the memory a table holds.
func tableBytes(t *scan.Table) int64 {
	n := int64(len(t.TS))*8 + int64(len(t.GroupStarts))*4
	seen := map[*scan.Column]bool{}
	add := func(c *scan.Column) {
		if c == nil || seen[c] {
			return
		}
		seen[c] = true
		n += int64(len(c.Ints))*8 + int64(len(c.Floats))*8 + int64(len(c.Bools)) + int64(len(c.Codes))*4 + int64(len(c.Nulls))*8
		for _, s := range c.Dict {
			n += int64(len(s)) + 16
		}
	}
	add(t.Group)
	for _, c := range t.Columns {
		add(c)
	}
	return n
}
