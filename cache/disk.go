package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Names of the files in the cache directory (see the package doc, # Format).
const (
	lockName    = "LOCK"
	tmpPrefix   = "tmp-"
	partExt     = ".part"
	metaExt     = ".meta"
	hashHexLen  = 32
	metaVersion = 1
	// maxMetaBytes bounds what Open reads of a sidecar; a larger one is corrupt.
	maxMetaBytes = 1 << 20
	hashDomain   = "frocket-cache-v1"
)

// Key identifies one part of one registration of a dataset: re-registering a dataset (new RegisteredAt)
// never serves the old files.
type Key struct {
	// Dataset is the dataset's name.
	Dataset string
	// RegisteredAt is when this registration of the dataset was made. Times that are the same instant
	// are the same key, whatever their location or monotonic reading.
	RegisteredAt time.Time
	// Part names the part, e.g. its path relative to the dataset's base.
	Part string
}

// String returns dataset@registeredAt/part, for errors.
func (k Key) String() string {
	return k.Dataset + "@" + k.RegisteredAt.UTC().Format(time.RFC3339Nano) + "/" + k.Part
}

func (k Key) check() error {
	var errs []error
	if k.Dataset == "" {
		errs = append(errs, errors.New("cache: key has no dataset"))
	}
	if k.Part == "" {
		errs = append(errs, errors.New("cache: key has no part"))
	}
	return errors.Join(errs...)
}

// keyID is a Key usable as a map key: the registration time as an instant.
type keyID struct {
	dataset string
	sec     int64
	nsec    int32
	part    string
}

func (k Key) id() keyID {
	return keyID{dataset: k.Dataset, sec: k.RegisteredAt.Unix(), nsec: int32(k.RegisteredAt.Nanosecond()), part: k.Part}
}

func (id keyID) registeredAt() time.Time { return time.Unix(id.sec, int64(id.nsec)).UTC() }

func (id keyID) key() Key {
	return Key{Dataset: id.dataset, RegisteredAt: id.registeredAt(), Part: id.part}
}

// fileName returns <h>, the base name of the key's files.
func (id keyID) fileName() string {
	h := sha256.New()
	var num [8]byte
	putString := func(s string) {
		binary.BigEndian.PutUint64(num[:], uint64(len(s)))
		h.Write(num[:])
		io.WriteString(h, s)
	}
	putString(hashDomain)
	putString(id.dataset)
	binary.BigEndian.PutUint64(num[:], uint64(id.sec))
	h.Write(num[:])
	binary.BigEndian.PutUint64(num[:], uint64(int64(id.nsec)))
	h.Write(num[:])
	putString(id.part)
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:hashHexLen/2])
}

// isHashName reports whether s could be a <h> of fileName.
func isHashName(s string) bool {
	if len(s) != hashHexLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// meta is the JSON sidecar of one entry.
type meta struct {
	Version      int    `json:"version"`
	Dataset      string `json:"dataset"`
	RegisteredAt string `json:"registeredAt"`
	Part         string `json:"part"`
	Size         int64  `json:"size"`
}

func (c *Cache) partPath(name string) string { return filepath.Join(c.cfg.Dir, name+partExt) }
func (c *Cache) metaPath(name string) string { return filepath.Join(c.cfg.Dir, name+metaExt) }

// removeFiles deletes an entry's files, the sidecar first so a crash in between leaves an orphan .part
// that Open removes. Errors are ignored: whatever is left is not a valid entry, and Open retries.
func (c *Cache) removeFiles(name string) {
	os.Remove(c.metaPath(name))
	os.Remove(c.partPath(name))
}

// loaded is an entry found on disk by Open, with the mtime of its part.
type loaded struct {
	e          *entry
	mtimeNanos int64
}

// load indexes the valid entries of the directory, in LRU order by the mtime of their parts, and removes
// temp files, orphan parts and entries whose sidecar is corrupt.
func (c *Cache) load() error {
	des, err := os.ReadDir(c.cfg.Dir)
	if err != nil {
		return fmt.Errorf("read cache dir %s: %w", c.cfg.Dir, err)
	}
	parts := map[string]bool{}
	var metas []string
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			os.Remove(filepath.Join(c.cfg.Dir, name))
		case strings.HasSuffix(name, partExt) && isHashName(strings.TrimSuffix(name, partExt)):
			parts[strings.TrimSuffix(name, partExt)] = true
		case strings.HasSuffix(name, metaExt) && isHashName(strings.TrimSuffix(name, metaExt)):
			metas = append(metas, strings.TrimSuffix(name, metaExt))
		}
	}
	var found []loaded
	for _, name := range metas {
		l, ok := c.loadEntry(name)
		if !ok {
			c.removeFiles(name)
		} else {
			found = append(found, l)
		}
		delete(parts, name)
	}
	for name := range parts {
		os.Remove(c.partPath(name))
	}
	slices.SortFunc(found, func(a, b loaded) int {
		if a.mtimeNanos != b.mtimeNanos {
			return cmpInt64(a.mtimeNanos, b.mtimeNanos)
		}
		return strings.Compare(a.e.name, b.e.name)
	})
	for _, l := range found {
		l.e.elem = c.lru.PushFront(l.e)
		c.index[l.e.id] = l.e
		c.bytes += l.e.size
		c.stamp = max(c.stamp, l.mtimeNanos)
	}
	if front := c.lru.Front(); front != nil {
		c.newest = front.Value.(*entry)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// loadEntry checks the sidecar <name>.meta and its part; ok is false when the entry is not valid.
func (c *Cache) loadEntry(name string) (l loaded, ok bool) {
	f, err := os.Open(c.metaPath(name))
	if err != nil {
		return loaded{}, false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxMetaBytes+1))
	f.Close()
	if err != nil || len(data) > maxMetaBytes {
		return loaded{}, false
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil || m.Version != metaVersion || m.Size < 0 {
		return loaded{}, false
	}
	regAt, err := time.Parse(time.RFC3339Nano, m.RegisteredAt)
	if err != nil {
		return loaded{}, false
	}
	k := Key{Dataset: m.Dataset, RegisteredAt: regAt, Part: m.Part}
	if k.check() != nil {
		return loaded{}, false
	}
	id := k.id()
	if id.fileName() != name {
		return loaded{}, false
	}
	st, err := os.Lstat(c.partPath(name))
	if err != nil || !st.Mode().IsRegular() || st.Size() != m.Size {
		return loaded{}, false
	}
	return loaded{e: &entry{id: id, name: name, size: m.Size}, mtimeNanos: st.ModTime().UnixNano()}, true
}

// writeMeta writes the sidecar of an entry atomically: temp file, fsync, rename, fsync of the directory.
func (c *Cache) writeMeta(id keyID, name string, size int64) error {
	data, err := json.Marshal(meta{
		Version:      metaVersion,
		Dataset:      id.dataset,
		RegisteredAt: id.registeredAt().Format(time.RFC3339Nano),
		Part:         id.part,
		Size:         size,
	})
	if err != nil {
		return fmt.Errorf("encode sidecar: %w", err)
	}
	tmp, err := os.CreateTemp(c.cfg.Dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("create sidecar: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.metaPath(name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write sidecar: %w", err)
	}
	return syncDir(c.cfg.Dir)
}

// syncDir makes renames and creations in dir durable. Filesystems that cannot fsync a directory
// (EINVAL) are accepted as they are.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// touch records the entry's last use in the mtime of its part; errors are ignored (the order on disk is
// a hint for the next Open).
func (c *Cache) touch(name string, stampNanos int64) {
	t := time.Unix(0, stampNanos)
	os.Chtimes(c.partPath(name), t, t)
}
