package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is a Bucket over the objects under one prefix of an S3 (or S3-compatible) bucket. Object names
// are keys relative to the prefix, so they may contain '/'. It is safe for concurrent use.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string // "" or ends with '/'
	// bodyRetries bounds the re-requests after a response body breaks off (the SDK retries only
	// until the response headers arrive); it is the client's retry count.
	bodyRetries int
	retryer     aws.Retryer
	// pageSize is the listing page size asked for; 0 leaves it to the server (at most 1,000).
	pageSize int32
}

var _ Bucket = (*S3)(nil)

// NewS3 returns a bucket over the objects of bucket whose keys start with prefix; a non-empty prefix
// gets a trailing '/' if it lacks one. It makes no request: a missing bucket is reported by List and
// Open. The client (see NewS3Client) sets the retries and timeouts.
func NewS3(client *s3.Client, bucket, prefix string) *S3 {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	b := &S3{client: client, bucket: bucket, prefix: prefix}
	if r := client.Options().Retryer; r != nil {
		b.retryer = r
		b.bodyRetries = max(r.MaxAttempts()-1, 0)
	}
	return b
}

// url returns s3://bucket/key.
func (b *S3) url(key string) string { return "s3://" + b.bucket + "/" + key }

// List implements Bucket. It pages through every key under the prefix (no 1,000-key limit) and
// matches the key relative to the prefix, so "*.pq" also matches "sub/x.pq" as in Funnel Rocket.
// Keys ending in '/' (folder markers) are skipped. An empty prefix is not an error; a missing bucket
// is.
func (b *S3) List(ctx context.Context, pattern string) ([]Object, error) {
	loc := b.url(b.prefix)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", loc, err)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket)}
	if b.prefix != "" {
		in.Prefix = aws.String(b.prefix)
	}
	if b.pageSize > 0 {
		in.MaxKeys = aws.Int32(b.pageSize)
	}
	objs := []Object{}
	pages := s3.NewListObjectsV2Paginator(b.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s3Error(ctx, "list", b.bucket, loc, "bucket "+b.bucket+" does not exist", err)
		}
		for _, o := range page.Contents {
			rel, ok := strings.CutPrefix(aws.ToString(o.Key), b.prefix)
			if !ok || rel == "" || strings.HasSuffix(rel, "/") || !Match(pattern, rel) {
				continue
			}
			objs = append(objs, Object{Name: rel, Size: aws.ToInt64(o.Size)})
		}
	}
	slices.SortFunc(objs, func(x, y Object) int { return strings.Compare(x.Name, y.Name) })
	return objs, nil
}

// Open implements Bucket. It asks for the object's size and entity tag (HEAD); each ReadAt is then one
// ranged GET that succeeds only while the object keeps that tag, so a replaced object gives an error
// instead of mixed content. Reads use ctx: canceling it stops them.
func (b *S3) Open(ctx context.Context, name string) (ReaderAtCloser, int64, error) {
	if name == "" {
		return nil, 0, fmt.Errorf("open %s: empty object name", b.url(b.prefix))
	}
	key := b.prefix + name
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", b.url(key), err)
	}
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, 0, s3Error(ctx, "open", b.bucket, b.url(key), "object (or its bucket) does not exist", err)
	}
	size := aws.ToInt64(out.ContentLength)
	if size < 0 {
		return nil, 0, fmt.Errorf("open %s: no object size in the response", b.url(key))
	}
	return &s3Reader{b: b, ctx: ctx, key: key, size: size, etag: aws.ToString(out.ETag)}, size, nil
}

// LocalPath implements Bucket: S3 objects are never local.
func (b *S3) LocalPath(string) string { return "" }

// Download writes the whole object to w with one streamed GET (for the part cache) and returns the
// number of bytes written. If the response body breaks off, it resumes from the bytes already written
// with a ranged GET pinned to the object's entity tag, up to the client's retry count. A missing object
// gives an error for which IsNotFound is true. On error, w may hold a prefix of the object.
func (b *S3) Download(ctx context.Context, name string, w io.Writer) (int64, error) {
	if name == "" {
		return 0, fmt.Errorf("download %s: empty object name", b.url(b.prefix))
	}
	key := b.prefix + name
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("download %s: %w", b.url(key), err)
	}
	return b.get(ctx, "download", key, 0, -1, "", w)
}

