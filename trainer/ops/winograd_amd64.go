//go:build amd64

package ops

// winoInputAVX is the Winograd input transform of rows rows of 8*nb tiles; see
// winograd_amd64.s. It requires AVX2.
//
//go:noescape
func winoInputAVX(xp *float32, ldx int, v *float32, ldv int, nb, rows int)

// winoOutputAVX is the Winograd output transform of rows rows of 8*nb tiles; see
// winograd_amd64.s. It requires AVX2.
//
//go:noescape
func winoOutputAVX(m *float32, ldm int, y *float32, w int, bias *float32, flags int, nb, rows int)

// winoGradAVX is the gradient of the Winograd output transform for rows
// rows of 8*nb tiles; see winograd_amd64.s. It requires AVX2.
//
//go:noescape
func winoGradAVX(gy *float32, w int, dm *float32, ldm int, nb, rows int)
