package org.sparkntk.solver;

/**
 * A kernel seen through products on both sides: Θ V and Θᵀ U. Nyström regression needs both for
 * Θ(X, C), the training rows against the centres ({@link NystromSolver}).
 */
public interface TransposableOperator extends KernelOperator {
  /**
   * Θᵀ U for the row-major [rows × c] matrix {@code u}: a new row-major [cols × c] array.
   * {@code u} is not modified.
   */
  double[] applyTransposed(double[] u, int c);

  /** Θᵀ(Θ V), [cols × c]: by default the two products; an implementation may do it in one pass. */
  default double[] normalProduct(double[] v, int c) {
    return applyTransposed(apply(v, c), c);
  }
}
