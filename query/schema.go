package query

// ColumnType is the type of a dataset column as the query language sees it.
type ColumnType string

const (
	TypeInt    ColumnType = "INT"
	TypeFloat  ColumnType = "FLOAT"
	TypeBool   ColumnType = "BOOL"
	TypeString ColumnType = "STRING"
)

// IsNumeric reports whether t is INT or FLOAT.
func (t ColumnType) IsNumeric() bool { return t == TypeInt || t == TypeFloat }

// Schema is what validation needs to know of a dataset.
type Schema struct {
	GroupColumn     string
	TimestampColumn string
	// Columns maps every supported column to its type. Unsupported columns are absent.
	Columns map[string]ColumnType
	// Unsupported lists columns that exist but have a type the language cannot query, with that type.
	Unsupported map[string]string
	// MinTimestamp and MaxTimestamp bound the timestamp column (for the timeframe scale check);
	// HasTimestampRange is false when unknown.
	MinTimestamp, MaxTimestamp float64
	HasTimestampRange          bool
}
