package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Fetch after Close.
var ErrClosed = errors.New("cache: closed")

// errChanged marks a cached part whose file no longer matches its entry (removed or resized behind the
// cache's back): the entry is dropped and the part downloaded again.
var errChanged = errors.New("cache: part file changed on disk")

// Cache is a local disk cache of parts. It is safe for concurrent use.
type Cache struct {
	cfg  Config
	lock *os.File // holds the lock of cfg.Dir until Close

	mu       sync.Mutex
	index    map[keyID]*entry
	lru      *list.List // of *entry, front = most recently used
	inflight map[keyID]*flight
	newest   *entry // the part downloaded last, never evicted
	bytes    int64
	stamp    int64 // last use stamp given, Unix nanoseconds
	closed   bool

	downloading sync.WaitGroup

	hits, misses, evictions, downloads, bytesDownloaded atomic.Int64
}

// entry is one cached part. Fields other than id, name and size are guarded by Cache.mu.
type entry struct {
	id   keyID
	name string // <h> of the files
	size int64
	refs int           // open readers and readers handed to Fetch callers
	elem *list.Element // position in Cache.lru; nil once the entry left the index
}

// flight is one download in progress; Fetches of the same key wait for it.
type flight struct {
	done    chan struct{} // closed under Cache.mu when the download ended
	waiters int           // Fetches waiting; each gets a pin on e
	e       *entry        // the new entry on success
	err     error         // the download's error on failure
	retry   bool          // the download was cancelled by its own caller: waiters try again
}

// Stats are counters of a Cache since Open.
type Stats struct {
	// Entries and Bytes are what the cache holds now; Pinned of those entries have open readers.
	Entries int
	Bytes   int64
	Pinned  int
	// Hits are Fetches served from disk; Misses are Fetches that needed a download (their own or one in
	// progress). Only successful Fetches count.
	Hits, Misses int64
	// Evictions counts entries removed to keep within the budget.
	Evictions int64
	// Downloads and BytesDownloaded count completed downloads.
	Downloads, BytesDownloaded int64
}

// Open opens the cache in cfg.Dir, creating the directory when missing. It takes an exclusive lock on the
// directory, indexes the entries already there (so the cache survives restarts) in their last-use order,
// removes temp files left by crashed downloads and entries with a corrupt sidecar, and evicts down to the
// budget.
func Open(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		cfg:      cfg,
		lock:     lock,
		index:    map[keyID]*entry{},
		lru:      list.New(),
		inflight: map[keyID]*flight{},
	}
	if err := c.load(); err != nil {
		lock.Close()
		return nil, err
	}
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	return c, nil
}

// Fetch returns a reader over the part k, downloading it with fill on a miss; hit tells whether it was
// already cached. fill writes the whole object to w and returns the bytes written; writes to w fail once
// ctx is done. Concurrent Fetches of one key download once: the others wait for it (and try again
// themselves if the downloading Fetch's ctx was cancelled). A download goes to a temp file in the cache
// directory, is fsynced and renamed into place only when complete, so a failed or cancelled fill leaves
// nothing that is served later.
//
// The caller must Close the reader; until then the entry is pinned (never evicted). After Close of the
// cache Fetch returns ErrClosed.
func (c *Cache) Fetch(ctx context.Context, k Key, fill func(ctx context.Context, w io.Writer) (int64, error)) (r Reader, hit bool, err error) {
	if fill == nil {
		return nil, false, errors.New("cache: fetch with a nil fill function")
	}
	if err := k.check(); err != nil {
		return nil, false, err
	}
	id := k.id()
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, fmt.Errorf("fetch %s: %w", k, err)
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, false, ErrClosed
		}
		if e := c.index[id]; e != nil {
			e.refs++
			c.lru.MoveToFront(e.elem)
			stamp := c.nextStampLocked()
			c.mu.Unlock()
			r, err := c.openReader(e)
			if errors.Is(err, errChanged) {
				c.drop(e)
				continue
			}
			if err != nil {
				c.release(e)
				return nil, false, fmt.Errorf("open cached part %s: %w", k, err)
			}
			c.touch(e.name, stamp)
			c.hits.Add(1)
			return r, true, nil
		}
		if f := c.inflight[id]; f != nil {
			f.waiters++
			c.mu.Unlock()
			e, retry, err := c.wait(ctx, k, f)
			if retry {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			return c.openFetched(k, e)
		}
		f := &flight{done: make(chan struct{})}
		c.inflight[id] = f
		c.downloading.Add(1)
		c.mu.Unlock()
		e, err := c.download(ctx, k, id, f, fill)
		if err != nil {
			return nil, false, err
		}
		return c.openFetched(k, e)
	}
}

