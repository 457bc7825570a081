package objstore

import (
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	ok := func(in string, want Location) {
		t.Helper()
		got, err := ParseLocation(in)
		if err != nil {
			t.Fatalf("ParseLocation(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("ParseLocation(%q) = %+v, want %+v", in, got, want)
		}
	}
	ok("/data/events", Location{Scheme: "file", Path: "/data/events"})
	ok("relative/dir", Location{Scheme: "file", Path: "relative/dir"})
	ok("file:///data/events", Location{Scheme: "file", Path: "/data/events"})
	ok("FILE://rel", Location{Scheme: "file", Path: "rel"})
	ok("s3://bucket/", Location{Scheme: "s3", Bucket: "bucket"})
	ok("s3://my-bucket.x/a/b", Location{Scheme: "s3", Bucket: "my-bucket.x", Prefix: "a/b/"})
	ok("s3://b_1/a/b/", Location{Scheme: "s3", Bucket: "b_1", Prefix: "a/b/"})

	bad := func(in, wantMsg string) {
		t.Helper()
		_, err := ParseLocation(in)
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Fatalf("ParseLocation(%q) error = %v, want one containing %q", in, err, wantMsg)
		}
	}
	bad("", "empty")
	bad("file://", "no directory")
	bad("s3://bucket", "invalid path: s3://bucket (protocol: S3)")
	bad("s3://bucket/a b", "(protocol: S3)")
	bad("s3:///prefix", "(protocol: S3)")
	bad("hdfs://x/y", "storage protocol 'hdfs' is not in supported list: ['FILE', 'S3']")
	bad("gs://x/y", "['FILE', 'S3']")
}

func TestLocationString(t *testing.T) {
	for _, in := range []string{"/data/x", "s3://b/p/", "s3://b/"} {
		l, err := ParseLocation(in)
		if err != nil {
			t.Fatal(err)
		}
		if l.String() != in {
			t.Errorf("String() = %q, want %q", l.String(), in)
		}
	}
}
