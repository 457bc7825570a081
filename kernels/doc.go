// Package kernels holds the pure compute of a query over one file's columns: row predicates as
// bitsets, per-group counts, sums and targets, sequence and funnel matching with one cursor per
// group, aggregations over group sets and dictionary encoding of non-string columns.
//
// # Data model
//
// A table of R rows is ordered by (group, timestamp). starts has G+1 entries and group g owns the
// rows [starts[g], starts[g+1]); starts[0] == 0 and starts[G] == R. Timestamps ts are
// order-preserving int64 keys, non-decreasing within a group. A column is a typed slice of R values
// with an optional null bitmap (bit i set when row i is null; nil when no row is null). String
// columns (and non-string columns after EncodeInt64, EncodeFloat64 or EncodeBool) are uint32 codes
// into a per-file dictionary, and a null row holds the code len(dict). Row sets are Bitsets of
// (R+63)/64 words with the bits past R zero. Group sets are roaring bitmaps of group indexes < G.
//
// The "ByRow" kernels (byrow.go) take the rows of an unsorted file as they are: instead of starts
// they get groupOf, each row's group index < G, scatter into per-group or per-code arrays, and take
// group sets as Bitsets over group indexes. Sequences then make one pass per step (see
// SequenceReachByRow), so an unsorted file never needs sorting.
//
// # Contract
//
// Kernels write into caller-supplied buffers and do not allocate, except the Encode functions,
// which return a new dictionary, the Target and GroupsReaching functions, which build a dense bitset
// of the groups and grow the destination bitmap with it, and GroupsPerCodePairsByRow, a fallback
// that collects pairs. They return no errors and do not check their preconditions: each function
// documents what the caller must guarantee (lengths, code ranges, sortedness), and the caller
// (package worker) stops bad input at its boundary. Inner loops hold no interface calls, closures,
// maps, defer or allocation; the variant for an operator is chosen once per call.
//
// Bounds checks (`make bce` lists those the compiler keeps, from -gcflags=-d=ssa/check_bce): the
// per-row loops of the predicates run over fixed-size views of 64 rows ((*[64]T)), so they carry
// none; what remains is one check per 64-row word or per group, and the checks on data-dependent
// indexes (a lookup table indexed by code, a counter indexed by group, a row found in a mask),
// which are predictable and keep a broken precondition from reading outside a slice. The
// sequence walk, where the checks and register spills did cost, runs in assembly.
//
// This package imports only the standard library, github.com/RoaringBitmap/roaring/v2 and
// golang.org/x/sys/cpu (to detect AVX2 for EqualCodes, BMI1 and BMI2 for SequenceReach's walk in
// assembly, reach_amd64.s; the Go versions are their twins elsewhere and under -tags purego): no I/O,
// no JSON, no logging.
package kernels
