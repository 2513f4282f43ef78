package trainer

import "branchspec/trainer/ops/gemm"

// Kernel is the identity of the matrix products this program trains with
// on this machine (implementation, micro-kernel, architecture level; see
// gemm.Identity). Runs made with different identities differ in their
// last bits, so a run records it at creation and a resume checks it.
func Kernel() gemm.Identity { return gemm.Current() }
