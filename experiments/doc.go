// Package experiments drives training runs and offers every operation the
// command line performs: it starts, resumes and forks runs through one
// lifecycle (lock, create or open, session, restore), checkpoints them into
// the results store on the config's schedule, measures specialization at
// each checkpoint against the run's origin (its initial weights and the
// initialisation null, drawn once when the run is created; origin.go),
// runs sweeps of regimes and seeds locally or hands them
// to Slurm or Kubernetes, and reads runs back: show, list, export, kernel
// grids, analyze, compare and the HTML report.
//
// Before anything is created it estimates the memory a run, a sweep's
// plan, a figure or a comparison needs and refuses what does not fit
// (ErrMemory); requests it cannot take are ErrInvalid; a run records the
// matrix products it was made with and a resume checks them
// (ErrKernelChanged).
//
// # Boundaries
//
// experiments owns runs and what is done with them: the lifecycle,
// experiment files and manifests, the metric pass (which metrics, with
// which streams, under which keys), comparisons and the layout of reports.
// It asks trainer for weights, activations and evaluations through its
// methods and must never import gorgonia, trainer/ops or the GEMM, nor
// bbolt (results stores for it); cmd/branchspec must import nothing but
// experiments and experiments/serve (the web page over these operations,
// which nothing else imports) from this module.
package experiments
