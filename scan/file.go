package scan

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// ErrNotParquet is wrapped by the errors of Open for input that is not a readable Parquet file
// (empty, truncated, random bytes, or a footer that does not decode).
var ErrNotParquet = errors.New("scan: not a Parquet file")

// ErrCorrupt is wrapped by the errors of Read and Inspect when the file's data pages turn out
// to be malformed.
var ErrCorrupt = errors.New("scan: corrupt Parquet data")

// File is an opened Parquet file whose footer has been parsed. A File holds no buffers between
// calls; Read and Inspect may be called any number of times.
type File struct {
	name    string
	pq      *parquet.File
	r       io.ReaderAt // the file's bytes, for the fast path's chunk reads
	size    int64
	columns []columnSpec
	byName  map[string]int
	// legacyDecode sends every column chunk through parquet-go's page reader instead of the fast
	// path; tests set it to compare the two.
	legacyDecode bool
}

// columnSpec is what the decoder needs to know about a top-level column.
type columnSpec struct {
	info     ColumnInfo
	leaf     int         // index of the column chunk in each row group; -1 for a group node
	kind     format.Type // physical type of a leaf
	unsigned bool        // INT32/INT64 annotated as unsigned
	// why is set when the column is unsupported: the reason, for error messages.
	why string
}

// Open parses the footer of the Parquet file of the given size read through r. The name is used
// in error messages only.
func Open(r io.ReaderAt, size int64, name string) (f *File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("open %s: %w: %v", name, ErrNotParquet, p)
		}
	}()
	if size < 12 {
		return nil, fmt.Errorf("open %s: %w: %d bytes", name, ErrNotParquet, size)
	}
	pq, err := parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBufferBytes),
	)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", name, ErrNotParquet, err)
	}
	cols, err := topLevelColumns(pq.Metadata())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", name, ErrNotParquet, err)
	}
	f = &File{name: name, pq: pq, r: r, size: size, columns: cols, byName: make(map[string]int, len(cols))}
	for i := range cols {
		if _, dup := f.byName[cols[i].info.Name]; !dup {
			f.byName[cols[i].info.Name] = i
		}
	}
	return f, nil
}

// readBufferBytes is the read-ahead of a column chunk's page reader.
const readBufferBytes = 256 << 10

// OpenPath opens the Parquet file at path. The returned Closer closes the underlying file; it
// must be called once the File is no longer used.
func OpenPath(path string) (*File, io.Closer, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	f, err := Open(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	return f, fh, nil
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// NumRows returns the number of rows in the file.
func (f *File) NumRows() int64 { return f.pq.NumRows() }

// Columns returns the top-level columns of the file in file order.
func (f *File) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(f.columns))
	for i := range f.columns {
		out[i] = f.columns[i].info
	}
	return out
}

// column finds a column by name and checks that it can be decoded.
func (f *File) column(op, name string) (*columnSpec, error) {
	i, ok := f.byName[name]
	if !ok {
		return nil, fmt.Errorf("%s %s: column %q not found", op, f.name, name)
	}
	c := &f.columns[i]
	if c.info.Type == 0 {
		return nil, fmt.Errorf("%s %s: column %q has unsupported type %s (%s)", op, f.name, name, c.info.Physical, c.why)
	}
	return c, nil
}

// topLevelColumns walks the flattened schema (depth first) and describes each child of the root,
// counting leaves to find each top-level leaf's column chunk index.
func topLevelColumns(md *format.FileMetaData) ([]columnSpec, error) {
	elems := md.Schema
	if len(elems) == 0 {
		return nil, errors.New("empty schema")
	}
	n := 0
	if elems[0].NumChildren.Valid {
		n = int(elems[0].NumChildren.V)
	}
	cols := make([]columnSpec, 0, n)
	pos, leaf := 1, 0
	for range n {
		if pos >= len(elems) {
			return nil, errors.New("schema ends early")
		}
		e := &elems[pos]
		next, leaves, err := skipSubtree(elems, pos)
		if err != nil {
			return nil, err
		}
		spec := describeColumn(e)
		if isGroup(e) {
			spec.leaf = -1
		} else {
			spec.leaf = leaf
		}
		cols = append(cols, spec)
		pos, leaf = next, leaf+leaves
	}
	return cols, nil
}

