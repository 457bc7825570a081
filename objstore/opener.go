package objstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Opener opens the Bucket of a dataset base path. It creates the S3 client on first use and shares
// it, so a process that never touches S3 never needs S3 configuration. Safe for concurrent use.
type Opener struct {
	S3Config S3Config

	once   sync.Once
	client *s3.Client
	err    error
}

// Open returns the bucket of basePath and its parsed location.
func (o *Opener) Open(ctx context.Context, basePath string) (Bucket, Location, error) {
	loc, err := ParseLocation(basePath)
	if err != nil {
		return nil, loc, err
	}
	if loc.Scheme == "file" {
		return NewLocal(loc.Path), loc, nil
	}
	o.once.Do(func() {
		o.client, o.err = NewS3Client(context.WithoutCancel(ctx), o.S3Config)
	})
	if o.err != nil {
		return nil, loc, fmt.Errorf("S3 client: %w", o.err)
	}
	return NewS3(o.client, loc.Bucket, loc.Prefix), loc, nil
}
