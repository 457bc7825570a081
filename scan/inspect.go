package scan

// ColumnInfo describes a top-level column of a file.
type ColumnInfo struct {
	Name     string
	Type     Type   // 0 when the language cannot query the column
	Physical string // the Parquet type, e.g. "INT64", "BYTE_ARRAY (STRING)", "INT96", "LIST"
	Optional bool
}

// FileSchema is what registration learns from reading one whole file.
type FileSchema struct {
	Rows                       int64
	Columns                    []ColumnStats // file order, unsupported columns included with Type 0
	MinTimestamp, MaxTimestamp float64
	GroupIDsInt                []int64  // distinct group ids, sorted (integer group column)
	GroupIDsString             []string // distinct group ids, sorted (string group column)
}

// ColumnStats describes one column of a file.
type ColumnStats struct {
	Name      string
	Type      Type
	Physical  string
	NullCount int64
	// HasRange, Min and Max bound the non-null values of INT and FLOAT columns.
	HasRange bool
	Min, Max float64
	// Distinct counts the distinct non-null values of a STRING column.
	Distinct int
	// Top holds a STRING column's most frequent non-null values, count descending then value ascending.
	Top []ValueCount
}

// ValueCount is a value and how many rows hold it.
type ValueCount struct {
	Value string
	Count int64
}