// skipSubtree returns the index after the subtree rooted at elems[pos] and its number of leaves.
func skipSubtree(elems []format.SchemaElement, pos int) (next, leaves int, err error) {
	// An explicit stack of remaining children keeps deep or hostile schemas from recursing.
	remaining := []int{1}
	for len(remaining) > 0 {
		top := len(remaining) - 1
		if remaining[top] == 0 {
			remaining = remaining[:top]
			continue
		}
		remaining[top]--
		if pos >= len(elems) {
			return 0, 0, errors.New("schema ends early")
		}
		e := &elems[pos]
		pos++
		if isGroup(e) {
			c := 0
			if e.NumChildren.Valid {
				c = int(e.NumChildren.V)
			}
			if c < 0 || c > len(elems) {
				return 0, 0, fmt.Errorf("schema element %q has %d children", e.Name, c)
			}
			remaining = append(remaining, c)
		} else {
			leaves++
		}
	}
	return pos, leaves, nil
}

func isGroup(e *format.SchemaElement) bool {
	return !e.Type.Valid || (e.NumChildren.Valid && e.NumChildren.V > 0)
}

// describeColumn maps a top-level schema element to a frocket type.
func describeColumn(e *format.SchemaElement) columnSpec {
	rep := format.Required
	if e.RepetitionType.Valid {
		rep = e.RepetitionType.V
	}
	spec := columnSpec{info: ColumnInfo{Name: e.Name, Optional: rep == format.Optional}}
	lt := e.LogicalType.Value
	ct, hasCT := e.ConvertedType.V, e.ConvertedType.Valid

	if isGroup(e) {
		switch {
		case isLogical[*format.ListType](lt) || (hasCT && ct == deprecated.List):
			spec.info.Physical = "LIST"
		case isLogical[*format.MapType](lt) || (hasCT && (ct == deprecated.Map || ct == deprecated.MapKeyValue)):
			spec.info.Physical = "MAP"
		default:
			spec.info.Physical = "GROUP"
		}
		spec.why = "nested columns cannot be queried"
		return spec
	}

	spec.kind = e.Type.V
	phys := spec.kind.String()
	switch {
	case isPlainInt(spec.kind, lt):
		// INT(64,true) on INT64 and INT(32,true) on INT32 say nothing the physical type does not.
	case lt != nil:
		phys += " (" + lt.String() + ")"
	case hasCT:
		phys += " (" + convertedName(ct) + ")"
	}
	if rep == format.Repeated {
		spec.info.Physical = "REPEATED " + phys
		spec.why = "repeated columns cannot be queried"
		return spec
	}
	spec.info.Physical = phys

	switch spec.kind {
	case format.Boolean:
		spec.info.Type = Bool
	case format.Int32, format.Int64:
		switch v := lt.(type) {
		case nil, *format.TimestampType, *format.TimeType, *format.DateType:
		case *format.IntType:
			spec.unsigned = !v.IsSigned
		default:
			spec.why = "integer with logical type " + lt.String()
			return spec
		}
		if lt == nil && hasCT {
			switch ct {
			case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
				spec.unsigned = true
			case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64,
				deprecated.Date, deprecated.TimeMillis, deprecated.TimeMicros,
				deprecated.TimestampMillis, deprecated.TimestampMicros:
			default:
				spec.why = "integer with converted type " + convertedName(ct)
				return spec
			}
		}
		spec.info.Type = Int
	case format.Float, format.Double:
		if lt != nil {
			spec.why = "floating point with logical type " + lt.String()
			return spec
		}
		spec.info.Type = Float
	case format.ByteArray:
		switch lt.(type) {
		case nil, *format.StringType, *format.EnumType, *format.JsonType:
		default:
			spec.why = "byte array with logical type " + lt.String()
			return spec
		}
		if lt == nil && hasCT && ct != deprecated.UTF8 && ct != deprecated.Enum && ct != deprecated.Json {
			spec.why = "byte array with converted type " + convertedName(ct)
			return spec
		}
		spec.info.Type = String
	default:
		spec.why = "physical type " + phys + " cannot be queried"
	}
	return spec
}

func isPlainInt(kind format.Type, lt format.LogicalTypeValue) bool {
	it, ok := lt.(*format.IntType)
	return ok && it.IsSigned && ((kind == format.Int64 && it.BitWidth == 64) || (kind == format.Int32 && it.BitWidth == 32))
}

func isLogical[T format.LogicalTypeValue](v format.LogicalTypeValue) bool {
	_, ok := v.(T)
	return ok
}

// convertedName spells a legacy converted type the way the Parquet specification does.
func convertedName(ct deprecated.ConvertedType) string {
	names := [...]string{
		"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
		"TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
		"UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL",
	}
	if ct >= 0 && int(ct) < len(names) {
		return names[ct]
	}
	return fmt.Sprintf("CONVERTED_TYPE(%d)", int(ct))
}
