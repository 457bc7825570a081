package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/frocket/frocket/bench"
)

// benchQuery is one query of the comparison. TargetSorted and TargetUnsorted are the ratios of
// frocket's throughput to DuckDB's that the project aims at (0: no target).
type benchQuery struct {
	Name           string
	Body           string
	TargetSorted   float64
	TargetUnsorted float64
	TargetWarm     float64
}

// target returns the query's target ratio on a layout.
func (q benchQuery) target(l layout) float64 {
	if l.Warm {
		return q.TargetWarm
	}
	if l.Unsorted {
		return q.TargetUnsorted
	}
	return q.TargetSorted
}

// Event type steps of the funnels below.
const (
	stPageview = `{"filter":["eventType","==","pageview"]}`
	stSearch   = `{"filter":["eventType","==","search"]}`
	stCart     = `{"filter":["eventType","==","addToCart"]}`
	stPurchase = `{"filter":["eventType","==","purchase"]}`
	stCampaign = `{"filter":["eventType","==","campaignClick"]}`
	stSignup   = `{"filter":["eventType","==","signup"]}`
	stLogin    = `{"filter":["eventType","==","login"]}`
)

func steps(s ...string) string { return "[" + strings.Join(s, ",") + "]" }

// benchQueries returns the queries of the comparison, the first three being those of the project's
// performance targets. The timeframe query covers days 12 to 15 of the generator's 30-day span
// (10% of the time, and so about 10% of the rows).
func benchQueries() []benchQuery {
	day := int64(24 * time.Hour / time.Millisecond)
	from, to := bench.DefaultStartMillis+12*day, bench.DefaultStartMillis+15*day
	funnel3 := steps(stPageview, stCart, stPurchase)
	return []benchQuery{
		{Name: "empty", Body: `{}`, TargetSorted: 5, TargetUnsorted: 2},
		{Name: "funnel3", Body: `{"funnel":{"sequence":` + funnel3 + `}}`, TargetSorted: 10, TargetUnsorted: 3, TargetWarm: 30},
		{Name: "conds3-or", Body: `{"query":{"conditions":[
			{"filter":["eventType","==","purchase"],"target":["count",">=",2]},
			{"filter":["country","==","DE"],"target":["count",">=",3]},
			{"filter":["device","==","tablet"],"target":["count",">",5]}],
			"relation":"or","aggregations":[{"column":"browser","type":"groupsPerValue"}]}}`,
			TargetSorted: 8, TargetUnsorted: 3},
		{Name: "sequences", Body: `{"query":{"conditions":[
			{"sequence":` + steps(stSearch, stCart, stPurchase) + `},
			{"sequence":` + steps(stCampaign, stSignup) + `},
			{"sequence":` + steps(stLogin, stPurchase) + `}],
			"relation":"($0 and $2) or $1"}}`},
		{Name: "funnel5", Body: `{"funnel":{"sequence":` + steps(stPageview, stSearch, stPageview, stCart, stPurchase) + `}}`},
		{Name: "funnel10", Body: `{"funnel":{"sequence":` + steps(stPageview, stSearch, stPageview, stCart, stPageview,
			stCart, stPurchase, stPageview, stSearch, stPurchase) + `}}`},
		{Name: "aggregations", Body: `{"query":{"conditions":[{"filter":["eventType","==","addToCart"]}],"aggregations":[
			{"column":"country"},
			{"column":"sku","type":"sumPerValue","otherColumn":"price"},
			{"column":"device","type":"meanPerValue","otherColumn":"quantity"},
			{"column":"campaignId","type":"countPerValue"},
			{"column":"price","type":"groupsPerValue"},
			{"column":"loggedIn","type":"groupsPerValue"},
			{"column":"quantity","type":"count"}]}}`},
		{Name: "targets", Body: `{"query":{"conditions":[
			{"filter":["eventType","==","purchase"],"target":["sum","price",">",300]},
			{"filter":["sku","!=","SKU-00001"],"target":["count",">=",20]},
			{"filter":["url","not contains","/p/"],"target":["count","<=",3],"includeZero":true},
			{"filters":[{"column":"price","op":">","value":100},{"column":"quantity","op":">=","value":2}],"target":["count","==",0]}],
			"relation":"$0 or ($1 and $2) or $3",
			"aggregations":[{"column":"browser","type":"countPerValue"}]}}`},
		{Name: "funnel3-aggs", Body: `{"query":{"conditions":[{"filter":["country","==","US"]}]},"funnel":{"sequence":` + funnel3 + `,
			"stepAggregations":[{"column":"device","type":"groupsPerValue"}],
			"endAggregations":[{"column":"sku","type":"sumPerValue","otherColumn":"price"}]}}`},
		{Name: "timeframe10", Body: fmt.Sprintf(`{"timeframe":{"from":%d,"to":%d},"funnel":{"sequence":%s}}`, from, to, funnel3)},
	}
}
