//go:build !amd64

package ops

// winoInputAVX is never called off amd64 (vecLevel is vecNone there).
func winoInputAVX(xp *float32, ldx int, v *float32, ldv int, nb, rows int) {
	panic("ops: winoInputAVX off amd64")
}

// winoOutputAVX is never called off amd64 (vecLevel is vecNone there).
func winoOutputAVX(m *float32, ldm int, y *float32, w int, bias *float32, flags int, nb, rows int) {
	panic("ops: winoOutputAVX off amd64")
}

// winoGradAVX is never called off amd64 (vecLevel is vecNone there).
func winoGradAVX(gy *float32, w int, dm *float32, ldm int, nb, rows int) {
	panic("ops: winoGradAVX off amd64")
}
