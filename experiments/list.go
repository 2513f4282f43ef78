package experiments

import (
	"fmt"
	"io"
	"text/tabwriter"

	"branchspec/results"
)

// WriteRunList writes a table of every run below root (results.List): run,
// config name and hash, seed, step/total, the latest test accuracy ("-"
// when none was measured), status (StatusWord) and last update. A run
// that cannot be read is a row with the error.
func WriteRunList(w io.Writer, root string) error {
	sums, err := results.List(root)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCONFIG\tSEED\tSTEP\tTEST ACC\tSTATUS\tUPDATED")
	for _, s := range sums {
		if s.Err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\terror: %v\t-\n", s.Dir, s.Err)
			continue
		}
		hash := s.Info.ConfigHash
		if len(hash) > 8 {
			hash = hash[:8]
		}
		fmt.Fprintf(tw, "%s\t%s@%s\t%d\t%d/%d\t%s\t%s\t%s\n", s.Dir, s.Info.Name, hash, s.Info.Seed,
			s.Status.Step, s.Status.Total, formatAcc(s.Status.TestAcc), StatusWord(s), formatTime(s.Status.Updated))
	}
	return tw.Flush()
}
