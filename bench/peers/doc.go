// Command peers measures frocket side by side with DuckDB on the same Parquet files, on the same
// machine, in the same run, and checks that both engines give the same answers.
//
// It lives in its own Go module (github.com/frocket/frocket/bench/peers) because the DuckDB driver
// needs cgo and a static library, while the main module stays cgo-free. It imports bench, catalog,
// objstore, query and worker from the main module through a replace directive.
//
// # Running
//
// From the repository root (the Makefile exports CGO_ENABLED=0, so the target must set it back):
//
//	cd bench/peers && CGO_ENABLED=1 go run . --scale 10M --reps 3 --json ../../bench-data/peers-10M.json
//
// --scale 1M is a quick run; 100M and 500M make 100 and 500 files of a million rows each. The
// datasets are written under ./bench-data in the repository root (--data DIR elsewhere), one
// directory per layout, and reused while their spec.json matches. --queries and --layouts take
// regular expressions over the names; --sql prints each DuckDB statement; --threads N gives both
// engines N threads (rows/s are then reported per thread). The exit status is 0 when every answer
// matched, 1 on a mismatch or error (both answers are printed), 2 on a command-line mistake.
//
// # What is measured
//
// For each layout (files sorted by (userId, timestamp), and the same rows shuffled within each
// file) and each query, best of --reps runs per engine:
//   - frocket: the query is compiled, then the parts are answered one after another on one goroutine
//     (worker.Run: open, decode the used columns, kernels) and the partial results merged. GOMAXPROCS
//     is left as it is, so the garbage collector may use another core.
//   - DuckDB: an in-memory database with SET threads = 1 runs one statement over
//     read_parquet('dir/*.parquet') and the harness reads every result row. DuckDB's defaults are
//     kept, including its caches of Parquet metadata and file contents between runs.
//
// A third layout, sorted-warm, reads the sorted files with a worker.ColumnCache that one
// unmeasured frocket run has filled: the speed of a query repeated (or refined) over the same
// files, as on a warm worker. DuckDB runs as in the other layouts, with its default caches.
//
// Throughput is the dataset's rows divided by the wall time, and the ratio is frocket's over
// DuckDB's. The first three queries carry the project's targets (see queries.go).
//
// # Answers
//
// The DuckDB statement is written from the validated query by sqlOf, to frocket's semantics: rows
// outside the timeframe do not exist; a null matches only != and not contains; count targets need a
// matching row unless includeZero; sequences and funnels are chains of per-user minimum timestamps,
// each strictly later than the previous step's (list(ts) FILTER per step, reduced with
// list_filter/list_min); aggregations run over every row of the matching users. The harness
// compares matchingGroups and matchingGroupRows of the query and of every funnel step, and the
// complete per-value maps of every aggregation (counts exactly, sums to a relative 1e-9), before
// any top-N cut.
package main
