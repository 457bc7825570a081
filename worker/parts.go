package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/frocket/frocket/cache"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/objstore"
)

// LocalParts reads parts of local (file://) datasets in place; it serves no other kind.
type LocalParts struct{}

// Open implements PartSource.
func (LocalParts) Open(_ context.Context, ds cluster.DatasetRef, p cluster.PartRef) (*Part, error) {
	loc, err := objstore.ParseLocation(ds.BasePath)
	if err != nil {
		return nil, err
	}
	if loc.Scheme != "file" {
		return nil, fmt.Errorf("dataset %s is on %s, and this worker has no part cache for remote parts", ds.Name, loc.Scheme)
	}
	return openLocal(loc, ds, p)
}

func openLocal(loc objstore.Location, ds cluster.DatasetRef, p cluster.PartRef) (*Part, error) {
	path := objstore.NewLocal(loc.Path).LocalPath(p.Name)
	if path == "" {
		return nil, fmt.Errorf("part %q of dataset %s is outside its base path", p.Name, ds.Name)
	}
	return &Part{Path: path, LoadFrom: cluster.LoadFromSource}, nil
}

// Candidates implements PartSource: local parts are never cached.
func (LocalParts) Candidates(cluster.DatasetRef) []cluster.PartRef { return nil }

// CachedParts reads local parts in place and remote (S3) parts through the local disk cache:
// downloaded once, then memory-mapped from disk.
type CachedParts struct {
	Cache   *cache.Cache
	Buckets *objstore.Opener
}

// downloader is what CachedParts needs of a remote bucket.
type downloader interface {
	Download(ctx context.Context, name string, w io.Writer) (int64, error)
}

// cacheKey names a part of one registration of a dataset in the cache. The part is kept as its
// PartRef JSON so that Candidates can hand back the exact members of a published part set.
func cacheKey(ds cluster.DatasetRef, p cluster.PartRef) (cache.Key, error) {
	ref, err := json.Marshal(p)
	if err != nil {
		return cache.Key{}, err
	}
	return cache.Key{Dataset: ds.Name, RegisteredAt: ds.RegisteredAt, Part: string(ref)}, nil
}

// Open implements PartSource.
func (c *CachedParts) Open(ctx context.Context, ds cluster.DatasetRef, p cluster.PartRef) (*Part, error) {
	b, loc, err := c.Buckets.Open(ctx, ds.BasePath)
	if err != nil {
		return nil, err
	}
	if loc.Scheme == "file" {
		return openLocal(loc, ds, p)
	}
	d, ok := b.(downloader)
	if !ok {
		return nil, fmt.Errorf("BUG: bucket of %s cannot download", loc)
	}
	key, err := cacheKey(ds, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var downloadErr error
	r, hit, err := c.Cache.Fetch(ctx, key, func(ctx context.Context, w io.Writer) (int64, error) {
		n, err := d.Download(ctx, p.Name, w)
		downloadErr = err
		return n, err
	})
	if downloadErr != nil {
		return nil, downloadErr // it names the object
	}
	if err != nil {
		return nil, fmt.Errorf("fetch part %s%s: %w", loc, p.Name, err)
	}
	part := &Part{Path: loc.String() + p.Name, Reader: r, Size: r.Size(), LoadFrom: cluster.LoadFromDiskCache, Close: r.Close}
	if !hit {
		part.LoadFrom, part.BytesDownloaded, part.DownloadTime = cluster.LoadFromSource, r.Size(), time.Since(start)
	}
	return part, nil
}

// Candidates implements PartSource: the parts of exactly this registration held in the cache, most
// recently used first.
func (c *CachedParts) Candidates(ds cluster.DatasetRef) []cluster.PartRef {
	names := c.Cache.Candidates(ds.Name, ds.RegisteredAt)
	out := make([]cluster.PartRef, 0, len(names))
	for _, n := range names {
		var p cluster.PartRef
		if json.Unmarshal([]byte(n), &p) == nil {
			out = append(out, p)
		}
	}
	return out
}
