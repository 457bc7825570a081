package query

// Query is a parsed query document. After Expand (see expand.go) every shorthand is in its verbose
// form, every condition has a target, untyped aggregations are expanded and the relation is explicit;
// encoding an expanded Query with encoding/json and parsing it again yields an equal Query.
type Query struct {
	Timeframe *Timeframe    `json:"timeframe,omitempty"`
	Query     *QuerySection `json:"query,omitempty"`
	Funnel    *Funnel       `json:"funnel,omitempty"`
}

// Timeframe limits the rows a query sees: From is inclusive, To is exclusive. Both are in the unit
// of the dataset's timestamp column.
type Timeframe struct {
	From *int64 `json:"from,omitempty"`
	To   *int64 `json:"to,omitempty"`
}

// QuerySection selects groups (users) by conditions combined by a relation, and aggregates the rows
// of the matching groups.
type QuerySection struct {
	Relation     string        `json:"relation,omitempty"`
	Conditions   []Condition   `json:"conditions,omitempty"`
	Aggregations []Aggregation `json:"aggregations,omitempty"`
}

// Condition is exactly one of three shapes: a single Filter, several Filters that must all match the
// same row, or a Sequence of steps. Target and IncludeZero apply to the first two shapes only.
type Condition struct {
	Name        string   `json:"name,omitempty"`
	Filter      *Filter  `json:"filter,omitempty"`
	Filters     []Filter `json:"filters,omitempty"`
	Sequence    []Step   `json:"sequence,omitempty"`
	Target      *Target  `json:"target,omitempty"`
	IncludeZero *bool    `json:"includeZero,omitempty"`
	MaxDuration *int64   `json:"maxDuration,omitempty"`
}

// Kind tells a condition's shape.
func (c *Condition) Kind() ConditionKind {
	switch {
	case c.Filter != nil:
		return FilterCondition
	case c.Filters != nil:
		return FiltersCondition
	default:
		return SequenceCondition
	}
}

// ConditionKind is the shape of a Condition.
type ConditionKind uint8

const (
	FilterCondition ConditionKind = iota
	FiltersCondition
	SequenceCondition
)

// Step is one step of a sequence condition or of a funnel: a single Filter or several Filters that
// must match the same row. RowFound is accepted and kept, but only true (the default) is supported.
type Step struct {
	Filter   *Filter  `json:"filter,omitempty"`
	Filters  []Filter `json:"filters,omitempty"`
	RowFound *bool    `json:"rowFound,omitempty"`
}

// AllFilters returns the step's filters whichever form it was written in.
func (s *Step) AllFilters() []Filter {
	if s.Filter != nil {
		return []Filter{*s.Filter}
	}
	return s.Filters
}

// AllFilters returns a filter or filters condition's filters whichever form it was written in.
func (c *Condition) AllFilters() []Filter {
	if c.Filter != nil {
		return []Filter{*c.Filter}
	}
	return c.Filters
}

// Filter compares a column of each row with a literal.
type Filter struct {
	Column string `json:"column"`
	Op     Op     `json:"op"`
	Value  Value  `json:"value"`
}

// Op is a comparison operator as written in the query language.
type Op string

const (
	OpEq          Op = "=="
	OpNe          Op = "!="
	OpGt          Op = ">"
	OpGe          Op = ">="
	OpLt          Op = "<"
	OpLe          Op = "<="
	OpContains    Op = "contains"
	OpNotContains Op = "not contains"
)

// NumericOps are the operators of targets and of numeric, boolean and string comparisons.
var NumericOps = []Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe}

// TargetType is the type of a condition's target.
type TargetType string

const (
	TargetCount TargetType = "count"
	TargetSum   TargetType = "sum"
)

// Target is compared with the per-group count of matching rows (count) or the per-group sum of a
// numeric column over the matching rows (sum).
type Target struct {
	Type   TargetType `json:"type"`
	Column string     `json:"column,omitempty"`
	Op     Op         `json:"op"`
	Value  Value      `json:"value"`
}

// AggregationType is the type of an aggregation.
type AggregationType string

const (
	AggCount          AggregationType = "count"
	AggCountPerValue  AggregationType = "countPerValue"
	AggGroupsPerValue AggregationType = "groupsPerValue"
	AggSumPerValue    AggregationType = "sumPerValue"
	AggMeanPerValue   AggregationType = "meanPerValue"
)

// Aggregation summarises one column over a set of rows. Top is how many map entries the final
// result keeps (nil: the configured default, 10).
type Aggregation struct {
	Column      string          `json:"column"`
	Type        AggregationType `json:"type,omitempty"`
	OtherColumn string          `json:"otherColumn,omitempty"`
	Name        string          `json:"name,omitempty"`
	Top         *int            `json:"top,omitempty"`
}

// Funnel runs a sequence over the groups that matched the query section and reports every step.
type Funnel struct {
	Sequence         []Step        `json:"sequence"`
	MaxDuration      *int64        `json:"maxDuration,omitempty"`
	StepAggregations []Aggregation `json:"stepAggregations,omitempty"`
	EndAggregations  []Aggregation `json:"endAggregations,omitempty"`
}
