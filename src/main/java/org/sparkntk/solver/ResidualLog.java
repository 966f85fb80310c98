package org.sparkntk.solver;

import org.slf4j.Logger;

/**
 * Logs a conjugate-gradient solve's relative residual at most every 10 s: one product with a large
 * kernel takes seconds, so a solve of hundreds of iterations would otherwise be silent for minutes.
 */
final class ResidualLog implements ConjugateGradient.Listener {
  private static final long EVERY_NANOS = 10_000_000_000L;
  private final Logger log;
  private final String what;
  private final double tol;
  private final long start = System.nanoTime();
  private long last = start;

  /** Logs to {@code log} as "{@code what} iteration i: relative residual …", from now. */
  ResidualLog(Logger log, String what, double tol) {
    this.log = log;
    this.what = what;
    this.tol = tol;
  }

  @Override
  public void iteration(int iteration, double[] x, double residual) {
    long now = System.nanoTime();
    if (now - last >= EVERY_NANOS) {
      last = now;
      log.info(String.format("%s iteration %d: relative residual %.3g (solver.tol %.3g), %.1f s", what, iteration,
          residual, tol, (now - start) / 1e9));
    }
  }
}
