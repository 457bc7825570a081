package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frocket/frocket/catalog"
)

// Catalog returns the dataset catalog kept in Redis: the hash <prefix>datasets (name -> Dataset
// JSON) and the hash <prefix>dataset_lastused (name -> Unix seconds). Every method is atomic: a
// write is one MULTI or one script. Last-used times are kept to the second.
func (c *Client) Catalog() catalog.Store {
	return &catalogStore{c: c, datasets: c.Key("datasets"), lastUsed: c.Key("dataset_lastused")}
}

// catalogStore implements catalog.Store on Redis.
type catalogStore struct {
	c                  *Client
	datasets, lastUsed string
}

var _ catalog.Store = (*catalogStore)(nil)

// Get implements catalog.Store.
func (s *catalogStore) Get(ctx context.Context, name string) (*catalog.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := s.c.rdb.HGet(ctx, s.datasets, name).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNotFound, name)
	}
	if err != nil {
		return nil, s.c.fail("HGET", s.datasets, err)
	}
	return s.decode(name, raw)
}

// List implements catalog.Store.
func (s *catalogStore) List(ctx context.Context) ([]*catalog.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.c.rdb.HGetAll(ctx, s.datasets).Result()
	if err != nil {
		return nil, s.c.fail("HGETALL", s.datasets, err)
	}
	out := make([]*catalog.Dataset, 0, len(all))
	for name, raw := range all {
		d, err := s.decode(name, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *catalog.Dataset) int {
		if c := b.RegisteredAt.Compare(a.RegisteredAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Put implements catalog.Store: MULTI {HSET datasets, HDEL dataset_lastused}.
func (s *catalogStore) Put(ctx context.Context, d *catalog.Dataset) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d == nil {
		return errors.New("put dataset: nil dataset")
	}
	if err := catalog.ValidateName(d.Name); err != nil {
		return fmt.Errorf("put dataset: %w", err)
	}
	if d.RegisteredAt.IsZero() {
		return fmt.Errorf("put dataset %s: no registration time", d.Name)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dataset %s: %w", d.Name, err)
	}
	_, err = s.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.datasets, d.Name, raw)
		p.HDel(ctx, s.lastUsed, d.Name)
		return nil
	})
	if err != nil {
		return s.c.fail("MULTI HSET", s.datasets, err)
	}
	return nil
}

// Delete implements catalog.Store: MULTI {HDEL datasets, HDEL dataset_lastused}.
func (s *catalogStore) Delete(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var del *redis.IntCmd
	_, err := s.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.HDel(ctx, s.datasets, name)
		p.HDel(ctx, s.lastUsed, name)
		return nil
	})
	if err != nil {
		return false, s.c.fail("MULTI HDEL", s.datasets, err)
	}
	return del.Val() > 0, nil
}

// TouchLastUsed implements catalog.Store. The time is stored in whole seconds (truncated).
func (s *catalogStore) TouchLastUsed(ctx context.Context, name string, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := s.c.scripts.touchLastUsed.Run(ctx, s.c.rdb, []string{s.datasets, s.lastUsed}, name, t.Unix()).Int()
	if err != nil {
		return s.c.fail("EVALSHA touch-last-used", s.lastUsed, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", catalog.ErrNotFound, name)
	}
	return nil
}

// LastUsed implements catalog.Store. The time is in UTC, to the second.
func (s *catalogStore) LastUsed(ctx context.Context, name string) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	raw, err := s.c.rdb.HGet(ctx, s.lastUsed, name).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, s.c.fail("HGET", s.lastUsed, err)
	}
	// Funnel Rocket writes integer seconds; accept a fraction too.
	sec, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last-used time of %s in %s is %q: %w", name, s.lastUsed, raw, err)
	}
	whole := int64(sec)
	return time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC(), true, nil
}

// decode parses a stored dataset and checks that it is stored under its own name.
func (s *catalogStore) decode(name, raw string) (*catalog.Dataset, error) {
	d := new(catalog.Dataset)
	if err := json.Unmarshal([]byte(raw), d); err != nil {
		return nil, fmt.Errorf("decode dataset %s in %s: %w", name, s.datasets, err)
	}
	if d.Name != name {
		return nil, fmt.Errorf("decode dataset %s in %s: stored as %q", name, s.datasets, d.Name)
	}
	return d, nil
}
