// Package cblas calls OpenBLAS's single-threaded cblas_sgemm through cgo
// when built with the tag openblas; without the tag it is empty.
package cblas
