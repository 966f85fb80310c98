/**
 * The empirical NTK of a finite network: the structured per-layer route, the explicit J Jᵀ
 * route, and the Monte-Carlo mean over initialisations. Built by {@code kernel.Kernels} only.
 */
package org.sparkntk.kernel.empirical;
