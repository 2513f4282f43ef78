package gemm

import "unsafe"

// kernelGeneric is the portable version of the 6x16 micro-kernel:
//
//	C[i][j] += sum_p a[p*mr+i] * b[p*nr+j],  0 <= i < mr, 0 <= j < nr
//
// a holds k*mr packed values, b holds k*nr, and c addresses a tile with row
// stride ldc.
func kernelGeneric(k int, a, b, c *float32, ldc int) {
	if k == 0 {
		return
	}
	as := unsafe.Slice(a, k*mr)
	bs := unsafe.Slice(b, k*nr)
	var acc [mr][nr]float32
	for p := 0; p < k; p++ {
		bp := (*[nr]float32)(bs[p*nr : p*nr+nr])
		ap := as[p*mr : p*mr+mr]
		for i := 0; i < mr; i++ {
			ai := ap[i]
			row := &acc[i]
			for j := 0; j < nr; j++ {
				row[j] += ai * bp[j]
			}
		}
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			row[j] += acc[i][j]
		}
	}
}
