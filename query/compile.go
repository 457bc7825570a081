package query

// Compile parses a query document and validates it against schema (nil: the language only). It
// reports the problems of the first stage that has any: syntax (PARSE), then the document's shape
// (Parse), then the language rules (Expand), then the dataset (Validate).
func Compile(data []byte, schema *Schema, cfg Config) (*Validated, Errors) {
	q, errs := Parse(data)
	if len(errs) > 0 {
		return nil, errs
	}
	return Validate(q, schema, cfg)
}
