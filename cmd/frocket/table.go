package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/server"
)

// printResultTable prints a query answer for people: the query totals, the funnel steps with their
// conversion, and every aggregation as a ranked list.
func printResultTable(w io.Writer, res *server.QueryJobResult) error {
	if !res.Success {
		_, err := fmt.Fprintf(w, "query failed: %s\n", res.ErrorMessage)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "Matching users: %d   rows: %d", res.Query.MatchingGroups, res.Query.MatchingGroupRows)
	if res.Stats != nil && res.Stats.Worker != nil {
		fmt.Fprintf(w, "   (scanned %d rows in %d parts, %.3fs)", res.Stats.Worker.ScannedRows,
			res.Stats.Dataset.Parts, res.Stats.TotalTime)
	}
	fmt.Fprintln(w)
	printAggs(w, "", res.Query.Aggregations)
	if f := res.Funnel; f != nil {
		fmt.Fprintln(w, "\nFunnel:")
		fmt.Fprintln(tw, "step\tusers\tfrom previous\tfrom first\trows\t")
		var first, prev int64
		for i, s := range f.Sequence {
			if i == 0 {
				first, prev = s.MatchingGroups, s.MatchingGroups
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t\n", i+1, s.MatchingGroups, pct(s.MatchingGroups, prev), pct(s.MatchingGroups, first), s.MatchingGroupRows)
			prev = s.MatchingGroups
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for i, s := range f.Sequence {
			printAggs(w, fmt.Sprintf("step %d ", i+1), s.Aggregations)
		}
		printAggs(w, "end ", f.EndAggregations)
	}
	return nil
}

func pct(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

func printAggs(w io.Writer, prefix string, aggs []query.AggResult) {
	for _, a := range aggs {
		title := fmt.Sprintf("%s%s(%s", prefix, a.Type, a.Column)
		if a.OtherColumn != "" {
			title += ", " + a.OtherColumn
		}
		title += ")"
		if a.Name != nil {
			title += " " + *a.Name
		}
		if a.Approximate {
			title += " [approximate]"
		}
		switch v := a.Value.(type) {
		case query.ValueMap:
			fmt.Fprintf(w, "\n%s:\n", title)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, kv := range v {
				fmt.Fprintf(tw, "  %s\t%s\n", kv.Key, strconv.FormatFloat(kv.Value, 'g', 8, 64))
			}
			tw.Flush()
		default:
			fmt.Fprintf(w, "\n%s: %v\n", title, v)
		}
	}
}
