// Package experiments drives training runs: it starts and resumes a run
// from its config, checkpoints it into the results store on the config's
// schedule, measures specialization at each checkpoint, and runs sweeps of
// regimes and seeds.
package experiments
