package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	catalogFileName  = "catalog.json"
	lastUsedFileName = "lastused.json"
	lockFileName     = "catalog.lock"
	fileVersion      = 1
	tempInfix        = ".tmp-"
)

// FileStore is the embedded catalog: one JSON file (catalog.json) under a data directory, plus a small
// one for last-used times (see the package doc's Format section).
//
// Every change is written to a temporary file in the same directory, fsynced, and renamed over the old
// file, so a crash never leaves a half-written catalog. An advisory lock (flock(2) on catalog.lock)
// serialises writers across goroutines and processes, and each change is a read-modify-write under it.
// Readers take no lock: a rename is atomic, so they see the old file or the new one. A corrupt file is
// an error naming it; it is never reset.
type FileStore struct {
	dir          string
	catalogPath  string
	lastUsedPath string
	lockPath     string
	// beforeRename, when set (by tests), runs after a temporary file is written and synced and before
	// it is renamed; an error aborts the write as a crash at that point would.
	beforeRename func(tmp, target string) error
}

var _ Store = (*FileStore)(nil)

// catalogFile is the content of catalog.json. Datasets stay raw until asked for, so a Get or a write
// does not decode every dataset.
type catalogFile struct {
	Version  int                        `json:"version"`
	Datasets map[string]json.RawMessage `json:"datasets"`
}

// lastUsedFile is the content of lastused.json.
type lastUsedFile struct {
	Version  int                  `json:"version"`
	LastUsed map[string]time.Time `json:"lastUsed"`
}

// OpenFileStore opens the catalog in dir, creating dir (0o755) if missing. It removes temporary files
// left by writers that crashed, and fails if an existing catalog file is corrupt.
func OpenFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create catalog dir %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open catalog dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open catalog dir %s: not a directory", dir)
	}
	s := &FileStore{
		dir:          dir,
		catalogPath:  filepath.Join(dir, catalogFileName),
		lastUsedPath: filepath.Join(dir, lastUsedFileName),
		lockPath:     filepath.Join(dir, lockFileName),
	}
	err = s.withLock(func() error {
		if err := s.removeTemps(); err != nil {
			return err
		}
		if _, err := s.readCatalog(); err != nil {
			return err
		}
		_, err := s.readLastUsed()
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *FileStore) Dir() string { return s.dir }

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, name string) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.readCatalog()
	if err != nil {
		return nil, err
	}
	raw, ok := c.Datasets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return s.decodeDataset(name, raw)
}

