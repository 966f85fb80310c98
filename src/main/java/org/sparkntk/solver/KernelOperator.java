package org.sparkntk.solver;

/**
 * A kernel matrix seen only through its products, the seam between the solvers and where the
 * kernel lives: a dense array on the driver ({@link DenseKernelOperator}) or blocks kept on the
 * executors (the distributed backend). The iterative solvers ({@link ConjugateGradient},
 * {@link Lanczos}, the {@link Solver}s) use nothing else, as Spark's {@code RowMatrix.computeSVD}
 * hands ARPACK only the product v ↦ AᵀA v.
 *
 * <p>Index conventions are those of {@link KernelProblem}: rows i·k + a for k kernel rows per
 * example, right-hand sides row-major [cols × c].
 */
public interface KernelOperator {

  /** Rows of the matrix: N·k for the training kernel Θ(X, X), M·k for the cross kernel Θ(X*, X). */
  int rows();

  /** Columns of the matrix, N·k. */
  int cols();

  /** Kernel rows per example, k (1 for a trace kernel, O for a full one). */
  int rowsPerExample();

  /**
   * Θ V for the row-major [cols × c] matrix {@code v}: a new row-major [rows × c] array.
   * {@code v} is not modified.
   */
  double[] apply(double[] v, int c);

  /** How many products this operator has computed so far (for metrics). */
  long products();

  /** A short description for logs and metrics (where the kernel lives, its storage). */
  String describe();
}
