package catalog

import (
	"maps"
	"slices"

	"github.com/frocket/frocket/query"
)

// registeredAtLayout is Python's datetime.isoformat() of a UTC time with microseconds.
const registeredAtLayout = "2006-01-02T15:04:05.000000+00:00"

// DatasetInfo is Funnel Rocket's DatasetInfo JSON: a dataset in the list of datasets.
type DatasetInfo struct {
	BasePath        string    `json:"basepath"`
	TotalParts      int       `json:"totalParts"`
	ID              DatasetID `json:"id"`
	GroupIDColumn   string    `json:"groupIdColumn"`
	TimestampColumn string    `json:"timestampColumn"`
}

// DatasetID identifies one registration of a dataset.
type DatasetID struct {
	Name string `json:"name"`
	// RegisteredAt looks like 2021-02-10T08:32:12.412792+00:00.
	RegisteredAt string `json:"registeredAt"`
}

// ShortSchema is Funnel Rocket's short schema JSON.
type ShortSchema struct {
	Columns map[string]query.ColumnType `json:"columns"`
	// MinTimestamp and MaxTimestamp are absent when the sampled parts held no rows.
	MinTimestamp *float64 `json:"minTimestamp,omitempty"`
	MaxTimestamp *float64 `json:"maxTimestamp,omitempty"`
	// SourceCategoricals lists columns stored as categoricals by their writer; frocket cannot tell,
	// so it is always empty and every categorical is in PotentialCategoricals (sorted by name).
	SourceCategoricals    []string `json:"sourceCategoricals"`
	PotentialCategoricals []string `json:"potentialCategoricals"`
}

// FullSchema is Funnel Rocket's full schema JSON (`?full=true`).
type FullSchema struct {
	GroupIDColumn      string                `json:"groupIdColumn"`
	TimestampColumn    string                `json:"timestampColumn"`
	Columns            map[string]FullColumn `json:"columns"`
	UnsupportedColumns map[string]string     `json:"unsupportedColumns,omitempty"`
}

// FullColumn is one column of FullSchema.
type FullColumn struct {
	Name      string           `json:"name"`
	DtypeName string           `json:"dtypeName"`
	Coltype   query.ColumnType `json:"coltype"`
	Colattrs  ColumnAttributes `json:"colattrs"`
}

// ColumnAttributes are a column's statistics in FullSchema. As in Funnel Rocket's API responses,
// absent values and empty maps are left out; categorical is always present.
type ColumnAttributes struct {
	NumericMin     *float64           `json:"numericMin,omitempty"`
	NumericMax     *float64           `json:"numericMax,omitempty"`
	Categorical    bool               `json:"categorical"`
	CatTopValues   map[string]float64 `json:"catTopValues,omitempty"`
	CatUniqueRatio *float64           `json:"catUniqueRatio,omitempty"`
}

// PartsInfo is Funnel Rocket's PartsInfo JSON: the dataset's files.
type PartsInfo struct {
	NamingMethod string   `json:"namingMethod"`
	TotalParts   int      `json:"totalParts"`
	TotalSize    int64    `json:"totalSize"`
	Filenames    []string `json:"filenames"`
}

// Info returns the dataset's DatasetInfo view.
func (d *Dataset) Info() DatasetInfo {
	return DatasetInfo{
		BasePath:   d.BasePath,
		TotalParts: len(d.Parts),
		ID: DatasetID{
			Name:         d.Name,
			RegisteredAt: d.RegisteredAt.UTC().Format(registeredAtLayout),
		},
		GroupIDColumn:   d.GroupColumn,
		TimestampColumn: d.TimestampColumn,
	}
}

// ShortSchema returns the dataset's short schema view.
func (d *Dataset) ShortSchema() ShortSchema {
	s := ShortSchema{
		Columns:               make(map[string]query.ColumnType, len(d.Schema.Columns)),
		SourceCategoricals:    []string{},
		PotentialCategoricals: []string{},
	}
	for name, c := range d.Schema.Columns {
		s.Columns[name] = c.Type
		if c.Categorical {
			s.PotentialCategoricals = append(s.PotentialCategoricals, name)
		}
	}
	slices.Sort(s.PotentialCategoricals)
	if ts, ok := d.Schema.Columns[d.Schema.TimestampColumn]; ok && ts.NumericMin != nil {
		lo, hi := d.Schema.MinTimestamp, d.Schema.MaxTimestamp
		s.MinTimestamp, s.MaxTimestamp = &lo, &hi
	}
	return s
}

// FullSchema returns the dataset's full schema view.
func (d *Dataset) FullSchema() FullSchema {
	s := FullSchema{
		GroupIDColumn:   d.Schema.GroupColumn,
		TimestampColumn: d.Schema.TimestampColumn,
		Columns:         make(map[string]FullColumn, len(d.Schema.Columns)),
	}
	for name, c := range d.Schema.Columns {
		a := ColumnAttributes{
			NumericMin:  clonePtr(c.NumericMin),
			NumericMax:  clonePtr(c.NumericMax),
			Categorical: c.Categorical,
		}
		if c.Categorical {
			ratio := c.CatUniqueRatio
			a.CatUniqueRatio = &ratio
			if len(c.CatTopValues) > 0 {
				a.CatTopValues = maps.Clone(c.CatTopValues)
			}
		}
		s.Columns[name] = FullColumn{Name: c.Name, DtypeName: c.DtypeName, Coltype: c.Type, Colattrs: a}
	}
	if len(d.Schema.Unsupported) > 0 {
		s.UnsupportedColumns = maps.Clone(d.Schema.Unsupported)
	}
	return s
}

// PartsInfo returns the dataset's PartsInfo view.
func (d *Dataset) PartsInfo() PartsInfo {
	p := PartsInfo{
		NamingMethod: "LIST",
		TotalParts:   len(d.Parts),
		TotalSize:    d.TotalSize(),
		Filenames:    make([]string, len(d.Parts)),
	}
	for i, part := range d.Parts {
		p.Filenames[i] = part.Name
	}
	return p
}

func clonePtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
