package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

// registerDataset registers the Parquet files of dir as a frocket dataset (not stored anywhere).
func registerDataset(ctx context.Context, name, dir string) (*catalog.Dataset, error) {
	args := catalog.RegisterArgs{
		Name: name, BasePath: dir, GroupColumn: "userId", TimestampColumn: "timestamp",
		ValidationMode: catalog.ValidateFirstLast, ValidateUniques: true,
	}
	ds, err := catalog.Register(ctx, objstore.NewLocal(dir), args, catalog.DefaultRegisterConfig())
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", dir, err)
	}
	return ds, nil
}

// compileQuery validates a query document against a dataset.
func compileQuery(body []byte, ds *catalog.Dataset) (*query.Validated, error) {
	v, errs := query.Compile(body, ds.QuerySchema(), query.DefaultConfig())
	if len(errs) > 0 {
		return nil, errs
	}
	return v, nil
}

// runFrocket answers body over every part of ds in dir, workers parts at a time (each part on one
// goroutine, as an embedded worker does), and merges the partial results. cache, when not nil,
// keeps decoded columns between runs; bufs, when not nil, recycles the memory of decoded columns
// between parts (as an embedded worker pool does). The query is compiled
// inside, so its cost is part of the measured time.
func runFrocket(ctx context.Context, ds *catalog.Dataset, dir string, body []byte, workers int, cache *worker.ColumnCache, bufs *scan.Buffers) (*query.Partial, error) {
	v, err := compileQuery(body, ds)
	if err != nil {
		return nil, err
	}
	task := func(name string) (*query.Partial, error) {
		p, _, err := worker.Run(ctx, worker.Task{
			Path: filepath.Join(dir, filepath.FromSlash(name)), GroupColumn: ds.GroupColumn,
			TimestampColumn: ds.TimestampColumn, Query: v, Columns: cache, Buffers: bufs,
		})
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", name, err)
		}
		return p, nil
	}
	if workers <= 1 {
		var total *query.Partial
		for _, part := range ds.Parts {
			p, err := task(part.Name)
			if err != nil {
				return nil, err
			}
			if total == nil {
				total = p
			} else if err := total.Merge(p); err != nil {
				return nil, fmt.Errorf("merge part %s: %w", part.Name, err)
			}
		}
		return total, nil
	}

	var (
		mu       sync.Mutex
		total    *query.Partial
		firstErr error
		wg       sync.WaitGroup
	)
	names := make(chan string)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				p, err := task(name)
				mu.Lock()
				switch {
				case firstErr != nil:
				case err != nil:
					firstErr = err
				case total == nil:
					total = p
				default:
					if err := total.Merge(p); err != nil {
						firstErr = fmt.Errorf("merge part %s: %w", name, err)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, part := range ds.Parts {
		names <- part.Name
	}
	close(names)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return total, nil
}
