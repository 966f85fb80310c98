package org.sparkntk.solver;

/**
 * An iterative solver (PCG, Lanczos) stopped at its iteration limit above its tolerance. The
 * message gives the residual reached and the keys to change; no result is returned, because an
 * unconverged one is not the quantity asked for.
 */
public final class NotConvergedException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  public NotConvergedException(String message) {
    super(message);
  }
}
