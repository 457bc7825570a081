// Package objstore reads the parts (files) of a dataset from where they live: a local directory or an
// S3-compatible bucket (AWS S3, MinIO, versitygw, ...).
//
// A dataset's base path is parsed by ParseLocation; a Bucket lists the objects under it that match a
// pattern (fnmatch rules, see Match) and opens them for random access; an Opener turns base paths into
// Buckets, sharing one S3 client. Errors are classified by functions (IsNotFound, IsAccessDenied) so
// callers never branch on os or SDK error types.
//
// objstore imports the standard library and the AWS SDK only: it must not import scan, query,
// catalog or any package above them.
package objstore
