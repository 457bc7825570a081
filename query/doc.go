// Package query is frocket's JSON query language: its types, the parser, the expansion of
// shorthands and defaults, validation against a dataset's schema, the relation expression parser,
// and the partial results of one part with their exact merge.
//
// # Pipeline
//
// A query document goes through four stages; each reports every problem it finds, and a stage runs
// only when the ones before it found none (Compile runs them all):
//
//  1. syntax: a body that is not JSON is one PARSE error with its line and column;
//  2. shape (Parse): unknown or repeated keys, wrong JSON types, unknown operators and aggregation
//     types, missing keys, mixed condition shapes, a target on a sequence condition, count target
//     values that are not integers >= 0, rowFound false: SCHEMA errors;
//  3. language (Expand): includeZero against its target (TYPE_MISMATCH), otherColumn and names
//     (SCHEMA), the relation (RELATION), timeframe.to > timeframe.from (SCHEMA);
//  4. dataset (Validate with a Schema): missing or unsupported columns (DATASET_MISMATCH), operators,
//     values, sum and otherColumn columns that do not suit a column's type and the timeframe scale
//     check (TYPE_MISMATCH).
//
// # Paths
//
// Every Error carries the JSON path of the offending element, such as query.conditions[1].filter.value.
// Parse's paths point into the document as written (the value of a shorthand filter is filter[2],
// an aggregation in the object form is query.aggregations.columns[0]); the later stages' paths point
// into the Query struct (filter.value, query.aggregations[0]), with an aggregation's index taken
// before expansion. A key that is not an identifier is written in brackets: query["a b"].
//
// # Compatibility
//
// The language is Funnel Rocket's, with these differences (see DESIGN.md): aggregations may also be
// written as {"columns": [...]}; an aggregation may have a "top"; STRING columns accept >, >=, <, <=
// (bytewise) and not contains; an INT column may be compared with a fraction; a filter missing its
// value is a SCHEMA error rather than an unexpected one; an explicitly empty name counts as absent;
// duplicate keys are errors; rowFound false is refused until it is implemented, maxDuration is kept
// and not yet used. As in the original, condition names are matched in a relation ignoring case and,
// of two names that differ only in case, the later condition wins.
//
// This package imports only the standard library; it must not import scan, kernels or any I/O
// package.
package query
