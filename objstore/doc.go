// Package objstore reads the parts (files) of a dataset from where they live: a local directory now,
// an S3-compatible bucket later.
//
// A dataset's base path is parsed by ParseLocation; a Bucket lists the objects under it that match a
// pattern (fnmatch rules, see Match) and opens them for random access. Errors are classified by
// functions (IsNotFound) so callers never branch on os or SDK error types.
//
// objstore imports only the standard library: it must not import scan, query, catalog or any package
// above them.
package objstore
