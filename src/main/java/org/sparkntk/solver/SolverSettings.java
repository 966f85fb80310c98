package org.sparkntk.solver;

/**
 * What the iterative solvers are told to stop at and start from.
 *
 * @param tol            relative residual of PCG, and the stopping tolerance of Lanczos (flow)
 * @param maxIter        most PCG iterations or Lanczos steps
 * @param rank           rank of the Nyström preconditioner (0: plain CG)
 * @param eigenTolerance relative residual of the λ_max Ritz pair
 * @param seed           seed of the random start vectors and sketches
 */
public record SolverSettings(double tol, int maxIter, int rank, double eigenTolerance, long seed) {
  public SolverSettings {
    if (!(tol > 0 && tol < 1)) {
      throw new IllegalArgumentException("solver.tol must be in (0, 1), got " + tol);
    }
    if (maxIter < 1) {
      throw new IllegalArgumentException("solver.maxIter must be ≥ 1, got " + maxIter);
    }
    if (rank < 0) {
      throw new IllegalArgumentException("solver.rank must be ≥ 0, got " + rank);
    }
  }

  /** The keys' defaults: tol 1e-8, 1000 iterations, rank 500. */
  public static SolverSettings defaults() {
    return new SolverSettings(1e-8, 1000, 500, 1e-10, 0x5eed);
  }
}
