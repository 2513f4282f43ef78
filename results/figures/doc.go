// Package figures renders what researchers would rather look at than read:
// grids of first-layer kernels per branch (as in Krizhevsky et al. 2012,
// Figure 3), written as PNG; curves of a metric's mean across seeds with a
// confidence band per regime; and heatmaps such as the rejoin dependency
// matrix. Curves and heatmaps are drawn with gonum.org/v1/plot and written
// as PNG or SVG.
//
// Boundaries: figures owns the drawing of curves, heatmaps and kernel
// grids from numbers; it must never import another branchspec package.
package figures
