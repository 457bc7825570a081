package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/server"
)

// backend is what the dataset commands run against: the embedded engine, or an API server
// (--server URL).
type backend interface {
	Register(ctx context.Context, args catalog.RegisterArgs, progress server.ProgressFunc) (*server.RegisterJobResult, error)
	List(ctx context.Context) ([]catalog.DatasetInfo, error)
	// Info returns a dataset's basic info, parts and schema (full or short), as JSON documents.
	Info(ctx context.Context, name string, full bool) ([]any, error)
	Query(ctx context.Context, name string, body []byte, progress server.ProgressFunc) (*server.QueryJobResult, error)
	Unregister(ctx context.Context, name string, force bool) (*server.UnregisterResult, error)
}

// backend returns the API server client when --server (or FROCKET_SERVER) is set, else the embedded
// engine.
func (env *cliEnv) backend() (backend, error) {
	url := env.serverURL
	if url == "" {
		url = os.Getenv("FROCKET_SERVER")
	}
	if url == "" {
		eng, err := env.engine()
		if err != nil {
			return nil, err
		}
		return localBackend{eng}, nil
	}
	token := os.Getenv("FROCKET_API_TOKEN")
	return remoteBackend{&server.Client{BaseURL: url, Token: token}}, nil
}

type localBackend struct{ e *server.Engine }

func (b localBackend) Register(ctx context.Context, args catalog.RegisterArgs, progress server.ProgressFunc) (*server.RegisterJobResult, error) {
	return b.e.Register(ctx, args, progress)
}

func (b localBackend) List(ctx context.Context) ([]catalog.DatasetInfo, error) {
	list, err := b.e.Store().List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]catalog.DatasetInfo, len(list))
	for i, d := range list {
		out[i] = d.Info()
	}
	return out, nil
}

func (b localBackend) Info(ctx context.Context, name string, full bool) ([]any, error) {
	ds, err := b.e.Store().Get(ctx, name)
	if err != nil {
		return nil, err
	}
	var schema any = ds.ShortSchema()
	if full {
		schema = ds.FullSchema()
	}
	return []any{ds.Info(), ds.PartsInfo(), schema}, nil
}

func (b localBackend) Query(ctx context.Context, name string, body []byte, progress server.ProgressFunc) (*server.QueryJobResult, error) {
	return b.e.Query(ctx, name, body, progress)
}

func (b localBackend) Unregister(ctx context.Context, name string, force bool) (*server.UnregisterResult, error) {
	return b.e.Unregister(ctx, name, force)
}

type remoteBackend struct{ c *server.Client }

func (b remoteBackend) Register(ctx context.Context, args catalog.RegisterArgs, progress server.ProgressFunc) (*server.RegisterJobResult, error) {
	return b.c.Register(ctx, args)
}

func (b remoteBackend) List(ctx context.Context) ([]catalog.DatasetInfo, error) { return b.c.List(ctx) }

func (b remoteBackend) Info(ctx context.Context, name string, full bool) ([]any, error) {
	list, err := b.c.List(ctx)
	if err != nil {
		return nil, err
	}
	var info *catalog.DatasetInfo
	for i := range list {
		if list[i].ID.Name == name {
			info = &list[i]
		}
	}
	if info == nil {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNotFound, name)
	}
	parts, err := b.c.Parts(ctx, name)
	if err != nil {
		return nil, err
	}
	schema, err := b.c.Schema(ctx, name, full)
	if err != nil {
		return nil, err
	}
	return []any{info, parts, json.RawMessage(schema)}, nil
}

func (b remoteBackend) Query(ctx context.Context, name string, body []byte, progress server.ProgressFunc) (*server.QueryJobResult, error) {
	return b.c.Query(ctx, name, body, progress)
}

func (b remoteBackend) Unregister(ctx context.Context, name string, force bool) (*server.UnregisterResult, error) {
	return b.c.Unregister(ctx, name, force)
}
