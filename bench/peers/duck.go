package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	// The DuckDB driver registers itself as "duckdb" with database/sql.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/frocket/frocket/query"
)

// duck is an in-memory DuckDB database limited to a number of threads.
type duck struct {
	db *sql.DB
}

// openDuck opens an in-memory DuckDB with threads worker threads, on a single connection so that
// the settings hold for every statement.
func openDuck(ctx context.Context, threads int) (*duck, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		db.Close()
		return nil, fmt.Errorf("set duckdb threads: %w", err)
	}
	return &duck{db: db}, nil
}

func (d *duck) Close() error { return d.db.Close() }

// version returns DuckDB's version string.
func (d *duck) version(ctx context.Context) (string, error) {
	var v string
	if err := d.db.QueryRowContext(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("duckdb version: %w", err)
	}
	return v, nil
}

// run executes a statement written by sqlOf for v and reads its rows into an answer.
func (d *duck) run(ctx context.Context, stmt string, v *query.Validated) (*answer, error) {
	a := skeleton(v.Query)
	rows, err := d.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("duckdb query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind      string
			step, idx int
			ks        sql.NullString
			ki        sql.NullInt64
			kd        sql.NullFloat64
			kb        sql.NullBool
			n, r      int64
			s         float64
		)
		if err := rows.Scan(&kind, &step, &idx, &ks, &ki, &kd, &kb, &n, &r, &s); err != nil {
			return nil, fmt.Errorf("duckdb row: %w", err)
		}
		if err := a.addRow(kind, step, idx, rowKey(ks, ki, kd, kb), n, r, s); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duckdb rows: %w", err)
	}
	return a, nil
}

// rowKey formats a per-value key as frocket does: integers in decimal, floats in Go's shortest
// form, booleans "true"/"false"; nil for a row without a key.
func rowKey(ks sql.NullString, ki sql.NullInt64, kd sql.NullFloat64, kb sql.NullBool) *string {
	var k string
	switch {
	case ks.Valid:
		k = ks.String
	case ki.Valid:
		k = strconv.FormatInt(ki.Int64, 10)
	case kd.Valid:
		k = strconv.FormatFloat(kd.Float64, 'g', -1, 64)
	case kb.Valid:
		k = strconv.FormatBool(kb.Bool)
	default:
		return nil
	}
	return &k
}

// skeleton returns an empty answer shaped like q's result: every aggregation in place, the funnel's
// steps allocated.
func skeleton(q *query.Query) *answer {
	aggs := func(as []query.Aggregation) []aggAnswer {
		if len(as) == 0 {
			return nil
		}
		out := make([]aggAnswer, len(as))
		for i, a := range as {
			out[i] = aggAnswer{Column: a.Column, Type: a.Type}
		}
		return out
	}
	a := &answer{}
	if q.Query != nil {
		a.Aggs = aggs(q.Query.Aggregations)
	}
	if f := q.Funnel; f != nil {
		a.Steps = make([]stepAns, len(f.Sequence))
		for i := range a.Steps {
			a.Steps[i].Aggs = aggs(f.StepAggregations)
		}
		a.EndAggs = aggs(f.EndAggregations)
	}
	return a
}

// addRow adds one result row (see resultColumns) to a.
func (a *answer) addRow(kind string, step, idx int, key *string, n, r int64, s float64) error {
	var aggs []aggAnswer
	switch kind {
	case "query":
		a.Groups, a.Rows = n, r
		return nil
	case "step":
		if step < 0 || step >= len(a.Steps) {
			return fmt.Errorf("duckdb answered step %d of %d", step, len(a.Steps))
		}
		a.Steps[step].Groups, a.Steps[step].Rows = n, r
		return nil
	case "qagg":
		aggs = a.Aggs
	case "sagg":
		if step < 0 || step >= len(a.Steps) {
			return fmt.Errorf("duckdb answered step %d of %d", step, len(a.Steps))
		}
		aggs = a.Steps[step].Aggs
	case "eagg":
		aggs = a.EndAggs
	default:
		return fmt.Errorf("duckdb answered an unknown row kind %q", kind)
	}
	if idx < 0 || idx >= len(aggs) {
		return fmt.Errorf("duckdb answered %s aggregation %d of %d", kind, idx, len(aggs))
	}
	agg := &aggs[idx]
	if agg.Type == query.AggCount {
		agg.Count = n
		return nil
	}
	if key == nil {
		return fmt.Errorf("duckdb answered a %s row without a key", agg.Type)
	}
	if agg.Values == nil {
		agg.Values = map[string]query.PerValue{}
	}
	agg.Values[*key] = query.PerValue{N: n, Sum: s}
	return nil
}
