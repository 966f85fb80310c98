package org.sparkntk.solver;

/**
 * Where a kernel regression by PCG ({@link FitContext#withCheckpoint})
 * keeps what it has paid for, so that a run restarted after its driver died continues instead of
 * starting over: the Nyström basis (one product with r columns) and the iterate X.
 *
 * <p>Restarting CG from a saved X is CG from a new starting point: r₀ = B − (Θ + ρI) X, then the
 * usual recurrences. It converges to the same solution; only the Krylov space built before the
 * save is lost, so a restart may take a few more iterations than the uninterrupted run had left.
 * The implementation decides when to write (the solver calls {@link #iteration} after every
 * iteration) and must make each save atomic.
 */
public interface RegressionCheckpoint {
  /** A saved iterate: the PCG iterations it took (over all runs) and X, row-major [n × c]. */
  record Iterate(int iteration, double[] x) {}

  /** The basis saved for this kernel, rank and seed, or null. */
  NystromPreconditioner.Basis preconditioner(int n, int rank);

  /** Saves the basis just built. */
  void savePreconditioner(NystromPreconditioner.Basis basis);

  /** The iterate saved for this kernel, right-hand side and ridge, or null. */
  Iterate iterate(int n, int c);

  /** After each PCG iteration: {@code iteration} counts every run's iterations, X is row-major [n × c]. */
  void iteration(int iteration, double[] x);

  /** After PCG stopped, converged or at solver.maxIter, with its last iterate. */
  void stopped(int iteration, double[] x);
}
