package experiments

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"branchspec/results"
)

// DefaultShowColumns are the metrics ShowRun selects when no pattern is
// given, in order, where the run logs them.
func DefaultShowColumns() []string {
	return []string{KeyTrainLoss, KeyTestLoss, KeyTestAcc, KeyLR,
		"dchroma.eta2", "dchroma.eta2.p", "chroma.eta2", "rejoin.fmaxshare", "rejoin.fmaxshare.p", "ncut.rejoin.p",
		"cka.between", "lesion.b0", "lesion.b1"}
}

// ShowOptions select what ShowRun reads.
type ShowOptions struct {
	// Metrics are glob or prefix patterns (MatchKeys) selecting the
	// columns; none selects DefaultShowColumns for the table and every key
	// for the tidy (JSON, CSV) outputs.
	Metrics []string
	// AllSteps shows every logged step in the table, not only the steps
	// with an evaluation.
	AllSteps bool
	// Analysis, when not "", also shows the metrics 'analyze' stored under
	// this program version, overlaid on the training-time rows.
	Analysis string
}

// RunView is one run as 'show' presents it.
type RunView struct {
	Dir         string
	Summary     results.Summary // Info, Status and Live (Last unset)
	Rows        []results.Row
	Checkpoints []results.CheckpointInfo
	// Analyses are the program versions with stored analyses.
	Analyses []string
	// KernelChanges are the points where training went on with other
	// matrix products (results.KernelChange).
	KernelChanges []results.KernelChange
	opts          ShowOptions
}

// ShowRun reads the run in dir for display.
//
// A malformed pattern, and patterns that select none of the run's keys,
// are ErrInvalid errors; the latter lists the keys the run has.
func ShowRun(dir string, o ShowOptions) (*RunView, error) {
	if err := CheckPatterns(o.Metrics); err != nil {
		return nil, err
	}
	run, err := results.Open(dir, nil)
	if err != nil {
		return nil, err
	}
	v := &RunView{Dir: run.Dir(), opts: o, Summary: results.Summary{Dir: run.Dir()}}
	if v.Summary.Info, err = run.Info(); err != nil {
		return nil, err
	}
	if v.Summary.Status, err = run.Status(); err != nil {
		return nil, err
	}
	if v.Summary.Live, err = run.Live(); err != nil {
		return nil, err
	}
	if v.Rows, err = run.Rows(); err != nil {
		return nil, err
	}
	if v.Checkpoints, err = run.Checkpoints(); err != nil {
		return nil, err
	}
	if v.Analyses, err = run.AnalysisVersions(); err != nil {
		return nil, err
	}
	if v.KernelChanges, err = run.KernelChanges(); err != nil {
		return nil, err
	}
	if o.Analysis != "" {
		extra, err := run.Analysis(o.Analysis)
		if err != nil {
			return nil, err
		}
		if len(extra) == 0 {
			return nil, fmt.Errorf("%s has no analysis of version %q", run.Dir(), o.Analysis)
		}
		v.Rows = mergeRows(v.Rows, extra)
	}
	if keys := v.keys(); len(o.Metrics) > 0 && len(keys) > 0 && len(v.Columns()) == 0 {
		return nil, invalidf("no metric of %s matches %s; it logs %s", run.Dir(), strings.Join(o.Metrics, ", "), clipList(keys, 12))
	}
	return v, nil
}

// clipList joins at most n of xs with commas, saying how many more there are.
func clipList(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:n], ", "), len(xs)-n)
}

