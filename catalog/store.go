package catalog

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is wrapped by the errors a Store returns for a dataset it does not hold.
var ErrNotFound = errors.New("catalog: dataset not found")

// Store keeps dataset metadata. Implementations: FileStore now, a Redis one later (package cluster).
// Implementations are safe for concurrent use; every method is atomic with respect to the others.
type Store interface {
	// Get returns the dataset named name, or an error wrapping ErrNotFound when absent. The caller
	// owns the returned value.
	Get(ctx context.Context, name string) (*Dataset, error)
	// List returns every dataset, sorted by RegisteredAt descending (then by name).
	List(ctx context.Context) ([]*Dataset, error)
	// Put stores d, replacing a dataset of the same name, and clears that name's last-used time.
	Put(ctx context.Context, d *Dataset) error
	// Delete removes the dataset's metadata (never its files) and its last-used time, and reports
	// whether it was there. Deleting an absent dataset is not an error.
	Delete(ctx context.Context, name string) (bool, error)
	// TouchLastUsed records t as the time the dataset was last queried; an error wrapping ErrNotFound
	// when the dataset is absent.
	TouchLastUsed(ctx context.Context, name string, t time.Time) error
	// LastUsed returns the dataset's last-used time; false when there is none (never queried since it
	// was registered, or absent).
	LastUsed(ctx context.Context, name string) (time.Time, bool, error)
}
