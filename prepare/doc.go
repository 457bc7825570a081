// Package prepare turns any set of Parquet files into a frocket dataset: Files Parquet files
// partitioned by group (user) id, each sorted by (group, timestamp), named part-00000.parquet,
// part-00001.parquet, ... It re-implements the repartition tool of Funnel Rocket.
//
// Users are placed exactly like bench's generator places them (bench.PartOfInt64UserID for
// integer ids, bench.PartOfStringUserID for string ids), so a prepared copy of a generated
// dataset has the same users in the same parts.
//
// # Passes
//
// Run works in two passes with bounded memory:
//
//  1. Map: input row groups are decoded in parallel (one row group per worker at a time), every
//     row is routed to its output part and appended to that worker's buffer for the part; when a
//     worker's buffers reach half its share of Config.MemoryBytes (they grow by doubling) they
//     are appended as blocks to one spill file per part in a private temporary directory.
//  2. Reduce: parts are processed in parallel under a byte semaphore of Config.MemoryBytes. A
//     part whose rows, sort keys and writer buffers fit in the budget is loaded, sorted and
//     written; a larger one gets an even share of the budget, is cut into sorted runs of about
//     that share, and the runs are merged (in passes of at most 32 runs when there are more)
//     straight into the output file. Output files are written under temporary names in the
//     output directory and renamed into place once all of them are written.
//
// Rows are ordered by (group, timestamp, input position), where the input position is the
// input file (in path order) and the row within it: equal (group, timestamp) pairs keep their
// input order, and the output does not depend on scheduling or on the memory budget.
//
// The budget covers the buffers of both passes and an estimate of the Parquet writers' buffers
// (one output row group). It does not cover one decoded input row group per worker (inputs
// with huge row groups need memory for them), a writer's buffers when one output row group is
// larger than a part's share, or the garbage collector's headroom: a process that must stay
// within a limit sets one (runtime/debug.SetMemoryLimit; the frocket command does).
//
// # Output
//
// Columns keep their names, order, physical and logical types and nullability. Integer columns
// of 64 bits are DELTA_BINARY_PACKED; string columns are dictionary encoded when the first
// RowGroupRows input rows hold at most half as many distinct values as rows, plain otherwise;
// everything is snappy compressed but an INT64 timestamp column (its delta-packed values, a
// backward jump at every group, are near-random bits that snappy does not shrink; see package
// bench), with column statistics. Row groups hold RowGroupRows rows.
// Each file declares the sorting columns (group, timestamp) and carries the key-value metadata
// entry bench.SortedMetadataKey = "<group>,<timestamp>". Parts that receive no rows are written
// with zero rows, so there are always Files files.
//
// Nested, repeated and other columns the query engine cannot read (see scan) are an error, or
// are left out with Config.DropUnsupported. Null group ids and null or NaN timestamps are
// errors naming the file and column.
//
// # Format
//
// A spill file (and a sorted run, which has the same format) is a sequence of blocks:
//
//	uvarint rows
//	uvarint raw length
//	uvarint compressed length
//	snappy block of the raw bytes
//
// The raw bytes hold the block's columns in schema order, then the input positions:
//
//	optional column   null bitmap: (rows+7)/8 bytes, least significant bit first, 1 = null
//	BOOLEAN           rows bytes, 0 or 1
//	INT32, FLOAT      rows x 4 bytes, little endian (nulls hold 0)
//	INT64, DOUBLE     rows x 8 bytes, little endian (nulls hold 0)
//	BYTE_ARRAY        rows x uint32 little-endian lengths, then the bytes (nulls are empty)
//	input positions   rows x int64, little endian
//
// prepare may import scan and bench; it must not import server, worker, cluster or cmd, and it
// never logs.
package prepare