// keys returns every metric key of the rows, sorted.
func (v *RunView) keys() []string {
	set := map[string]bool{}
	for _, r := range v.Rows {
		for k := range r.Values {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Columns returns the metric keys the table shows: those matching the
// patterns, sorted, or the default columns the run has.
func (v *RunView) Columns() []string {
	keys := v.keys()
	if len(v.opts.Metrics) > 0 {
		return MatchKeys(keys, v.opts.Metrics)
	}
	var cols []string
	for _, k := range DefaultShowColumns() {
		if slices.Contains(keys, k) {
			cols = append(cols, k)
		}
	}
	return cols
}

// tidyColumns are the keys of the tidy outputs: those matching the
// patterns, or every key.
func (v *RunView) tidyColumns() []string {
	if len(v.opts.Metrics) > 0 {
		return v.Columns()
	}
	return v.keys()
}

// Costs are the seconds spent measuring metrics and in training steps,
// from the latest row that logs both.
func (v *RunView) Costs() (meas, train float64, ok bool) {
	for i := len(v.Rows) - 1; i >= 0; i-- {
		tr, ok1 := v.Rows[i].Values[KeyCostTrain]
		me, ok2 := v.Rows[i].Values[KeyCostMeas]
		if ok1 && ok2 {
			return me, tr, true
		}
	}
	return 0, 0, false
}

// WriteText writes the run's identity, status and lineage, the selected
// metric series (steps with an evaluation, or all), the checkpoints and
// the share of time spent measuring.
func (v *RunView) WriteText(w io.Writer) error {
	info, st := v.Summary.Info, v.Summary.Status
	if len(v.Analyses) > 0 {
		fmt.Fprintf(w, "analyses %s (show them with --analysis VERSION)\n", strings.Join(v.Analyses, ", "))
	}
	fmt.Fprintf(w, "run      %s\n", v.Dir)
	fmt.Fprintf(w, "config   %s seed %d sha256 %s\n", info.Name, info.Seed, info.ConfigHash)
	fmt.Fprintf(w, "version  %s\n", info.Version)
	kernel := info.Kernel
	if kernel == "" {
		kernel = "not recorded (made before kernels were)"
	}
	fmt.Fprintf(w, "kernel   %s\n", kernel)
	for _, k := range v.KernelChanges {
		from := k.From
		if from == "" {
			from = "not recorded"
		}
		fmt.Fprintf(w, "kernel   changed at step %d: %s -> %s (later bits may differ from an unchanged run's)\n", k.Step, from, k.To)
	}
	if info.Parent != "" {
		fmt.Fprintf(w, "forked   from %s at step %d\n", info.Parent, info.ParentStep)
	}
	fmt.Fprintf(w, "status   %s at step %d/%d, updated %s\n\n", StatusWord(v.Summary), st.Step, st.Total, formatTime(st.Updated))
	v.writeSeries(w)
	fmt.Fprintf(w, "\ncheckpoints (%d)\n", len(v.Checkpoints))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\ttime\tweights sha256\tweights")
	for _, c := range v.Checkpoints {
		kept := "kept"
		if !c.HasWeights {
			kept = "pruned"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Step, formatTime(c.Time), c.WeightsSHA256, kept)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if meas, train, ok := v.Costs(); ok && train > 0 {
		null := ""
		if sec, ok := v.latest(KeyCostNull); ok {
			null = fmt.Sprintf(" (%.1f s of it drawing the initialisation null)", sec)
		}
		_, err := fmt.Fprintf(w, "\nmeasuring specialization took %.1f s, %.1f%% of the %.1f s spent in training steps%s\n", meas, 100*meas/train, train, null)
		return err
	}
	return nil
}

// latest is the value of key in the latest row that logs it.
func (v *RunView) latest(key string) (float64, bool) {
	for i := len(v.Rows) - 1; i >= 0; i-- {
		if x, ok := v.Rows[i].Values[key]; ok {
			return x, true
		}
	}
	return 0, false
}

// writeSeries writes the table of the selected columns by step.
func (v *RunView) writeSeries(w io.Writer) {
	cols := v.Columns()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "step\t")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t", c)
	}
	fmt.Fprintln(tw)
	for _, r := range v.Rows {
		if _, eval := r.Values[KeyTestAcc]; !v.opts.AllSteps && !eval {
			continue
		}
		if !hasAny(r, cols) {
			continue
		}
		fmt.Fprintf(tw, "%d\t", r.Step)
		for _, c := range cols {
			if x, ok := r.Values[c]; ok {
				fmt.Fprintf(tw, "%s\t", FormatValue(x))
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func hasAny(r results.Row, cols []string) bool {
	for _, c := range cols {
		if _, ok := r.Values[c]; ok {
			return true
		}
	}
	return false
}

// tidyRow is one value of a tidy table.
type tidyRow struct {
	Run    string  `json:"run"`
	Step   int     `json:"step"`
	Metric string  `json:"metric"`
	Value  jsonNum `json:"value"`
}

func (v *RunView) tidy() []tidyRow {
	cols := v.tidyColumns()
	var out []tidyRow
	for _, r := range v.Rows {
		for _, c := range cols {
			if x, ok := r.Values[c]; ok {
				out = append(out, tidyRow{v.Dir, r.Step, c, jsonNum(x)})
			}
		}
	}
	return out
}

// WriteJSON writes the run's identity, status, tidy rows (run, step,
// metric, value; NaN and infinities as strings) and checkpoints as one
// JSON object.
func (v *RunView) WriteJSON(w io.Writer) error {
	type kernelJSON struct {
		Step int    `json:"step"`
		From string `json:"from"`
		To   string `json:"to"`
	}
	type ckJSON struct {
		Step       int    `json:"step"`
		Time       string `json:"time"`
		SHA256     string `json:"weights_sha256"`
		HasWeights bool   `json:"has_weights"`
	}
	info, st := v.Summary.Info, v.Summary.Status
	out := struct {
		Run           string       `json:"run"`
		Name          string       `json:"name"`
		Seed          uint64       `json:"seed"`
		ConfigHash    string       `json:"config_sha256"`
		Version       string       `json:"version"`
		Kernel        string       `json:"kernel,omitempty"`
		KernelChanges []kernelJSON `json:"kernel_changes,omitempty"`
		Parent        string       `json:"parent,omitempty"`
		ParentStep    int          `json:"parent_step,omitempty"`
		State         string       `json:"state"`
		Step          int          `json:"step"`
		Total         int          `json:"total"`
		Reason        string       `json:"reason,omitempty"`
		Rows          []tidyRow    `json:"rows"`
		Checkpoints   []ckJSON     `json:"checkpoints"`
	}{v.Dir, info.Name, info.Seed, info.ConfigHash, info.Version, info.Kernel, nil, info.Parent, info.ParentStep,
		string(st.State), st.Step, st.Total, st.Reason, v.tidy(), nil}
	for _, k := range v.KernelChanges {
		out.KernelChanges = append(out.KernelChanges, kernelJSON{k.Step, k.From, k.To})
	}
	for _, c := range v.Checkpoints {
		out.Checkpoints = append(out.Checkpoints, ckJSON{c.Step, c.Time.UTC().Format("2006-01-02T15:04:05Z"), c.WeightsSHA256, c.HasWeights})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteCSV writes the tidy rows as CSV: run, step, metric, value.
func (v *RunView) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"run", "step", "metric", "value"})
	for _, t := range v.tidy() {
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