// openFetched opens a reader over a freshly downloaded entry e, already pinned for the caller.
func (c *Cache) openFetched(k Key, e *entry) (Reader, bool, error) {
	r, err := c.openReader(e)
	if err != nil {
		c.release(e)
		return nil, false, fmt.Errorf("open downloaded part %s: %w", k, err)
	}
	c.misses.Add(1)
	return r, false, nil
}

// wait waits for the download f of k. On success the returned entry is pinned for the caller; retry
// means the download was cancelled by its own caller and this Fetch should try again.
func (c *Cache) wait(ctx context.Context, k Key, f *flight) (e *entry, retry bool, err error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case <-f.done: // ended meanwhile, and counted this waiter
			c.mu.Unlock()
			if f.e != nil {
				c.release(f.e)
			}
		default:
			f.waiters--
			c.mu.Unlock()
		}
		return nil, false, fmt.Errorf("fetch %s: %w", k, ctx.Err())
	}
	if f.e != nil {
		return f.e, false, nil
	}
	if f.retry {
		return nil, true, nil
	}
	return nil, false, f.err
}

// download runs fill into a new entry for k, ends the flight f and returns the entry pinned for the
// caller (and for each waiter).
func (c *Cache) download(ctx context.Context, k Key, id keyID, f *flight, fill func(ctx context.Context, w io.Writer) (int64, error)) (*entry, error) {
	defer c.downloading.Done()
	name := id.fileName()
	size, err := c.writePart(ctx, k, id, name, fill)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inflight, id)
	if err != nil {
		f.err = err
		f.retry = ctx.Err() != nil
		close(f.done)
		return nil, err
	}
	e := &entry{id: id, name: name, size: size, refs: 1 + f.waiters}
	e.elem = c.lru.PushFront(e)
	c.index[id] = e
	c.bytes += size
	c.newest = e
	f.e = e
	c.evictLocked()
	close(f.done)
	c.downloads.Add(1)
	c.bytesDownloaded.Add(size)
	return e, nil
}

// writePart downloads k into <name>.part and writes its sidecar; on error nothing of it is left.
func (c *Cache) writePart(ctx context.Context, k Key, id keyID, name string, fill func(ctx context.Context, w io.Writer) (int64, error)) (int64, error) {
	tmp, err := os.CreateTemp(c.cfg.Dir, tmpPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", k, err)
	}
	tmpName := tmp.Name()
	fail := func(err error) (int64, error) {
		if tmp != nil {
			tmp.Close()
		}
		os.Remove(tmpName)
		return 0, fmt.Errorf("download %s: %w", k, err)
	}
	w := &fillWriter{ctx: ctx, f: tmp}
	n, err := fill(ctx, w)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if n != w.n {
		return fail(fmt.Errorf("fill reported %d bytes but wrote %d", n, w.n))
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	err = tmp.Close()
	tmp = nil
	if err != nil {
		return fail(err)
	}
	c.mu.Lock()
	stamp := c.nextStampLocked()
	c.mu.Unlock()
	t := time.Unix(0, stamp)
	if err := os.Chtimes(tmpName, t, t); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpName, c.partPath(name)); err != nil {
		return fail(err)
	}
	if err := syncDir(c.cfg.Dir); err == nil {
		err = c.writeMeta(id, name, n)
	}
	if err != nil {
		c.removeFiles(name)
		return 0, fmt.Errorf("download %s: %w", k, err)
	}
	return n, nil
}