// get writes bytes [off, off+length) of the object at key (to its end when length < 0) to w, resuming
// after a broken body. A non-empty etag pins the object; when empty, the first response's tag pins
// the resumed requests.
func (b *S3) get(ctx context.Context, op, key string, off, length int64, etag string, w io.Writer) (int64, error) {
	loc := b.url(key)
	cw := &countingWriter{w: w}
	failures := 0
	for {
		in := &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)}
		start := off + cw.n
		ranged := start > 0 || length >= 0
		if ranged {
			r := "bytes=" + strconv.FormatInt(start, 10) + "-"
			if length >= 0 {
				r += strconv.FormatInt(off+length-1, 10)
			}
			in.Range = aws.String(r)
		}
		if etag != "" {
			in.IfMatch = aws.String(etag)
		}
		out, err := b.client.GetObject(ctx, in)
		if err != nil {
			return cw.n, s3Error(ctx, op, b.bucket, loc, "object (or its bucket) does not exist", err)
		}
		if etag == "" {
			etag = aws.ToString(out.ETag)
		}
		if ranged {
			if err := checkContentRange(aws.ToString(out.ContentRange), start); err != nil {
				out.Body.Close()
				return cw.n, fmt.Errorf("%s %s: %w", op, loc, err)
			}
		}
		// want is how many bytes this response must deliver, when known.
		want := int64(-1)
		if length >= 0 {
			want = length - cw.n
		} else if out.ContentLength != nil {
			want = *out.ContentLength
		}
		before := cw.n
		_, err = io.Copy(cw, out.Body)
		out.Body.Close()
		got := cw.n - before
		if cw.err != nil {
			return cw.n, fmt.Errorf("%s %s: write: %w", op, loc, cw.err)
		}
		if err == nil && want >= 0 && got < want {
			err = io.ErrUnexpectedEOF
		}
		if err == nil {
			return cw.n, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return cw.n, fmt.Errorf("%s %s: %w", op, loc, ctxErr)
		}
		if got > 0 {
			failures = 0 // progress: a long transfer may break more than bodyRetries times
		}
		failures++
		if failures > b.bodyRetries {
			return cw.n, fmt.Errorf("%s %s: body broke off after %d bytes, gave up after %d attempts: %s",
				op, loc, cw.n, failures, describeS3Error(err))
		}
		if err := b.sleepBeforeRetry(ctx, failures, err); err != nil {
			return cw.n, fmt.Errorf("%s %s: %w", op, loc, err)
		}
	}
}

// sleepBeforeRetry waits the client's backoff for the attempt, or until ctx ends.
func (b *S3) sleepBeforeRetry(ctx context.Context, attempt int, cause error) error {
	delay := 100 * time.Millisecond
	if b.retryer != nil {
		if d, err := b.retryer.RetryDelay(attempt, cause); err == nil {
			delay = d
		}
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// checkContentRange verifies that a ranged response starts at start: a server that ignores Range
// would otherwise hand over the object from its first byte.
func checkContentRange(cr string, start int64) error {
	// "bytes a-b/size"
	spec, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return fmt.Errorf("ranged read from byte %d: the server sent no Content-Range (%q)", start, cr)
	}
	first, _, ok := strings.Cut(spec, "-")
	if a, err := strconv.ParseInt(first, 10, 64); !ok || err != nil || a != start {
		return fmt.Errorf("ranged read from byte %d: the server sent Content-Range %q", start, cr)
	}
	return nil
}

// countingWriter counts the bytes written and keeps the writer's error apart from the reader's.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// bufferWriter fills a fixed buffer and refuses any byte past its end.
type bufferWriter struct {
	buf []byte
	n   int
}

var errTooMuchData = errors.New("the server sent more bytes than asked for")

func (w *bufferWriter) Write(p []byte) (int, error) {
	n := copy(w.buf[w.n:], p)
	w.n += n
	if n < len(p) {
		return n, errTooMuchData
	}
	return n, nil
}

// s3Reader reads one object by ranged GETs. It is safe for concurrent use.
type s3Reader struct {
	b      *S3
	ctx    context.Context // from Open
	key    string
	size   int64
	etag   string
	closed atomic.Bool
}

// ReadAt implements io.ReaderAt: it fills p unless the object ends first, in which case it returns
// the bytes up to the end and io.EOF.
func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, fmt.Errorf("read %s: %w", r.b.url(r.key), os.ErrClosed)
	}
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", r.b.url(r.key), off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.size-off)
	w := &bufferWriter{buf: p[:n]}
	got, err := r.b.get(r.ctx, "read", r.key, off, n, r.etag, w)
	if err != nil {
		return int(got), err
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// Close implements io.Closer; later reads fail. No connection is held between reads.
func (r *s3Reader) Close() error {
	r.closed.Store(true)
	return nil
}
