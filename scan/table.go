package scan

// Type is the type of a decoded column.
type Type uint8

const (
	Int    Type = iota + 1 // any Parquet integer (signed or unsigned, any width) -> Ints
	Float                  // FLOAT or DOUBLE -> Floats (NaN is null)
	Bool                   // BOOLEAN -> Bools
	String                 // BYTE_ARRAY/UTF8 (dictionary or plain encoded) -> Codes + Dict
)

func (t Type) String() string {
	switch t {
	case Int:
		return "INT"
	case Float:
		return "FLOAT"
	case Bool:
		return "BOOL"
	case String:
		return "STRING"
	}
	return "UNSUPPORTED"
}

// Column is one decoded column in the table's row order. Exactly one of Ints, Floats, Bools or Codes
// is set, by Type, with one entry per row.
//
// Nulls has bit i set when row i is null (Parquet null, or NaN for floats); it is nil when the
// column has no nulls. A null row holds 0 (or false) in the value slice, and for String columns the
// code len(Dict), one past the dictionary, so a lookup table of len(Dict)+1 entries handles nulls
// without consulting the bitmap.
type Column struct {
	Name   string
	Type   Type
	Ints   []int64
	Floats []float64
	Bools  []bool
	Codes  []uint32
	Dict   []string // distinct strings of the file, each once; order is unspecified
	Nulls  []uint64
}

// IsNull reports whether row i is null.
func (c *Column) IsNull(i int) bool {
	return c.Nulls != nil && c.Nulls[i>>6]&(1<<(uint(i)&63)) != 0
}

// NullCode is the code of a null row in a String column.
func (c *Column) NullCode() uint32 { return uint32(len(c.Dict)) }

// Table holds the decoded columns of one file restricted to the timeframe, with rows ordered by
// (group, timestamp); rows of one group with equal timestamps keep their file order.
type Table struct {
	Rows int
	// Group is the group (user) id column; Int or String. Its values (Ints) are nil when the file
	// declared and kept its (group, timestamp) order and the request did not name the group column
	// among its Columns: GroupStarts then say all there is to know.
	Group *Column
	// TS holds the timestamps (nil when the request named no timestamp column) as order-preserving int64 keys: the values themselves for an integer
	// timestamp column, and for a float one a monotonic mapping of the float64 bits (so comparisons
	// and equality are exact, but differences are not times).
	TS []int64
	// GroupStarts has one entry per group plus one: group g owns rows [GroupStarts[g], GroupStarts[g+1]).
	// It is nil when the rows kept their file order (see Request.Unordered and GroupOf).
	GroupStarts []uint32
	// GroupOf and GroupRows are set instead of GroupStarts when the rows kept their file order: row
	// i belongs to group GroupOf[i], and group g has GroupRows[g] rows. Groups are numbered in
	// order of first appearance; each group's rows are in file order, not in timestamp order.
	GroupOf, GroupRows []uint32
	// GroupCount is the number of groups when neither GroupStarts nor GroupOf is set (see
	// Request.CountGroupsOnly).
	GroupCount int
	// Columns holds the requested columns by name (the group and timestamp columns too when requested).
	Columns map[string]*Column
	// WasSorted is true when the file's rows were already in (group, timestamp) order (group order
	// without a timestamp column).
	WasSorted bool
	// RowGroups and SkippedRowGroups count the file's row groups and those the timeframe excluded.
	RowGroups, SkippedRowGroups int
	// FileRows is the file's row count before the timeframe was applied.
	FileRows int64

	// fastChunks and slowChunks count the column chunks decoded by the fast path and by
	// parquet-go's page reader, directPages the pages read straight into a column, for tests.
	fastChunks, slowChunks, directPages int
}

// Groups returns the number of groups in the table.
func (t *Table) Groups() int {
	switch {
	case t.GroupOf != nil:
		return len(t.GroupRows)
	case t.GroupStarts != nil:
		return len(t.GroupStarts) - 1
	}
	return t.GroupCount
}
