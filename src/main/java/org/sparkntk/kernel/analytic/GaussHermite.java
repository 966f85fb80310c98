package org.sparkntk.kernel.analytic;

import java.io.Serializable;
import java.util.function.DoubleUnaryOperator;
import org.sparkntk.linalg.Lapack;

/**
 * An n-point Gauss–Hermite rule for expectations under the standard normal distribution,
 * E[f(z)] ≈ Σ_i w_i f(x_i) with z ~ N(0, 1) (probabilists' Hermite polynomials, Σ_i w_i = 1),
 * exact for polynomials of degree ≤ 2n − 1.
 *
 * <p>Nodes and weights come from the Golub–Welsch algorithm: the nodes are the eigenvalues of the
 * symmetric tridiagonal Jacobi matrix of the probabilists' Hermite recurrence
 * (zero diagonal, off-diagonal √k, k = 1 … n−1), the weights the squared first components of its
 * unit eigenvectors (LAPACK dsyevd). The rule is then symmetrised, x_i = −x_{n−1−i} and
 * w_i = w_{n−1−i}, so odd moments vanish exactly.
 *
 * <p>Two-dimensional expectations E[g(u) h(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) use the
 * Cholesky factor of the covariance: u = a·z₁, v = b·z₁ + c·z₂ with a = √k11, b = k12/a,
 * c = √(k22 − b²), z₁, z₂ independent standard normals, and the tensor-product rule (n² points).
 * Degenerate covariances are handled without NaN: negative variances (rounding) are clamped to 0,
 * k12 is clipped to ±√(k11·k22), k11 = 0 gives u ≡ 0 (a = b = 0), |k12| = √(k11·k22) gives c = 0.
 */
public final class GaussHermite implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double[] nodes;
  private final double[] weights;

  private GaussHermite(double[] nodes, double[] weights) {
    this.nodes = nodes;
    this.weights = weights;
  }

  /** The n-point rule, n ≥ 1. */
  public static GaussHermite of(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("a Gauss–Hermite rule needs at least one point, got " + n);
    }
    double[] jacobi = new double[n * n];
    for (int k = 1; k < n; k++) {
      double beta = Math.sqrt(k);
      jacobi[(k - 1) * n + k] = beta;
      jacobi[k * n + k - 1] = beta;
    }
    Lapack.SymmetricEigen eig = Lapack.get().symmetricEigen(jacobi, n);
    double[] x = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double v0 = eig.vector(0, i);
      x[i] = eig.values()[i];
      w[i] = v0 * v0;
    }
    // symmetrise (eigenvalues ascending, so i pairs with n−1−i) and normalise Σ w = 1
    double[] xs = new double[n];
    double[] ws = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      xs[i] = 0.5 * (x[i] - x[n - 1 - i]);
      ws[i] = 0.5 * (w[i] + w[n - 1 - i]);
      sum += ws[i];
    }
    if (n % 2 == 1) {
      xs[n / 2] = 0.0;
    }
    for (int i = 0; i < n; i++) {
      ws[i] /= sum;
    }
    return new GaussHermite(xs, ws);
  }

  public int points() {
    return nodes.length;
  }

  /** Node x_i (a copy of all nodes; ascending). */
  public double[] nodes() {
    return nodes.clone();
  }

  double[] nodesView() {
    return nodes;
  }

  double[] weightsView() {
    return weights;
  }

  /** Weights w_i, summing to 1. */
  public double[] weights() {
    return weights.clone();
  }

  /** E[f(u)] for u ~ N(0, variance); a non-positive variance gives f(0). */
  public double expectation(double variance, DoubleUnaryOperator f) {
    double s = variance > 0 ? Math.sqrt(variance) : 0.0;
    double sum = 0;
    for (int i = 0; i < nodes.length; i++) {
      sum += weights[i] * f.applyAsDouble(s * nodes[i]);
    }
    return sum;
  }

  /**
   * The Cholesky factor (a, b, c) of [[k11, k12], [k12, k22]]: u = a·z₁, v = b·z₁ + c·z₂, with the
   * degenerate cases of the class comment; all three finite and a, c ≥ 0 for finite inputs.
   */
  public static double[] cholesky2(double k11, double k12, double k22) {
    double v1 = k11 > 0 ? k11 : 0.0;
    double v2 = k22 > 0 ? k22 : 0.0;
    double a = Math.sqrt(v1);
    if (a == 0.0) {
      return new double[] {0.0, 0.0, Math.sqrt(v2)};
    }
    double bound = Math.sqrt(v1 * v2);
    double r = Math.max(-bound, Math.min(bound, k12));
    double b = r / a;
    double c2 = v2 - b * b;
    return new double[] {a, b, c2 > 0 ? Math.sqrt(c2) : 0.0};
  }

  /** E[g(u) h(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) by the n²-point tensor rule. */
  public double expectation(double k11, double k12, double k22, DoubleUnaryOperator g, DoubleUnaryOperator h) {
    double[] f = cholesky2(k11, k12, k22);
    double a = f[0];
    double b = f[1];
    double c = f[2];
    int n = nodes.length;
    double total = 0;
    for (int i = 0; i < n; i++) {
      double gi = g.applyAsDouble(a * nodes[i]);
      if (gi == 0.0) {
        continue;
      }
      double base = b * nodes[i];
      double inner = 0;
      if (c == 0.0) {
        inner = h.applyAsDouble(base);
      } else {
        for (int j = 0; j < n; j++) {
          inner += weights[j] * h.applyAsDouble(base + c * nodes[j]);
        }
      }
      total += weights[i] * gi * inner;
    }
    return total;
  }
}
