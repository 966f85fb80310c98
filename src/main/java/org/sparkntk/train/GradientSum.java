package org.sparkntk.train;

import java.io.Serializable;

/**
 * Sums over a set of rows of the per-example cost c_i and of its gradient ∇_θ c_i, in the layout of
 * {@link org.sparkntk.model.Mlp#parameters()}; the full-batch cost and gradient are
 * C = {@link #cost()}/N and ∇_θ C = {@link #gradient()}/N with N = {@link #rows()}.
 *
 * <p>Mutable accumulator, as Spark's aggregate functions use it: {@link #add} adds in place and
 * returns this. An empty sum allocates no gradient array until rows are added, so the zero value a
 * Spark job ships to each task costs a few bytes whatever P is.
 */
public final class GradientSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int parameters;
  private double cost;
  private long rows;
  private double[] gradient;

  /** The sum over no rows, for P parameters. */
  public GradientSum(int parameters) {
    if (parameters <= 0) {
      throw new IllegalArgumentException("a network has P > 0 parameters, got " + parameters);
    }
    this.parameters = parameters;
  }

  /** P. */
  public int parameters() {
    return parameters;
  }

  /** Σ_i c_i. */
  public double cost() {
    return cost;
  }

  /** Number of rows summed. */
  public long rows() {
    return rows;
  }

  /** Σ_i ∇_θ c_i, [P] (zeros for an empty sum); not a copy. */
  public double[] gradient() {
    return gradient != null ? gradient : new double[parameters];
  }

  /** The gradient array to accumulate into, allocated on first use. */
  double[] gradientForUpdate() {
    if (gradient == null) {
      gradient = new double[parameters];
    }
    return gradient;
  }

  void addRows(int count, double costSum) {
    rows += count;
    cost += costSum;
  }

  /** this += other; returns this. */
  public GradientSum add(GradientSum other) {
    if (other.parameters != parameters) {
      throw new IllegalArgumentException("cannot add gradient sums over " + parameters + " and "
          + other.parameters + " parameters");
    }
    if (other.gradient != null) {
      double[] g = gradientForUpdate();
      for (int p = 0; p < parameters; p++) {
        g[p] += other.gradient[p];
      }
    }
    rows += other.rows;
    cost += other.cost;
    return this;
  }
}
