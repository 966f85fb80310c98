/**
 * The solvers, one {@link org.sparkntk.solver.Solver} per solver.type, registered in
 * {@link org.sparkntk.solver.Solvers} and run through {@link org.sparkntk.solver.FitContext};
 * written against {@link org.sparkntk.solver.KernelOperator} (a kernel seen only through products
 * Θ·V) where they are iterative: kernel gradient descent (mse, cross-entropy), the flow's closed
 * form, kernel regression by Cholesky or Nyström-preconditioned CG, the spectrum by LAPACK or
 * Lanczos, the losses, and the FFT operator of stationary kernels on pixel grids.
 * Plain Java; depends on {@code kernel} and {@code linalg}.
 */
package org.sparkntk.solver;
