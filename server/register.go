package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/objstore"
)

// RegisterJobResult is the answer to a registration job.
type RegisterJobResult struct {
	Success      bool                 `json:"success"`
	ErrorMessage string               `json:"errorMessage,omitempty"`
	RequestID    string               `json:"requestId"`
	Stats        *JobStats            `json:"stats,omitempty"`
	Dataset      *catalog.DatasetInfo `json:"dataset,omitempty"`
}

// Register discovers, validates and stores a dataset, reporting progress (may be nil): discovery,
// then the inspection of each sampled part as a task. Invalid arguments are returned as an error; a
// job that started and failed returns a result with Success false.
func (e *Engine) Register(ctx context.Context, args catalog.RegisterArgs, progress ProgressFunc) (*RegisterJobResult, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &RegisterJobResult{RequestID: NewRequestID()}
	observe := func(ok bool) {
		if e.observer != nil {
			e.observer.ObserveRegister(args.Name, ok, time.Since(start))
		}
	}
	fail := func(err error) (*RegisterJobResult, error) {
		observe(false)
		res.ErrorMessage = err.Error()
		res.Stats = &JobStats{TotalTime: seconds(time.Since(start))}
		e.log.Warn("registration failed", "request_id", res.RequestID, "dataset", args.Name, "err", err)
		return res, nil
	}
	if loc, err := objstore.ParseLocation(args.BasePath); err == nil && loc.Scheme == "file" {
		if err := checkAllowedRoot(loc.Path, e.cfg.AllowedRoots); err != nil {
			return nil, err
		}
	}
	bucket, _, err := e.cfg.Buckets.Open(ctx, args.BasePath)
	if err != nil {
		return fail(err)
	}
	report := func(Progress) {}
	if progress != nil {
		report = progress
	}
	report(Progress{Stage: "STARTING", Message: "Discovering files in " + args.BasePath})
	ds, err := catalog.RegisterWithProgress(ctx, bucket, args, e.cfg.Register, func(done, total int) {
		tasks := map[string]int{}
		if done > 0 {
			tasks[cluster.StatusEndedSuccess] = done
		}
		if done < total {
			tasks[cluster.StatusRunning] = total - done
		}
		report(Progress{Stage: "RUNNING", Message: "Validating sampled files", Tasks: tasks})
	})
	if err != nil {
		return fail(err)
	}
	if err := e.store.Put(ctx, ds); err != nil {
		return fail(fmt.Errorf("store dataset %s: %w", ds.Name, err))
	}
	var size int64
	for _, p := range ds.Parts {
		size += p.Size
	}
	observe(true)
	info := ds.Info()
	res.Success = true
	res.Dataset = &info
	res.Stats = &JobStats{TotalTime: seconds(time.Since(start)), Dataset: &DatasetStats{TotalSize: size, Parts: len(ds.Parts)}}
	e.log.Info("dataset registered", "request_id", res.RequestID, "dataset", ds.Name, "parts", len(ds.Parts),
		"dur_ms", time.Since(start).Milliseconds())
	return res, nil
}

// ArgError is a request argument the server refuses; the API answers it with 400.
type ArgError struct {
	Field   string // JSON name of the argument
	Message string
}

func (e *ArgError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Message) }

// checkAllowedRoot refuses a local directory outside every allowed root (after resolving symbolic
// links, so a link cannot lead out). No roots means no restriction.
func checkAllowedRoot(dir string, roots []string) error {
	if len(roots) == 0 {
		return nil
	}
	resolve := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return r
		}
		return abs
	}
	target := resolve(dir)
	for _, root := range roots {
		rel, err := filepath.Rel(resolve(root), target)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return nil
		}
	}
	return &ArgError{Field: "basepath", Message: fmt.Sprintf("%s is outside the allowed roots (%s)", dir, strings.Join(roots, ", "))}
}

// UnregisterResult is the answer to an unregister request.
type UnregisterResult struct {
	Success         bool   `json:"success"`
	DatasetFound    bool   `json:"datasetFound"`
	DatasetLastUsed *int64 `json:"datasetLastUsed,omitempty"`
	ErrorMessage    string `json:"errorMessage,omitempty"`
}

// Unregister removes a dataset's metadata (never its files). A dataset queried less than the
// configured interval ago is kept unless force is set.
func (e *Engine) Unregister(ctx context.Context, name string, force bool) (*UnregisterResult, error) {
	if _, err := e.store.Get(ctx, name); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return &UnregisterResult{Success: true, DatasetFound: false}, nil
		}
		return nil, err
	}
	res := &UnregisterResult{DatasetFound: true}
	last, used, err := e.store.LastUsed(ctx, name)
	if err != nil {
		return nil, err
	}
	if used {
		ts := last.Unix()
		res.DatasetLastUsed = &ts
		ago := time.Since(last)
		if iv := e.cfg.UnregisterLastUsedInterval; !force && iv > 0 && ago < iv {
			res.ErrorMessage = fmt.Sprintf("Dataset was last used %d seconds ago, which is less than safety interval %d. Use the 'force' parameter to unregister anyway.",
				int(ago.Seconds()), int(iv.Seconds()))
			return res, nil
		}
	}
	found, err := e.store.Delete(ctx, name)
	if err != nil {
		return nil, err
	}
	res.Success, res.DatasetFound = true, found
	return res, nil
}
