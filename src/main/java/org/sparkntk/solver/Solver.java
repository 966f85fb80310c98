package org.sparkntk.solver;

/**
 * One solver.type. A solver reads its problem from a {@link FitContext}: through
 * {@link FitContext#operators()} (products Θ·V only) it runs on every backend, the dense one
 * included; where a direct method on dense arrays exists it may use {@link FitContext#dense()}
 * when the driver holds the kernels. Registered in {@link Solvers}.
 */
public interface Solver {
  /** The solver.type that selects it. */
  String type();

  /** The fit, with what it did (iterations, residuals, seconds) put in {@link FitContext#diagnostics()}. */
  FitResult fit(FitContext context);

  /**
   * Whether the solver works on the training kernel Θ(X, X) (true) or on the kernels against a set
   * of centres only ({@link NystromSolver}, which never builds Θ(X, X)).
   */
  default boolean needsTrainingKernel() {
    return true;
  }

  /** Dense N·k × N·k copies of the training kernel the driver backend holds at once (the kernel included). */
  int denseTrainCopies();

  /** Dense copies of the cross kernel the driver backend holds at once. */
  default int denseCrossCopies() {
    return 1;
  }

  /**
   * Numbers the solver keeps on the driver besides its N·k × c vectors when it runs on products, for
   * {@code rows} = N·k, k kernel rows per example and {@code columns} = c.
   */
  default long productWorkspace(long rows, int k, long columns, FitRequest request) {
    return 0;
  }

  /** How many times the predictions are recorded for this request. */
  int recordedTimes(FitRequest request);

  /**
   * Whether the cross kernel is applied more than once (once per recorded time), so that the
   * distributed backend keeps it stored rather than recomputing it for each product.
   */
  default boolean reappliesCrossKernel() {
    return false;
  }
}
