// Package worker answers one query task over one part (file): it decodes the columns the query uses
// (package scan), compiles the validated query into kernel calls for that file (a string literal becomes
// a lookup table over the file's dictionary, a numeric literal a typed comparison), runs them (package
// kernels) and returns the part's query.Partial.
//
// It is the only package where scan and kernels meet. It must not import server, cluster or cmd.
//
// # Plan of one task
//
//  1. Decode the used columns restricted to the timeframe (the timestamp column only for a timeframe,
//     a sequence or a funnel). A sorted file keeps its (group, timestamp) order; an unsorted one is
//     evaluated in file order through per-row group ids and the kernels' ByRow variants, unless the
//     table goes into a ColumnCache, where it is sorted once for every later query. The empty query
//     only counts groups and rows. With Task.Buffers the decoded slices are recycled between tasks.
//  2. Every filter becomes a row bitset; identical filters are computed once per file. A STRING filter
//     is evaluated once per dictionary entry; one that selects a single code (or all but one) is one
//     AVX2 compare pass over the codes, and the == filters of a sequence's steps on one column share
//     one read of its codes (kernels.EqualCodesMulti). A cached table of a STRING column of at most 16 codes keeps one
//     mask per code (codeindex.go), each built on first use, so a filter on a warm part is a reference
//     to a mask (equality) or an OR of a few.
//  3. Conditions become group sets (roaring bitmaps): filter and filters conditions count (or sum) their
//     matching rows per group and compare with the target; sequence conditions walk each group once with
//     a cursor per step.
//  4. The relation combines the condition sets with AND/OR; no conditions means every group.
//  5. Aggregations run over all rows of the matching groups; per-value aggregations index arrays by
//     dictionary code (numeric and boolean columns are dictionary-encoded once per file).
//  6. The funnel walks the matching groups once; step i holds the groups that completed steps 0..i.
//     Without step aggregations the steps' group and row totals come from one pass over the groups.
package worker