// List implements Store.
func (s *FileStore) List(ctx context.Context) ([]*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.readCatalog()
	if err != nil {
		return nil, err
	}
	out := make([]*Dataset, 0, len(c.Datasets))
	for name, raw := range c.Datasets {
		d, err := s.decodeDataset(name, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Dataset) int {
		if c := b.RegisteredAt.Compare(a.RegisteredAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, d *Dataset) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d == nil {
		return errors.New("put dataset: nil dataset")
	}
	if err := ValidateName(d.Name); err != nil {
		return fmt.Errorf("put dataset: %w", err)
	}
	if d.RegisteredAt.IsZero() {
		return fmt.Errorf("put dataset %s: no registration time", d.Name)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dataset %s: %w", d.Name, err)
	}
	return s.withLock(func() error {
		c, err := s.readCatalog()
		if err != nil {
			return err
		}
		c.Datasets[d.Name] = raw
		if err := s.writeCatalog(c); err != nil {
			return err
		}
		return s.clearLastUsed(d.Name)
	})
}

// Delete implements Store.
func (s *FileStore) Delete(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	found := false
	err := s.withLock(func() error {
		c, err := s.readCatalog()
		if err != nil {
			return err
		}
		if _, found = c.Datasets[name]; found {
			delete(c.Datasets, name)
			if err := s.writeCatalog(c); err != nil {
				return err
			}
		}
		return s.clearLastUsed(name)
	})
	return found, err
}

// TouchLastUsed implements Store. The time is kept with its full precision.
func (s *FileStore) TouchLastUsed(ctx context.Context, name string, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.withLock(func() error {
		c, err := s.readCatalog()
		if err != nil {
			return err
		}
		if _, ok := c.Datasets[name]; !ok {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		lu, err := s.readLastUsed()
		if err != nil {
			return err
		}
		if old, ok := lu.LastUsed[name]; ok && old.Equal(t) {
			return nil
		}
		lu.LastUsed[name] = t.UTC()
		return s.writeJSON(s.lastUsedPath, lu)
	})
}

// LastUsed implements Store.
func (s *FileStore) LastUsed(ctx context.Context, name string) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	lu, err := s.readLastUsed()
	if err != nil {
		return time.Time{}, false, err
	}
	t, ok := lu.LastUsed[name]
	return t, ok, nil
}

// clearLastUsed removes name's last-used time; the caller holds the lock.
func (s *FileStore) clearLastUsed(name string) error {
	lu, err := s.readLastUsed()
	if err != nil {
		return err
	}
	if _, ok := lu.LastUsed[name]; !ok {
		return nil
	}
	delete(lu.LastUsed, name)
	return s.writeJSON(s.lastUsedPath, lu)
}

func (s *FileStore) decodeDataset(name string, raw json.RawMessage) (*Dataset, error) {
	d := new(Dataset)
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("catalog file %s is corrupt: dataset %s: %w", s.catalogPath, name, err)
	}
	if d.Name != name {
		return nil, fmt.Errorf("catalog file %s is corrupt: dataset %s is stored as %q", s.catalogPath, d.Name, name)
	}
	return d, nil
}

func (s *FileStore) readCatalog() (*catalogFile, error) {
	c := &catalogFile{Version: fileVersion}
	if err := s.readJSON(s.catalogPath, c, &c.Version); err != nil {
		return nil, err
	}
	if c.Datasets == nil {
		c.Datasets = map[string]json.RawMessage{}
	}
	return c, nil
}

func (s *FileStore) readLastUsed() (*lastUsedFile, error) {
	lu := &lastUsedFile{Version: fileVersion}
	if err := s.readJSON(s.lastUsedPath, lu, &lu.Version); err != nil {
		return nil, err
	}
	if lu.LastUsed == nil {
		lu.LastUsed = map[string]time.Time{}
	}
	return lu, nil
}

// readJSON decodes path into v; a missing file leaves v as it is. An empty, truncated or otherwise
// undecodable file, or one of another version, is an error naming the file.
func (s *FileStore) readJSON(path string, v any, version *int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read catalog file %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("catalog file %s is corrupt (fix or remove it): %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("catalog file %s is corrupt (fix or remove it): data after the JSON document", path)
	}
	if *version != fileVersion {
		return fmt.Errorf("catalog file %s has version %d, want %d", path, *version, fileVersion)
	}
	return nil
}

func (s *FileStore) writeCatalog(c *catalogFile) error {
	return s.writeJSON(s.catalogPath, c)
}

// writeJSON replaces path atomically with v encoded as JSON.
func (s *FileStore) writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode catalog file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(s.dir, filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("write catalog file %s: %w", path, err)
	}
	tmpPath := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write catalog file %s: %w", tmpPath, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write catalog file %s: %w", tmpPath, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync catalog file %s: %w", tmpPath, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write catalog file %s: %w", tmpPath, err)
	}
	if s.beforeRename != nil {
		if err := s.beforeRename(tmpPath, path); err != nil {
			return fmt.Errorf("replace catalog file %s: %w", path, err)
		}
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("replace catalog file %s: %w", path, err)
	}
	ok = true
	return syncDir(s.dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync catalog dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync catalog dir %s: %w", dir, err)
	}
	return nil
}

// removeTemps removes temporary files of writes that never reached their rename; the caller holds
// the lock, so no write is in progress.
func (s *FileStore) removeTemps() error {
	for _, base := range []string{catalogFileName, lastUsedFileName} {
		matches, err := filepath.Glob(filepath.Join(s.dir, base+tempInfix+"*"))
		if err != nil {
			return fmt.Errorf("list temporary files in %s: %w", s.dir, err)
		}
		for _, m := range matches {
			if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove temporary file %s: %w", m, err)
			}
		}
	}
	return nil
}

// withLock runs fn holding the exclusive lock. The lock file is opened anew each time: flock locks
// belong to an open file description, so this serialises goroutines of one process as well as
// processes.
func (s *FileStore) withLock(fn func() error) error {
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open catalog lock %s: %w", s.lockPath, err)
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock catalog %s: %w", s.lockPath, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
