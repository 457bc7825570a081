package main

import (
	"context"
	"flag"
	"fmt"
	"sync"

	"github.com/frocket/frocket/cache"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/worker"
)

// storageFlags configure where parts are read from: S3 (FROCKET_S3_* / FROCKET_AWS_*) and the local
// disk cache of downloaded parts.
type storageFlags struct {
	s3          objstore.S3Config
	cacheDir    string
	cacheSizeMB int64
	noMmap      bool
	// columnCacheMB bounds the decoded columns kept between queries by long-running processes.
	columnCacheMB int64
}

// addStorageFlags reads the environment into sf and registers the flags that override it.
func addStorageFlags(fs *flag.FlagSet, sf *storageFlags) error {
	var err error
	if sf.s3, err = objstore.S3ConfigFromEnv(); err != nil {
		return err
	}
	var r envReader
	def := cache.DefaultConfig()
	sf.cacheDir = r.str("FROCKET_WORKER_CACHE_DIR", def.Dir)
	sf.cacheSizeMB = r.int64("FROCKET_WORKER_DISK_CACHE_SIZE_MB", def.MaxBytes>>20)
	sf.columnCacheMB = r.int64("FROCKET_WORKER_COLUMN_CACHE_MB", 512)
	if err := r.err(); err != nil {
		return err
	}
	fs.StringVar(&sf.s3.Endpoint, "s3-endpoint", sf.s3.Endpoint, "S3 endpoint URL for S3-compatible stores (env FROCKET_S3_AWS_ENDPOINT_URL)")
	fs.StringVar(&sf.s3.Region, "s3-region", sf.s3.Region, "S3 region (env FROCKET_S3_AWS_REGION)")
	fs.StringVar(&sf.cacheDir, "cache-dir", sf.cacheDir, "directory of the part cache (env FROCKET_WORKER_CACHE_DIR)")
	fs.Int64Var(&sf.cacheSizeMB, "cache-size-mb", sf.cacheSizeMB, "part cache budget in MB (env FROCKET_WORKER_DISK_CACHE_SIZE_MB)")
	fs.BoolVar(&sf.noMmap, "no-mmap", false, "read cached parts with plain reads instead of mmap")
	fs.Int64Var(&sf.columnCacheMB, "column-cache-mb", sf.columnCacheMB, "decoded columns kept in memory between queries, in MB; 0 turns it off (env FROCKET_WORKER_COLUMN_CACHE_MB)")
	return nil
}

// opener returns the bucket opener for sf.
func (sf *storageFlags) opener() (*objstore.Opener, error) {
	if err := sf.s3.Validate(); err != nil {
		return nil, usageErr("s3: %v", err)
	}
	return &objstore.Opener{S3Config: sf.s3}, nil
}

// cacheConfig returns the part cache configuration of sf.
func (sf *storageFlags) cacheConfig() (cache.Config, error) {
	cfg := cache.DefaultConfig()
	cfg.Dir, cfg.MaxBytes, cfg.UseMmap = sf.cacheDir, sf.cacheSizeMB<<20, !sf.noMmap
	if err := cfg.Validate(); err != nil {
		return cfg, usageErr("part cache: %v", err)
	}
	return cfg, nil
}

// columns returns the in-memory column cache of a long-running process, or nil when turned off.
func (sf *storageFlags) columns() *worker.ColumnCache {
	if sf.columnCacheMB <= 0 {
		return nil
	}
	return worker.NewColumnCache(sf.columnCacheMB << 20)
}

// parts returns the part source of sf: local parts in place, remote ones through the disk cache.
func (sf *storageFlags) parts() (*lazyParts, error) {
	buckets, err := sf.opener()
	if err != nil {
		return nil, err
	}
	cc, err := sf.cacheConfig()
	if err != nil {
		return nil, err
	}
	return &lazyParts{buckets: buckets, cfg: cc}, nil
}

// lazyParts reads local parts in place and opens the disk cache only when a remote part is first
// needed, so local-only use never touches (or locks) the cache directory.
type lazyParts struct {
	buckets *objstore.Opener
	cfg     cache.Config

	once  sync.Once
	parts *worker.CachedParts
	err   error
}

func (l *lazyParts) get() (*worker.CachedParts, error) {
	l.once.Do(func() {
		c, err := cache.Open(l.cfg)
		if err != nil {
			l.err = fmt.Errorf("open part cache %s: %w", l.cfg.Dir, err)
			return
		}
		l.parts = &worker.CachedParts{Cache: c, Buckets: l.buckets}
	})
	return l.parts, l.err
}

// Open implements worker.PartSource.
func (l *lazyParts) Open(ctx context.Context, ds cluster.DatasetRef, p cluster.PartRef) (*worker.Part, error) {
	loc, err := objstore.ParseLocation(ds.BasePath)
	if err != nil {
		return nil, err
	}
	if loc.Scheme == "file" {
		return worker.LocalParts{}.Open(ctx, ds, p)
	}
	parts, err := l.get()
	if err != nil {
		return nil, err
	}
	return parts.Open(ctx, ds, p)
}

// Candidates implements worker.PartSource.
func (l *lazyParts) Candidates(ds cluster.DatasetRef) []cluster.PartRef {
	if loc, err := objstore.ParseLocation(ds.BasePath); err != nil || loc.Scheme == "file" {
		return nil
	}
	parts, err := l.get()
	if err != nil {
		return nil
	}
	return parts.Candidates(ds)
}

// Close closes the cache if it was opened.
func (l *lazyParts) Close() error {
	if l.parts != nil {
		return l.parts.Cache.Close()
	}
	return nil
}
