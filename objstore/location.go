package objstore

import (
	"fmt"
	"regexp"
	"strings"
)

// Location is a parsed dataset base path: a plain path, file://path, or s3://bucket/prefix.
type Location struct {
	// Scheme is "file" or "s3".
	Scheme string
	// Path is the local directory (Scheme "file"), as given, without the file:// prefix.
	Path string
	// Bucket and Prefix locate the objects of Scheme "s3". Prefix is "" or ends with '/', so a
	// relative object name is the key with Prefix cut off.
	Bucket, Prefix string
}

var (
	schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.\-]*)://`)
	s3PathRE = regexp.MustCompile(`^s3://([A-Za-z0-9_\-.]+)/([A-Za-z0-9_\-./]*)$`)
)

// ParseLocation parses a dataset base path. A path without a scheme:// prefix is local, file://x means
// the local path x, and s3://bucket/prefix must match ^s3://[A-Za-z0-9_\-.]+/[A-Za-z0-9_\-./]*$.
// Any other scheme is an error listing the supported ones.
func ParseLocation(basePath string) (Location, error) {
	if strings.TrimSpace(basePath) == "" {
		return Location{}, fmt.Errorf("invalid path: empty base path")
	}
	m := schemeRE.FindStringSubmatch(basePath)
	if m == nil {
		return Location{Scheme: "file", Path: basePath}, nil
	}
	switch strings.ToLower(m[1]) {
	case "file":
		p := basePath[len(m[0]):]
		if p == "" {
			return Location{}, fmt.Errorf("invalid path: %s (protocol: FILE): no directory", basePath)
		}
		return Location{Scheme: "file", Path: p}, nil
	case "s3":
		sm := s3PathRE.FindStringSubmatch(basePath)
		if sm == nil {
			return Location{}, fmt.Errorf("invalid path: %s (protocol: S3)", basePath)
		}
		prefix := sm[2]
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		return Location{Scheme: "s3", Bucket: sm[1], Prefix: prefix}, nil
	}
	return Location{}, fmt.Errorf("storage protocol '%s' is not in supported list: ['FILE', 'S3']", m[1])
}

// String returns the location in canonical form: a local path, or s3://bucket/prefix.
func (l Location) String() string {
	if l.Scheme == "s3" {
		return "s3://" + l.Bucket + "/" + l.Prefix
	}
	return l.Path
}