// fillWriter counts what fill writes and stops it once ctx is done.
type fillWriter struct {
	ctx context.Context
	f   *os.File
	n   int64
}

func (w *fillWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	return n, err
}

// nextStampLocked returns a use stamp later than every one given before.
func (c *Cache) nextStampLocked() int64 {
	now := time.Now().UnixNano()
	if now <= c.stamp {
		now = c.stamp + 1
	}
	c.stamp = now
	return now
}

// evictLocked removes least-recently-used entries while the cache is over budget, skipping pinned
// entries and the newest download.
func (c *Cache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.bytes > c.cfg.MaxBytes; {
		prev := el.Prev()
		if e := el.Value.(*entry); e.refs == 0 && e != c.newest {
			c.removeLocked(e)
			c.evictions.Add(1)
		}
		el = prev
	}
}

// removeLocked takes e out of the index and deletes its files. Readers already open keep reading them
// (an unlinked file stays readable while open or mapped).
func (c *Cache) removeLocked(e *entry) {
	c.lru.Remove(e.elem)
	e.elem = nil
	delete(c.index, e.id)
	c.bytes -= e.size
	if c.newest == e {
		c.newest = nil
	}
	c.removeFiles(e.name)
}

// release unpins e; when it was the last pin and the cache is over budget, it evicts.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.refs == 0 && e.elem != nil && !c.closed && c.bytes > c.cfg.MaxBytes {
		c.evictLocked()
	}
}

// drop unpins e and removes it from the cache because its file changed on disk.
func (c *Cache) drop(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.elem != nil {
		c.removeLocked(e)
	}
}

// Candidates returns the parts held of exactly that registration of dataset, most recently used first
// (nil when none).
func (c *Cache) Candidates(dataset string, registeredAt time.Time) []string {
	sec, nsec := registeredAt.Unix(), int32(registeredAt.Nanosecond())
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		id := el.Value.(*entry).id
		if id.dataset == dataset && id.sec == sec && id.nsec == nsec {
			parts = append(parts, id.part)
		}
	}
	return parts
}

// Keys returns the keys of every entry, most recently used first.
func (c *Cache) Keys() []Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]Key, 0, c.lru.Len())
	for el := c.lru.Front(); el != nil; el = el.Next() {
		keys = append(keys, el.Value.(*entry).id.key())
	}
	return keys
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	s := Stats{Entries: len(c.index), Bytes: c.bytes}
	for _, e := range c.index {
		if e.refs > 0 {
			s.Pinned++
		}
	}
	c.mu.Unlock()
	s.Hits = c.hits.Load()
	s.Misses = c.misses.Load()
	s.Evictions = c.evictions.Load()
	s.Downloads = c.downloads.Load()
	s.BytesDownloaded = c.bytesDownloaded.Load()
	return s
}

// Close stops the cache: later Fetches fail with ErrClosed. It waits for downloads in progress (cancel
// their contexts to make it prompt), then unlocks the directory. Readers already open stay valid until
// their own Close. Closing twice is a no-op.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.downloading.Wait()
	if err := c.lock.Close(); err != nil {
		return fmt.Errorf("unlock cache dir: %w", err)
	}
	return nil
}

// openReader opens a reader over the part of e, which the caller has pinned. A file missing or of the
// wrong size is errChanged.
func (c *Cache) openReader(e *entry) (Reader, error) {
	f, err := os.Open(c.partPath(e.name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", errChanged, err)
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() != e.size {
		f.Close()
		return nil, fmt.Errorf("%w: size %d, want %d", errChanged, st.Size(), e.size)
	}
	return newPartReader(c, e, f, c.cfg.UseMmap), nil
}
