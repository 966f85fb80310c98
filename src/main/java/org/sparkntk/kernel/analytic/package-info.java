/**
 * The infinite-width NTK and NNGP by the layer recursion: closed forms where the activation has
 * one, Gauss–Hermite or trapezoidal quadrature otherwise (docs/THEORY.md, section 3). Built by
 * {@code kernel.Kernels} only.
 */
package org.sparkntk.kernel.analytic;
