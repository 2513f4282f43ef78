// Shuffles shared by the assembly of this package (pool_amd64.s,
// winograd_amd64.s).

// DEINT splits 16 consecutive values lo (the first 8) and hi into their
// even-indexed values ev and odd-indexed od, in order: VSHUFPS picks them
// within each 128-bit lane, VPERMPD puts the lanes' halves back in order.
#define DEINT(lo, hi, ev, od) \
	VSHUFPS $0x88, hi, lo, ev; \
	VSHUFPS $0xDD, hi, lo, od; \
	VPERMPD $0xD8, ev, ev; \
	VPERMPD $0xD8, od, od

// INTERLEAVE_STORE stores the 16 values a0 b0 a1 b1 ... a7 b7 at (dst), a
// register (the inverse of DEINT), through t0 and t1; it overwrites a and
// b.
#define INTERLEAVE_STORE(a, b, t0, t1, dst) \
	VUNPCKLPS b, a, t0; \
	VUNPCKHPS b, a, t1; \
	VPERM2F128 $0x20, t1, t0, a; \
	VPERM2F128 $0x31, t1, t0, b; \
	VMOVUPS a, (dst); \
	VMOVUPS b, 32(dst)
