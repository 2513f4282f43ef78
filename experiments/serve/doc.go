// Package serve is the local web page of 'branchspec serve': a read-only
// HTTP server over the runs below some directories that lists them while
// they train, draws any metric's curves (per run, or per group as the
// mean with its bootstrap band), shows the contrasts and feedback
// signature of a comparison, and the first-layer kernel grid of any run
// at any checkpoint that kept its weights.
//
// # One computation, three views
//
// Every number on the page comes from package experiments, the code
// behind 'compare' and 'report': runs are aligned and grouped by
// experiments.NewLoadedRun, curves are experiments.CompareCurves (the
// curve points of experiments.Compare), contrasts and feedback tables are
// experiments.Compare's own tables (Comparison.Table), and kernel grids
// are experiments.WriteKernelGrid. The page's JavaScript only draws and
// formats what the server sends; it computes no statistic.
//
// # Readers never wait
//
// The server never holds a run's store open. It finds runs with
// results.Find (no open), tells whether a run changed by its
// results.Stamp (a stat, no lock) and reads a changed run once, in one
// read transaction (results.Run.Snapshot), with a lock timeout of
// Options.ReadTimeout: by default a single non-blocking attempt. A run in
// the middle of a commit is shown as it was at the previous read, marked
// busy, and read again at the next refresh; a training process is thus
// delayed only when one of its commits falls inside one of these short
// reads, as with 'ls'. Requests between refreshes are answered from
// memory, so a page polling many runs costs one stat per run and
// refresh.
//
// # Security
//
// The page has no authentication. By default it is served on the
// loopback interface only and requests must name a loopback host
// (against DNS rebinding); other addresses need Config.Public. Only GET
// and HEAD are answered (405 otherwise), nothing is written, and a run is
// addressed by an identifier looked up in the list of discovered runs,
// never by a path taken from the request.
//
// # Boundaries
//
// serve may import experiments and results (for their read-only
// operations) and must never import trainer, metrics, configs, gorgonia
// or bbolt; nothing but cmd/branchspec imports it.
package serve
