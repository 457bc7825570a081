// Package scan decodes Parquet files into typed column slices for the kernels.
//
// It reads only the requested columns, page by page, straight from the typed page buffers of
// parquet-go (no boxed values, no reflection per row): integers into []int64, floats into
// []float64, booleans into []bool and strings into []uint32 codes over one dictionary per file.
// Row groups whose timestamp statistics fall outside the requested timeframe are skipped, the
// remaining rows are filtered exactly, and the rows end up ordered by (group, timestamp): an
// already ordered file is detected in one pass (which also finds the group starts) and left as
// is, any other is grouped by a dense per-row group id (a direct table or an open-addressing hash
// of the ids, then a counting sort), each group's few rows sorted by timestamp, and the
// permutation applied to every column. A caller that can evaluate rows in any order asks for
// Request.Unordered and gets the group ids instead of a sort; one that needs only the number of
// groups asks for Request.CountGroupsOnly. Buffers recycles the slices of released tables.
//
// Inspect reads a whole file for dataset registration: it validates the group and timestamp
// columns and returns per-column statistics.
//
// # Errors
//
// Every error names the file. Files that cannot be opened as Parquet wrap ErrNotParquet; data
// that turns out to be corrupt while decoding wraps ErrCorrupt. A panic raised by the Parquet
// library on malformed input is recovered and returned as one of these two errors.
//
// scan imports only the standard library and parquet-go; it must not import any other frocket
// package, and it never logs.
package scan
