package ops

import "branchspec/trainer/ops/gemm"

// vecLevel is the vector instruction set of the element-wise ops' fast
// paths (max pooling, LRN). Every level gives the same bits; the level
// follows the op's kernel, by default the process's (gemm.Default), so
// that a process run under gemm.EnvKernel=avx2 or portable also runs those
// paths.
type vecLevel int

const (
	vecNone vecLevel = iota // portable Go
	vecAVX2                 // AVX2 (and AVX)
	vec512                  // AVX-512F
)

// vecLevels lists the levels this CPU runs: one per kernel in
// gemm.Kernels(), fastest first.
func vecLevels() []vecLevel {
	var vs []vecLevel
	for _, k := range gemm.Kernels() {
		vs = append(vs, vecOf(k))
	}
	return vs
}

// vecOf returns the level of kernel k.
func vecOf(k gemm.Kernel) vecLevel {
	switch k {
	case gemm.AVX512:
		return vec512
	case gemm.AVX2:
		return vecAVX2
	}
	return vecNone
}

// kernelVec returns the level of kernel k, a kernel this CPU runs or ""
// for gemm.Default() (vecNone when the process names a kernel this CPU
// does not run, which the ops that depend on the kernel report as an
// error).
func kernelVec(k gemm.Kernel) vecLevel {
	if k == "" {
		var err error
		if k, err = gemm.Default(); err != nil {
			return vecNone
		}
	}
	return vecOf(k)
}
