package naive

import "github.com/frocket/frocket/query"

// Evaluate answers a validated query over the rows of one part, as the engine's per-part answer
// (query.Partial) with complete per-value maps. groupCol and tsCol name the group id and timestamp
// columns. Aggregations without a Top get DefaultTop (expansion normally sets every Top).
func Evaluate(rows []Row, groupCol, tsCol string, v *query.Validated) *query.Partial {
	var rel func([]bool) bool
	if v.Relation != nil {
		rel = v.Relation.Eval
	}
	return evaluate(rows, groupCol, tsCol, v.Query, rel, DefaultTop)
}
