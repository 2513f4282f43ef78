package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"branchspec/experiments"
	"branchspec/results"
)

// defaultColumns are shown by `show` when no --metric is given, in order,
// where the run has them.
var defaultColumns = []string{
	experiments.KeyTrainLoss, experiments.KeyTestLoss, experiments.KeyTestAcc, experiments.KeyLR,
	"chroma.eta2", "chroma.eta2.z", "csi.eta2", "rejoin.maxshare", "cka.between", "lesion.b0", "lesion.b1",
}

var cmdShow = &command{
	Name:  "show",
	Usage: "RUN [--metric PATTERN]... [--all-steps] [--json | --csv]",
	Short: "print a run's metric series and checkpoints",
	Long: `Show prints RUN's config hash, status and lineage, its metric series over
steps (by default the steps with an evaluation; --all-steps for every logged
step), its checkpoints with time and weights SHA-256, and the share of wall
time spent measuring specialization.

--metric selects columns by glob (path.Match syntax, "chroma.*") or prefix
("csi"); repeatable. --json and --csv print every selected value as tidy
rows (run, step, metric, value) instead of the table.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			metrics   setFlags
			allSteps  bool
			json, csv bool
			analysis  string
		}
		fs.Var(&o.metrics, "metric", "metric glob or prefix to show (repeatable)")
		fs.BoolVar(&o.allSteps, "all-steps", false, "show every logged step, not only evaluations")
		fs.BoolVar(&o.json, "json", false, "print JSON")
		fs.BoolVar(&o.csv, "csv", false, "print CSV")
		fs.StringVar(&o.analysis, "analysis", "", "also show the metrics 'analyze' recomputed under this version")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			if o.json && o.csv {
				return usagef("--json and --csv exclude each other")
			}
			run, err := results.Open(args[0], nil)
			if err != nil {
				return err
			}
			info, err := run.Info()
			if err != nil {
				return err
			}
			st, err := run.Status()
			if err != nil {
				return err
			}
			rows, err := run.Rows()
			if err != nil {
				return err
			}
			cks, err := run.Checkpoints()
			if err != nil {
				return err
			}
			if o.analysis != "" {
				extra, err := run.Analysis(o.analysis)
				if err != nil {
					return err
				}
				if len(extra) == 0 {
					return fmt.Errorf("%s has no analysis of version %q", run.Dir(), o.analysis)
				}
				rows = mergeRows(rows, extra)
			}
			cols := selectColumns(rows, o.metrics)
			if len(o.metrics) == 0 && (o.json || o.csv) {
				cols = allKeys(rows)
			}
			switch {
			case o.json:
				return showJSON(e.stdout, run.Dir(), info, st, rows, cols, cks)
			case o.csv:
				return showCSV(e.stdout, run.Dir(), rows, cols)
			}
			live, _ := run.Live()
			if vs, err := run.AnalysisVersions(); err == nil && len(vs) > 0 {
				fmt.Fprintf(e.stdout, "analyses %s (show them with --analysis VERSION)\n", strings.Join(vs, ", "))
			}
			showText(e.stdout, run.Dir(), info, results.Summary{Status: st, Live: live}, rows, cols, cks, o.allSteps)
			return nil
		}
	},
}

// selectColumns returns the metric keys present in rows that match any
// pattern (glob or prefix), or the default columns when there is none.
func selectColumns(rows []results.Row, patterns []string) []string {
	present := map[string]bool{}
	for _, r := range rows {
		for k := range r.Values {
			present[k] = true
		}
	}
	var cols []string
	if len(patterns) == 0 {
		for _, k := range defaultColumns {
			if present[k] {
				cols = append(cols, k)
			}
		}
		return cols
	}
	for k := range present {
		for _, p := range patterns {
			if ok, _ := path.Match(p, k); ok || strings.HasPrefix(k, p) {
				cols = append(cols, k)
				break
			}
		}
	}
	slices.Sort(cols)
	return cols
}

func showText(w io.Writer, dir string, info results.Info, sum results.Summary, rows []results.Row, cols []string, cks []results.CheckpointInfo, all bool) {
	fmt.Fprintf(w, "run      %s\n", dir)
	fmt.Fprintf(w, "config   %s seed %d sha256 %s\n", info.Name, info.Seed, info.ConfigHash)
	fmt.Fprintf(w, "version  %s\n", info.Version)
	if info.Parent != "" {
		fmt.Fprintf(w, "forked   from %s at step %d\n", info.Parent, info.ParentStep)
	}
	fmt.Fprintf(w, "status   %s at step %d/%d, updated %s\n\n", statusWord(sum), sum.Status.Step, sum.Status.Total, fmtTime(sum.Status.Updated))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "step\t")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t", c)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		if _, eval := r.Values[experiments.KeyTestAcc]; !all && !eval {
			continue
		}
		if !hasAny(r, cols) {
			continue
		}
		fmt.Fprintf(tw, "%d\t", r.Step)
		for _, c := range cols {
			if v, ok := r.Values[c]; ok {
				fmt.Fprintf(tw, "%s\t", fmtValue(v))
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintf(w, "\ncheckpoints (%d)\n", len(cks))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\ttime\tweights sha256\tweights")
	for _, c := range cks {
		kept := "kept"
		if !c.HasWeights {
			kept = "pruned"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Step, fmtTime(c.Time), c.WeightsSHA256, kept)
	}
	tw.Flush()
	if meas, train, ok := costs(rows); ok && train > 0 {
		fmt.Fprintf(w, "\nmeasuring specialization took %.1f s, %.1f%% of the %.1f s spent in training steps\n", meas, 100*meas/train, train)
	}
}

// costs are the seconds spent measuring metrics and in training steps, from
// the latest row that logs both.
func costs(rows []results.Row) (meas, train float64, ok bool) {
	for i := len(rows) - 1; i >= 0; i-- {
		tr, ok1 := rows[i].Values[experiments.KeyCostTrain]
		me, ok2 := rows[i].Values[experiments.KeyCostMeas]
		if ok1 && ok2 {
			return me, tr, true
		}
	}
	return 0, 0, false
}

func hasAny(r results.Row, cols []string) bool {
	for _, c := range cols {
		if _, ok := r.Values[c]; ok {
			return true
		}
	}
	return false
}

func fmtValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e5):
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

type tidyRow struct {
	Run    string  `json:"run"`
	Step   int     `json:"step"`
	Metric string  `json:"metric"`
	Value  jsonNum `json:"value"`
}

// jsonNum writes NaN and infinities as strings, which JSON has no number for.
type jsonNum float64

func (n jsonNum) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Marshal(v)
}

func tidy(dir string, rows []results.Row, cols []string) []tidyRow {
	var out []tidyRow
	for _, r := range rows {
		for _, c := range cols {
			if v, ok := r.Values[c]; ok {
				out = append(out, tidyRow{dir, r.Step, c, jsonNum(v)})
			}
		}
	}
	return out
}

func allKeys(rows []results.Row) []string {
	set := map[string]bool{}
	for _, r := range rows {
		for k := range r.Values {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func showJSON(w io.Writer, dir string, info results.Info, st results.Status, rows []results.Row, cols []string, cks []results.CheckpointInfo) error {
	type ckJSON struct {
		Step       int    `json:"step"`
		Time       string `json:"time"`
		SHA256     string `json:"weights_sha256"`
		HasWeights bool   `json:"has_weights"`
	}
	out := struct {
		Run         string    `json:"run"`
		Name        string    `json:"name"`
		Seed        uint64    `json:"seed"`
		ConfigHash  string    `json:"config_sha256"`
		Version     string    `json:"version"`
		Parent      string    `json:"parent,omitempty"`
		ParentStep  int       `json:"parent_step,omitempty"`
		State       string    `json:"state"`
		Step        int       `json:"step"`
		Total       int       `json:"total"`
		Reason      string    `json:"reason,omitempty"`
		Rows        []tidyRow `json:"rows"`
		Checkpoints []ckJSON  `json:"checkpoints"`
	}{dir, info.Name, info.Seed, info.ConfigHash, info.Version, info.Parent, info.ParentStep,
		string(st.State), st.Step, st.Total, st.Reason, tidy(dir, rows, cols), nil}
	for _, c := range cks {
		out.Checkpoints = append(out.Checkpoints, ckJSON{c.Step, c.Time.UTC().Format("2006-01-02T15:04:05Z"), c.WeightsSHA256, c.HasWeights})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func showCSV(w io.Writer, dir string, rows []results.Row, cols []string) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"run", "step", "metric", "value"})
	for _, t := range tidy(dir, rows, cols) {
		cw.Write([]string{t.Run, strconv.Itoa(t.Step), t.Metric, strconv.FormatFloat(float64(t.Value), 'g', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// mergeRows overlays extra's values on rows, step by step.
func mergeRows(rows, extra []results.Row) []results.Row {
	byStep := map[int]int{}
	for i, r := range rows {
		byStep[r.Step] = i
	}
	for _, x := range extra {
		i, ok := byStep[x.Step]
		if !ok {
			rows = append(rows, results.Row{Step: x.Step, Values: map[string]float64{}})
			i = len(rows) - 1
			byStep[x.Step] = i
		}
		for k, v := range x.Values {
			rows[i].Values[k] = v
		}
	}
	slices.SortFunc(rows, func(a, b results.Row) int { return a.Step - b.Step })
	return rows
}
