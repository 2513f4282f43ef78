// Command branchspec trains branched CNNs under configured regimes, logs
// per-branch specialization over training, and compares runs.
//
// Each subcommand lives in its own file as a *command value whose flags
// bind to a local options struct; it parses them, calls one operation of
// package experiments and prints to the streams it is given. main only
// registers and dispatches (serve calls experiments/serve, the web page's
// package, in the same way). Exit status: 0 success, 1 failure, 2 usage
// error (a bad flag, or an error matching experiments.ErrInvalid), 3
// resource refusal (experiments.ErrMemory: refused before anything was
// created because it would not fit in memory), 130 interrupted (SIGINT,
// SIGTERM, SIGUSR1 or SIGHUP: the run checkpointed and can be resumed).
//
// Boundaries: this package imports nothing of the module but experiments
// and experiments/serve, and never gorgonia or bbolt.
package main
