package naive

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/frocket/frocket/query"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Cell is one value of a row. Type is the column's type, set even when the value is null.
type Cell struct {
	Type  query.ColumnType
	Null  bool
	Int   int64   // INT
	Float float64 // FLOAT (NaN is treated as null)
	Str   string  // STRING
	Bool  bool    // BOOL
}

// Row maps column names to values. A column absent from the map is null.
type Row map[string]Cell

// IntCell, FloatCell, StringCell, BoolCell and NullCell build cells.
func IntCell(v int64) Cell             { return Cell{Type: query.TypeInt, Int: v} }
func FloatCell(v float64) Cell         { return Cell{Type: query.TypeFloat, Float: v} }
func StringCell(v string) Cell         { return Cell{Type: query.TypeString, Str: v} }
func BoolCell(v bool) Cell             { return Cell{Type: query.TypeBool, Bool: v} }
func NullCell(t query.ColumnType) Cell { return Cell{Type: t, Null: true} }

// isNull reports whether c holds no value (a null, or a NaN float).
func (c Cell) isNull() bool {
	return c.Null || (c.Type == query.TypeFloat && c.Float != c.Float)
}

// ReadFile reads every row of a Parquet file. Top-level columns of a supported type become cells;
// other columns (nested, INT96, ...) are left out.
func ReadFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("open parquet %s: %w", path, err)
	}
	schema := pf.Schema()
	// Column index (as reported by parquet.Value.Column) -> name and type; "" for skipped ones.
	paths := schema.Columns()
	names := make([]string, len(paths))
	types := make([]query.ColumnType, len(paths))
	unsigned := make([]bool, len(paths))
	for _, p := range paths {
		if len(p) != 1 {
			continue
		}
		leaf, ok := schema.Lookup(p...)
		if !ok || leaf.MaxRepetitionLevel > 0 {
			continue
		}
		t := columnType(leaf.Node.Type())
		if t == "" {
			continue
		}
		names[leaf.ColumnIndex] = p[0]
		types[leaf.ColumnIndex] = t
		unsigned[leaf.ColumnIndex] = isUnsigned(leaf.Node.Type())
	}

	r := parquet.NewReader(pf)
	defer r.Close()
	out := make([]Row, 0, pf.NumRows())
	buf := make([]parquet.Row, 128)
	for {
		n, err := r.ReadRows(buf)
		for _, pr := range buf[:n] {
			row := make(Row, len(names))
			for _, v := range pr {
				c := v.Column()
				if c < 0 || c >= len(names) || names[c] == "" {
					continue
				}
				row[names[c]] = cellOf(types[c], unsigned[c], v)
			}
			out = append(out, row)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read rows of %s: %w", path, err)
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}

// columnType maps a Parquet leaf type to the language's type, or "" when unsupported.
func columnType(t parquet.Type) query.ColumnType {
	switch t.Kind() {
	case parquet.Boolean:
		return query.TypeBool
	case parquet.Int32, parquet.Int64:
		return query.TypeInt
	case parquet.Float, parquet.Double:
		return query.TypeFloat
	case parquet.ByteArray:
		return query.TypeString
	}
	return ""
}

// isUnsigned reports whether an integer column is annotated as unsigned.
func isUnsigned(t parquet.Type) bool {
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	it, ok := lt.Value.(*format.IntType)
	return ok && !it.IsSigned
}

// cellOf converts one Parquet value. An unsigned 64-bit value above math.MaxInt64 wraps around, as
// the language has no unsigned type.
func cellOf(t query.ColumnType, unsigned bool, v parquet.Value) Cell {
	if v.IsNull() {
		return NullCell(t)
	}
	switch t {
	case query.TypeBool:
		return BoolCell(v.Boolean())
	case query.TypeInt:
		if v.Kind() == parquet.Int32 {
			if unsigned {
				return IntCell(int64(uint32(v.Int32())))
			}
			return IntCell(int64(v.Int32()))
		}
		return IntCell(v.Int64())
	case query.TypeFloat:
		if v.Kind() == parquet.Float {
			return FloatCell(float64(v.Float()))
		}
		return FloatCell(v.Double())
	}
	return StringCell(string(v.ByteArray()))
}
