package experiments

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"branchspec/results"
)

// PlannedRun is what a sweep would do with one run of its plan: start it
// ("new"; for a fork regime's run, fork it from its parent's run once that
// has reached the fork step), resume it ("resume STEP/TOTAL"), skip it
// ("done"), or refuse it (a directory that holds another config or, for a
// fork regime, a run that is not that fork, or a store that cannot be
// read; State then says why).
type PlannedRun struct {
	Spec   RunSpec
	State  string
	Memory Memory // the estimated peak memory of training it
}

// PlanStates reads, without waiting on a run being trained, what Sweep
// would do with each run of specs, and each run's memory estimate.
func PlanStates(specs []RunSpec) ([]PlannedRun, error) {
	out := make([]PlannedRun, len(specs))
	for i, s := range specs {
		e, err := EstimateRun(s.Config)
		if err != nil {
			return nil, err
		}
		out[i] = PlannedRun{Spec: s, State: plannedState(s), Memory: e.Total()}
	}
	return out, nil
}

func plannedState(s RunSpec) string {
	run, err := results.Open(s.Dir, &results.Options{Timeout: 250 * time.Millisecond})
	switch {
	case errors.Is(err, results.ErrNotFound):
		return "new"
	case errors.Is(err, results.ErrTimeout):
		return "busy (being written)"
	case err != nil:
		return "unreadable: " + err.Error()
	}
	info, err := run.Info()
	if err != nil {
		return "unreadable: " + err.Error()
	}
	if info.ConfigHash != s.Config.Hash() {
		return fmt.Sprintf("refused: holds config %.12s", info.ConfigHash)
	}
	if s.Parent != nil {
		what, err := forkOf(run, *s.Parent)
		if err != nil {
			return "unreadable: " + err.Error()
		}
		if what != "" {
			return "refused: holds " + what
		}
	}
	st, err := run.Status()
	if err != nil {
		return "unreadable: " + err.Error()
	}
	if st.State == results.Done {
		return "done"
	}
	return fmt.Sprintf("resume %d/%d", st.Step, st.Total)
}

// WritePlan writes one line per planned run (regime, seed, config hash,
// where it starts from, state, memory estimate, directory) and a summary
// line. A run starts from "-" (trained from scratch) or, for a fork
// regime's run, from REGIME@STEP: the same seed's run of regime REGIME at
// step STEP.
func WritePlan(w io.Writer, plan []PlannedRun) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "regime\tseed\tconfig\tfrom\tstate\tmemory\tdir")
	counts := map[string]int{}
	for _, p := range plan {
		from := "-"
		if par := p.Spec.Parent; par != nil {
			from = fmt.Sprintf("%s@%d", par.Regime, par.At)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.12s\t%s\t%s\t%s\t%s\n", p.Spec.Regime, p.Spec.Seed, p.Spec.Config.Hash(), from, p.State, p.Memory, p.Spec.Dir)
		switch {
		case p.State == "new", p.State == "done":
			counts[p.State]++
		case len(p.State) > 6 && p.State[:6] == "resume":
			counts["resume"]++
		default:
			counts["other"]++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d runs: %d new, %d to resume, %d done, %d refused or unreadable\n",
		len(plan), counts["new"], counts["resume"], counts["done"], counts["other"])
	return err
}
