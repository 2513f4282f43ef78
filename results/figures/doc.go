// Package figures renders what researchers would rather look at than read:
// grids of first-layer kernels per branch (as in Krizhevsky et al. 2012,
// Figure 3), written as PNG.
package figures
