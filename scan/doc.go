// Package scan decodes Parquet files into typed column slices for the kernels.
//
// It reads only the requested columns into typed slices (no boxed values, no reflection per
// row): integers into []int64, floats into []float64, booleans into []bool and strings into
// []uint32 codes over one dictionary per file, each distinct string interned once per file.
// Row groups whose timestamp statistics fall outside the requested timeframe are skipped, the
// remaining rows are filtered exactly, and the rows end up ordered by (group, timestamp).
//
// An already ordered file is detected in one pass, which also finds the group starts, and left
// as is. When the file declares that order (Parquet's sorting_columns: group, then timestamp,
// ascending) and the request does not name the group column among its columns, the group values
// are needed only for that pass: each row group's go into one reused buffer and the table keeps
// the group starts alone (Table.Group.Ints is nil). A file whose rows turn out not to be in the
// declared order has its group values decoded in full after all. When every row is kept and the group column is an integer, that pass runs on each row
// group's rows right after they are decoded, while they are in cache; for int64 groups it
// checks 64 rows per step with AVX2 where the CPU has it (runs_amd64.s), with the Go loop
// (branch-free for short runs) as its twin. Any other file is grouped by a dense per-row
// group id (a direct table or an open-addressing hash of the ids, then a counting sort), each
// group's few rows sorted by timestamp, and the permutation applied to every column. A caller
// that can evaluate rows in any order asks for Request.Unordered and gets the group ids instead
// of a sort; one that needs only the number of groups asks for Request.CountGroupsOnly. Buffers
// recycles the slices (and the group starts) of released tables.
//
// Inspect reads a whole file for dataset registration: it validates the group and timestamp
// columns and returns per-column statistics.
//
// # Decoding
//
// Each column chunk first goes to the fast path (chunk.go): the chunk's byte range is read with
// one ReadAt into a reused buffer, each page header is parsed in place (thrift compact protocol,
// pageheader.go), its CRC checked when present, its body decompressed (uncompressed or snappy)
// into a reused buffer and decoded straight into the column's slice: DELTA_BINARY_PACKED INT32
// and INT64 (a block's miniblocks bit-unpacked into the destination, then one running sum in
// place; for INT64 deltas of at most 32 bits, with AVX2, unpacking and running sum in one pass
// of eight values per load, unpacksum.go), PLAIN INT32/INT64/FLOAT/DOUBLE/BOOLEAN/BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY, and
// RLE_DICTIONARY/PLAIN_DICTIONARY indexes (RLE/bit-packed hybrid) mapped through the chunk's
// dictionary, converted once (for STRING dictionaries of up to 16 entries, eight indexes per
// AVX2 table lookup). Definition levels (v1: RLE after a 4-byte length; v2: before the
// values, never compressed) place the values and mark the nulls. Data pages v1 and v2 both. In
// an uncompressed chunk of a required INT64 or DOUBLE column, PLAIN pages are read straight into
// the column's slice, page by page (direct.go).
//
// A chunk the fast path does not handle (another codec or encoding, BIT_PACKED levels,
// encryption, a decompressed size other than the header's) goes to parquet-go's page reader,
// whose typed pages are copied into the column's slices; both give identical tables.
//
// # Errors
//
// Every error names the file. Files that cannot be opened as Parquet wrap ErrNotParquet; data
// that turns out to be corrupt while decoding wraps ErrCorrupt and names the column and row
// group: a bad page header, lengths past a buffer, a bit width or dictionary index out of range,
// counts that do not add up, a checksum mismatch. Decoding never writes outside the column's
// slices. A panic raised by the Parquet library on malformed input is recovered and returned as
// one of these two errors.
//
// scan imports only the standard library, parquet-go with its bitpack module, klauspost/compress
// (snappy) and golang.org/x/sys/cpu (AVX2 detection); it must not import any other frocket package,
// and it never logs.
package scan
