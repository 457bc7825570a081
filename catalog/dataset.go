package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"time"

	"github.com/frocket/frocket/query"
)

// Dataset is a registered dataset: where its parts are, which they are, and their merged schema.
type Dataset struct {
	Name            string `json:"name"`
	BasePath        string `json:"basePath"`
	Pattern         string `json:"pattern"`
	GroupColumn     string `json:"groupColumn"`
	TimestampColumn string `json:"timestampColumn"`
	// RegisteredAt is UTC with microsecond precision; with Name it identifies this registration, so
	// a re-registration under the same name invalidates what was cached for the old one.
	RegisteredAt time.Time `json:"registeredAt"`
	// Parts are sorted by Name.
	Parts  []Part `json:"parts"`
	Schema Schema `json:"schema"`
}

// Part is one file of a dataset.
type Part struct {
	// Name is relative to the dataset's base path, '/'-separated.
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Schema is the merged schema of a dataset's sampled parts.
type Schema struct {
	GroupColumn     string `json:"groupColumn"`
	TimestampColumn string `json:"timestampColumn"`
	// Columns holds every supported column.
	Columns map[string]ColumnSchema `json:"columns"`
	// Unsupported maps the columns the language cannot query to their Parquet type.
	Unsupported map[string]string `json:"unsupported,omitempty"`
	// MinTimestamp and MaxTimestamp bound the timestamp column over the sampled parts; both are 0
	// when the sampled parts hold no rows (then the timestamp column has no NumericMin).
	MinTimestamp float64 `json:"minTimestamp"`
	MaxTimestamp float64 `json:"maxTimestamp"`
}

// ColumnSchema describes one supported column.
type ColumnSchema struct {
	Name string           `json:"name"`
	Type query.ColumnType `json:"type"`
	// DtypeName is the pandas-style dtype Funnel Rocket reported: int64, int32, float64, float32,
	// bool or object.
	DtypeName string `json:"dtypeName"`
	// NumericMin and NumericMax bound INT and FLOAT columns; nil when no sampled part had a value.
	NumericMin *float64 `json:"numericMin,omitempty"`
	NumericMax *float64 `json:"numericMax,omitempty"`
	// Categorical marks a STRING column with few distinct values in every sampled part; such a
	// column has CatUniqueRatio (distinct/rows, mean over the sampled parts) and, unless the top
	// list is disabled, CatTopValues (value -> approximate share of rows).
	Categorical    bool               `json:"categorical,omitempty"`
	CatTopValues   map[string]float64 `json:"catTopValues,omitempty"`
	CatUniqueRatio float64            `json:"catUniqueRatio,omitempty"`
}

// QuerySchema returns what query validation needs to know of the dataset.
func (d *Dataset) QuerySchema() *query.Schema {
	s := &query.Schema{
		GroupColumn:     d.Schema.GroupColumn,
		TimestampColumn: d.Schema.TimestampColumn,
		Columns:         make(map[string]query.ColumnType, len(d.Schema.Columns)),
		Unsupported:     maps.Clone(d.Schema.Unsupported),
		MinTimestamp:    d.Schema.MinTimestamp,
		MaxTimestamp:    d.Schema.MaxTimestamp,
	}
	if s.Unsupported == nil {
		s.Unsupported = map[string]string{}
	}
	for name, c := range d.Schema.Columns {
		s.Columns[name] = c.Type
	}
	if ts, ok := d.Schema.Columns[d.Schema.TimestampColumn]; ok && ts.NumericMin != nil {
		s.HasTimestampRange = true
	}
	return s
}

// TotalSize returns the summed size of the parts in bytes.
func (d *Dataset) TotalSize() int64 {
	var n int64
	for _, p := range d.Parts {
		n += p.Size
	}
	return n
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ValidateName reports whether name can name a dataset: a letter or digit, then letters, digits,
// '_', '.' or '-'.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid dataset name %q: must match %s", name, nameRE)
	}
	return nil
}
