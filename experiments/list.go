package experiments

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"branchspec/results"
)

// BusyTimeout is how long WriteRunList waits for each run's database
// file lock before it shows the run as busy: readers never wait long on a
// program that holds a run's file (a training process holds it for the
// milliseconds of a commit).
const BusyTimeout = 250 * time.Millisecond

// WriteRunList writes a table of every run below the directory root
// (results.ListWith): run, config name and hash, seed, step/total, the
// latest test accuracy ("-" when none was measured), status (StatusWord)
// and last update. A run that cannot be read is a row with the error; a
// run whose file another program holds for longer than BusyTimeout is a
// row with the status "busy". A root that is not a directory is an error.
func WriteRunList(w io.Writer, root string) error {
	if fi, err := os.Stat(root); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: ls lists the runs below a results or run directory", root)
	}
	sums, err := results.ListWith(root, &results.Options{Timeout: BusyTimeout})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCONFIG\tSEED\tSTEP\tTEST ACC\tSTATUS\tUPDATED")
	for _, s := range sums {
		if errors.Is(s.Err, results.ErrTimeout) {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tbusy: another program holds run.db\t-\n", s.Dir)
			continue
		}
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
