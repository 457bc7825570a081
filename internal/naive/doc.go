// Package naive is a deliberately simple reference evaluator of the query language, used only by
// tests to check the engine (package worker) against an independent implementation.
//
// It reads a Parquet file row by row into plain maps (ReadFile) and answers a validated query over
// those rows (Evaluate) in the most obvious way: maps, nested loops and exact comparisons, with no
// attention to speed. It must not import scan, kernels or worker (it is their independent check),
// and only tests may import it.
//
// # Semantics
//
// Evaluate follows Funnel Rocket's execution semantics (reference section 2.9) with frocket's
// documented choices:
//   - Rows outside the timeframe (From inclusive, To exclusive) do not exist at all; a group with no
//     rows in the timeframe does not exist.
//   - A filter or filters condition counts its matching rows per group (all filters on the same row)
//     and compares the count, or the sum of a numeric column over those rows (nulls skipped), with
//     the target. Only groups with a matching row can match, except that includeZero adds the
//     groups with none (count targets only).
//   - A sequence condition matches when each step has a matching row strictly later than the
//     earliest matching row of the previous step (T0 = earliest match of step 0, Ti = earliest match
//     of step i with a timestamp greater than T(i-1)). MaxDuration and RowFound are ignored.
//   - The relation combines the conditions per group; with no conditions every group matches.
//   - Aggregations run over all rows of the matching groups; funnel step i holds the matching
//     groups that completed steps 0..i, its aggregations run over all their rows, and the end
//     aggregations over the last step's groups.
//   - A null never matches a filter, except with != and "not contains"; a NaN float is null;
//     strings compare bytewise; an INT column compared with a fractional literal compares exactly.
//   - Per-value aggregations skip null keys. Keys are integers in decimal, floats in Go's shortest
//     form (strconv.FormatFloat(f, 'g', -1, 64)), booleans "true"/"false".
package naive
