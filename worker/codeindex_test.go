package worker

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// indexTable returns an ordered table of numGroups groups over a STRING column "ev" of dictLen
// values (with nulls) and a STRING column "big" of 40 values.
func indexTable(rng *rand.Rand, numGroups, dictLen int) *scan.Table {
	ev := &scan.Column{Name: "ev", Type: scan.String}
	for c := range dictLen {
		ev.Dict = append(ev.Dict, fmt.Sprintf("e%d", c))
	}
	big := &scan.Column{Name: "big", Type: scan.String}
	for c := range 40 {
		big.Dict = append(big.Dict, fmt.Sprintf("b%02d", c))
	}
	tbl := &scan.Table{GroupStarts: []uint32{0}, Columns: map[string]*scan.Column{"ev": ev, "big": big}}
	for range numGroups {
		n := 1 + rng.IntN(12)
		ts := int64(0)
		for range n {
			ts += int64(rng.IntN(3))
			tbl.TS = append(tbl.TS, ts)
			ev.Codes = append(ev.Codes, uint32(rng.IntN(dictLen+1))) // dictLen: null
			big.Codes = append(big.Codes, uint32(rng.IntN(40)))
		}
		tbl.GroupStarts = append(tbl.GroupStarts, uint32(len(tbl.TS)))
	}
	tbl.Rows = len(tbl.TS)
	nulls := kernels.NewBitset(tbl.Rows)
	for i, c := range ev.Codes {
		if c == uint32(dictLen) {
			nulls.Set(i)
		}
	}
	ev.Nulls = nulls
	tbl.Group = &scan.Column{Name: "u", Type: scan.Int, Ints: make([]int64, tbl.Rows)}
	for g := range numGroups {
		for i := tbl.GroupStarts[g]; i < tbl.GroupStarts[g+1]; i++ {
			tbl.Group.Ints[i] = int64(g)
		}
	}
	tbl.Columns["u"], tbl.Columns["ts"] = tbl.Group, &scan.Column{Name: "ts", Type: scan.Int, Ints: tbl.TS}
	return tbl
}

// TestCodeIndexAnswersAsWithout evaluates queries whose filters are on an indexed STRING column,
// with every operator and nulls, with and without the code index, and expects the same answers.
func TestCodeIndexAnswersAsWithout(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tbl := indexTable(rng, 700, 6)
	schema := &query.Schema{GroupColumn: "u", TimestampColumn: "ts",
		Columns: map[string]query.ColumnType{"u": query.TypeInt, "ts": query.TypeInt, "ev": query.TypeString, "big": query.TypeString}}
	ops := []string{"==", "!=", ">", ">=", "<", "<=", "contains", "not contains"}
	lits := []string{"e0", "e3", "e", "x", "e5", "e2"}
	index := newCodeIndex()
	for trial := range 200 {
		filter := func() []any {
			return []any{"ev", ops[rng.IntN(len(ops))], lits[rng.IntN(len(lits))]}
		}
		verbose := func(f []any) map[string]any {
			return map[string]any{"column": f[0], "op": f[1], "value": f[2]}
		}
		doc := map[string]any{
			"query": map[string]any{
				"conditions": []any{
					map[string]any{"filters": []any{verbose(filter()), verbose(filter())}, "target": []any{"count", ">=", rng.IntN(3)}},
					map[string]any{"sequence": []any{map[string]any{"filter": filter()}, map[string]any{"filter": filter()}}},
					map[string]any{"filter": []any{"big", "==", "b07"}},
				},
				"relation": []string{"$0 or $1", "$0 and $1", "$2 or $1"}[rng.IntN(3)],
			},
			"funnel": map[string]any{"sequence": []any{
				map[string]any{"filter": filter()}, map[string]any{"filter": filter()}, map[string]any{"filter": filter()},
			}},
		}
		body, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		v, errs := query.Compile(body, schema, query.DefaultConfig())
		if len(errs) > 0 {
			t.Fatalf("query %s: %v", body, errs)
		}
		want, err := evaluate(tbl, nil, v, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := evaluate(tbl, index, v, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d, query %s:\nwith the index %+v\nwithout        %+v", trial, body, got, want)
		}
	}
	if index.cols[tbl.Columns["ev"]] == nil {
		t.Fatal("the index built no masks for the 7-code column")
	}
	if index.cols[tbl.Columns["big"]] != nil {
		t.Fatal("the index built masks for the 41-code column")
	}
}

// TestCodeIndexMasks checks the masks, that they are built once, that an equality filter gets the
// index's own mask (no copy), and the bytes reserved for an index.
func TestCodeIndexMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tbl := indexTable(rng, 300, maxIndexedCodes-1)
	ev := tbl.Columns["ev"]
	index := newCodeIndex()
	cm := index.column(ev, tbl.Rows)
	if cm == nil || len(cm.masks) != maxIndexedCodes {
		t.Fatalf("masks of the %d-code column: %+v", maxIndexedCodes, cm)
	}
	for i, c := range ev.Codes {
		for code := range maxIndexedCodes {
			if m := cm.mask(code); m.Get(i) != (uint32(code) == c) {
				t.Fatalf("row %d (code %d): mask of code %d says %v", i, c, code, m.Get(i))
			}
		}
	}
	if index.column(ev, tbl.Rows) != cm || &cm.mask(2)[0] != &cm.masks[2][0] {
		t.Fatal("masks were built twice")
	}
	if index.column(tbl.Columns["big"], tbl.Rows) != nil || index.column(tbl.Group, tbl.Rows) != nil {
		t.Fatal("masks for a high-cardinality or non-STRING column")
	}
	var none *codeIndex
	if none.column(ev, tbl.Rows) != nil {
		t.Fatal("a nil index returned masks")
	}
	lut := make([]bool, maxIndexedCodes)
	lut[3] = true
	if m := cm.match(lut); &m[0] != &cm.masks[3][0] {
		t.Fatal("a one-code filter did not get the index's mask")
	}
	lut[5] = true
	m := cm.match(lut)
	for i, c := range ev.Codes {
		if m.Get(i) != (c == 3 || c == 5) {
			t.Fatalf("row %d (code %d): union of codes 3 and 5 says %v", i, c, m.Get(i))
		}
	}
	words := int64(tbl.Rows+63) / 64
	if got, want := indexBytes(tbl), int64(maxIndexedCodes)*words*8; got != want {
		t.Fatalf("indexBytes = %d, want %d (the 16-code column only)", got, want)
	}
}
