package experiments

import "branchspec/results"

// NewLoadedRun prepares a run read elsewhere for Compare, as LoadRuns
// does with the runs it reads: s is the run as results.List summarizes it
// (Dir, Info, Status, Live) and rows are its training-time rows. The rows
// are aligned (AlignBranches) and the run grouped by by (GroupOf). A
// viewer that keeps runs in memory while they train builds its RunSet
// from these, so that its numbers come from the same Compare; whether a
// run belongs in a comparison is SkipReason's to say.
func NewLoadedRun(s results.Summary, rows []results.Row, by string) *LoadedRun {
	lr := &LoadedRun{Dir: s.Dir, Group: GroupOf(s.Info, by), Info: s.Info, Status: s.Status}
	lr.Rows, lr.Order, lr.AlignedBy = AlignBranches(rows)
	lr.Branches = readBranches(lr)
	return lr
}

// SkipReason says why LoadRuns leaves a run with the given summary and
// number of training-time rows out of a comparison ("still training",
// "failed: REASON", "interrupted (resume with: ...)", "no metric rows",
// the read error), or returns "" for a finished run with rows.
func SkipReason(s results.Summary, rows int) string {
	switch {
	case s.Err != nil:
		return s.Err.Error()
	case notDone(s) != "":
		return notDone(s)
	case rows == 0:
		return "no metric rows"
	}
	return ""
}

// Table returns one of CompareTables as column names and rows of values,
// the same cells WriteCSV writes and WriteJSON nests (numbers that may be
// NaN marshal to JSON as strings); nil columns for an unknown table.
func (c *Comparison) Table(name string) (cols []string, rows [][]any) {
	return c.table(name)
}

// CompareCurves computes, of what Compare computes, only the tidy values
// (Values) and each group's mean curve with its bootstrap interval
// (Curves), with the same code and the same random streams, so that its
// curve points equal Compare's: what a viewer redrawing curves while runs
// train needs, without the cost of contrasts and feedback signatures. The
// metrics are opts.Metrics (none: no values, no curves). Groups are
// ordered as in Compare; set may be empty.
func CompareCurves(set *RunSet, opts CompareOptions) *Comparison {
	o := opts.withDefaults()
	c := &Comparison{Options: o, Groups: set.Groups(o.Baseline), Metrics: o.Metrics, Runs: set.Runs, Skipped: set.Skipped}
	for _, r := range set.Runs {
		for _, row := range r.Rows {
			for _, m := range c.Metrics {
				if v, ok := row.Values[m]; ok && finite(v) {
					c.Values = append(c.Values, Value{r.Group, r.Info.Seed, r.Dir, row.Step, m, v})
				}
			}
		}
	}
	for _, g := range c.Groups {
		for _, m := range c.Metrics {
			c.Curves = append(c.Curves, c.curve(g, m)...)
		}
	}
	return c
}
