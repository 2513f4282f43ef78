// Package npy writes and reads float32 arrays in NumPy's .npy format
// (version 1.0), so exported weights load with numpy.load.
//
// Format (numpy/lib/format.py): the magic "\x93NUMPY", a version byte pair
// (1, 0), a little-endian uint16 header length, an ASCII dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (d0, d1, ), } padded
// with spaces and a final newline so that the data starts at a multiple of
// 64 bytes, then the data in C order.
//
// Boundaries: npy owns the file format only; it must never import another
// branchspec package.
package npy
