// Package optim provides gradient-descent solvers (SGD with momentum, Adam and
// AdamW) for gorgonia graphs whose complete state can be saved and restored
// bit-exactly, and the learning-rate schedules that drive them.
//
// The solvers implement gorgonia's [G.Solver] interface, so they drop into a
// TapeMachine training loop in place of gorgonia's own solvers. Unlike those,
// every piece of state that influences a future update (moment estimates,
// velocities, per-parameter step counts, the learning rate) is exposed through
// [Solver.State] and restored by [Solver.SetState]: a solver restored from a
// saved State and fed the same gradients produces the same weights, bit for
// bit, as one that was never interrupted.
//
// Parameters are identified by name (see the project's naming contract:
// "stem.0.w", "branch.1.2.b", "out.w", ...), never by position, so the order in
// which a model lists its parameters does not matter.
//
// All element-wise arithmetic is float32, in a fixed order, on one goroutine.
// Scalars that are constant within a step (learning rate, bias corrections,
// decay factors) are computed in float64 and rounded once to float32. Every
// float32 product is converted explicitly before it is added, which forbids
// the compiler from fusing it into an FMA (Go spec, "Floating-point
// operators"), so results are the same on every architecture.
//
// Boundaries: optim owns the solvers, their checkpointable state and the
// learning-rate schedule (LRSchedule); it must never import another
// branchspec package.
package optim
