package query

import (
	"fmt"
	"strings"
)

// ErrorKind classifies a query problem. The kinds are those of Funnel Rocket plus PARSE.
type ErrorKind string

const (
	KindParse           ErrorKind = "PARSE"             // the body is not valid JSON
	KindSchema          ErrorKind = "SCHEMA"            // the document does not fit the language
	KindTypeMismatch    ErrorKind = "TYPE_MISMATCH"     // a value or operator does not suit a column or target
	KindDatasetMismatch ErrorKind = "DATASET_MISMATCH"  // a column does not exist in the dataset
	KindRelation        ErrorKind = "RELATION"          // the relation expression is invalid
	KindInvalidArgs     ErrorKind = "INVALID_ARGUMENTS" // the caller passed something unusable
	KindUnexpected      ErrorKind = "UNEXPECTED"
)

// Error is one problem found in a query, with the JSON path of the offending element written like
// query.conditions[1].filter.value (empty for the whole document).
type Error struct {
	Kind    ErrorKind `json:"kind"`
	Path    string    `json:"path"`
	Message string    `json:"message"`
}

func (e Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	return fmt.Sprintf("%s at %s: %s", e.Kind, e.Path, e.Message)
}

// Errors is every problem found in one query, in document order. It is an error when not empty.
type Errors []Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return "invalid query: " + es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid query (%d problems):", len(es))
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Add appends a problem.
func (es *Errors) Add(kind ErrorKind, path, format string, args ...any) {
	*es = append(*es, Error{Kind: kind, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Err returns es as an error, or nil when it is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
