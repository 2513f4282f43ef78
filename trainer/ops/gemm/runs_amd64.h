// The runs of A's depth that every micro-kernel reads (see kernelGeneric):
// the seg and gap arguments, the length of each run, in the registers all
// the kernels use for them.

// RUNARGS(rowBytes) loads seg into AX and gap, in bytes of A (gap steps of
// rowBytes), into BX.
#define RUNARGS(rowBytes) \
	MOVQ seg+56(FP), AX; \
	MOVQ gap+64(FP), BX; \
	IMULQ $rowBytes, BX

// RUNLEN(mask, shift) takes the next run from the CX steps left: R9 gets
// its length, min(seg, CX), shifted right by shift (the unrolled
// iterations; the zero flag set when there are none), R12 its length
// and mask (the steps after them), and CX what is left after it.
#define RUNLEN(mask, shift) \
	MOVQ AX, R9; \
	CMPQ CX, AX; \
	CMOVQLT CX, R9; \
	SUBQ R9, CX; \
	MOVQ R9, R12; \
	ANDQ $mask, R12; \
	SHRQ $shift, R9
