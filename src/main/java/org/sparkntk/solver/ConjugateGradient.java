package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preconditioned conjugate gradients for (Θ + ρI) X = B with all c right-hand sides at once
 * (Saad, "Iterative methods for sparse linear systems", 2nd ed., Algorithm 9.1), one operator
 * product per iteration for all columns; the step α and the update β are per column:
 * <pre>
 *   R = B − (Θ + ρI) X,  Z = P⁻¹ R,  D = Z
 *   loop:  Q = (Θ + ρI) D;  α_j = ⟨r_j, z_j⟩ / ⟨d_j, q_j⟩;  X += D α;  R −= Q α
 *          stop when ‖r_j‖ ≤ tol ‖b_j‖ for every column j
 *          Z = P⁻¹ R;  β_j = ⟨r_j, z_j⟩_new / ⟨r_j, z_j⟩_old;  D = Z + D β
 * </pre>
 * A column that has converged is frozen (its direction set to zero). The residual the loop
 * updates drifts from the true one in floating point, so when the loop stops the true residual
 * B − (Θ + ρI) X is computed with one more product and is what the result reports; that product
 * Θ X is returned too (the fitted training outputs need it).
 */
public final class ConjugateGradient {
  private ConjugateGradient() {}

  /**
   * @param x          the solution, row-major [n × c]
   * @param kernelTimesX Θ X, row-major [n × c]
   * @param iterations PCG iterations (operator products, not counting the final residual's)
   * @param history    the largest relative residual max_j ‖r_j‖/‖b_j‖ after each iteration (index 0: the start)
   * @param residuals  the true relative residual of each column at the end
   * @param converged  every column's true relative residual ≤ tol
   */
  public record Result(double[] x, double[] kernelTimesX, int iterations, double[] history, double[] residuals,
                       boolean converged) {
    public double worstResidual() {
      return Arrays.stream(residuals).max().orElse(0.0);
    }
  }

  /** Called after every iteration with the iteration number and the current iterate X (for checkpoints). */
  public interface Listener {
    void iteration(int iteration, double[] x, double worstRelativeResidual);
  }

  /**
   * Solves (Θ + ρI) X = B from X = {@code start} (null: 0) to relative residual {@code tol} per
   * column within {@code maxIter} iterations. Returns also when maxIter is reached: the caller
   * decides what a result above tol means ({@link Result#converged}).
   */
  public static Result solve(KernelOperator op, double ridge, double[] b, int c, Preconditioner p, double tol,
                             int maxIter, double[] start, Listener listener) {
    int n = op.rows();
    if (op.cols() != n || b.length != (long) n * c) {
      throw new IllegalArgumentException("PCG: a " + op.rows() + " × " + op.cols() + " kernel and a right-hand side "
          + "of " + b.length + " entries for " + c + " columns");
    }
    double[] bNorm = columnNorms(b, n, c);
    double[] x = start == null ? new double[n * c] : start.clone();
    List<Double> history = new ArrayList<>();
    int iterations = 0;
    double[] kx = null;
    double[] residuals = null;
    // The updated residual drifts from the true one; when it claims convergence but the true
    // residual is above tol, CG restarts from X with the true residual ("residual replacement",
    // van der Vorst & Ye 2000), a few times at most: below the attainable accuracy (about
    // ε·κ) it cannot improve further.
    for (int restart = 0; restart <= MAX_RESTARTS; restart++) {
      double[] r = b.clone();
      if (kx != null || start != null) {
        double[] ax = kx != null ? kx : op.apply(x, c);
        for (int i = 0; i < r.length; i++) {
          r[i] -= ax[i] + ridge * x[i];
        }
      }
      iterations = iterate(op, ridge, x, r, bNorm, n, c, p, tol, maxIter, iterations, history, listener);
      kx = op.apply(x, c);
      residuals = trueResiduals(b, kx, x, ridge, bNorm, n, c);
      if (Arrays.stream(residuals).allMatch(v -> v <= tol) || iterations >= maxIter) {
        break;
      }
    }
    boolean converged = Arrays.stream(residuals).allMatch(v -> v <= tol);
    return new Result(x, kx, iterations, history.stream().mapToDouble(Double::doubleValue).toArray(), residuals,
        converged);
  }

  static final int MAX_RESTARTS = 3;

  /** ‖b_j − (Θ + ρI) x_j‖ / ‖b_j‖ for each column. */
  private static double[] trueResiduals(double[] b, double[] kx, double[] x, double ridge, double[] bNorm, int n,
                                        int c) {
    double[] r = new double[n * c];
    for (int i = 0; i < r.length; i++) {
      r[i] = b[i] - kx[i] - ridge * x[i];
    }
    double[] rNorm = columnNorms(r, n, c);
    double[] out = new double[c];
    for (int j = 0; j < c; j++) {
      out[j] = bNorm[j] == 0 ? rNorm[j] : rNorm[j] / bNorm[j];
    }
    return out;
  }

  /** PCG iterations from X with residual R (both updated in place) until every column is below tol. */
  private static int iterate(KernelOperator op, double ridge, double[] x, double[] r, double[] bNorm, int n, int c,
                             Preconditioner p, double tol, int maxIter, int iterations, List<Double> history,
                             Listener listener) {
    boolean[] active = new boolean[c];
    boolean[] stopped = new boolean[c];
    double worst = updateActive(r, bNorm, n, c, tol, active, stopped);
    history.add(worst);
    double[] z = p.applyInverse(r, c);
    double[] d = z.clone();
    double[] rz = columnDots(r, z, n, c);
    while (anyTrue(active) && iterations < maxIter) {
      zeroInactive(d, active, n, c);
      double[] q = shifted(op, ridge, d, c);
      double[] dq = columnDots(d, q, n, c);
      double[] alpha = new double[c];
      for (int j = 0; j < c; j++) {
        if (active[j]) {
          if (!(dq[j] > 0)) {
            // dᵀ(Θ + ρI)d ≤ 0: the operator is not positive definite in floating point (ρ = 0 on a
            // singular kernel, or rounding at the noise level). Stop this column where it is.
            active[j] = false;
            stopped[j] = true;
            continue;
          }
          alpha[j] = rz[j] / dq[j];
        }
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) {
          x[i * c + j] += alpha[j] * d[i * c + j];
          r[i * c + j] -= alpha[j] * q[i * c + j];
        }
      }
      iterations++;
      worst = updateActive(r, bNorm, n, c, tol, active, stopped);
      history.add(worst);
      if (listener != null) {
        listener.iteration(iterations, x, worst);
      }
      if (!anyTrue(active)) {
        break;
      }
      z = p.applyInverse(r, c);
      double[] rzNew = columnDots(r, z, n, c);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) {
          double beta = active[j] && rz[j] != 0 ? rzNew[j] / rz[j] : 0.0;
          d[i * c + j] = z[i * c + j] + beta * d[i * c + j];
        }
      }
      rz = rzNew;
    }
    return iterations;
  }

  /** (Θ + ρI) V. */
  private static double[] shifted(KernelOperator op, double ridge, double[] v, int c) {
    double[] out = op.apply(v, c);
    if (ridge != 0) {
      for (int i = 0; i < out.length; i++) {
        out[i] += ridge * v[i];
      }
    }
    return out;
  }

  /** Marks the columns whose relative residual is still above tol; returns the largest relative residual. */
  private static double updateActive(double[] r, double[] bNorm, int n, int c, double tol, boolean[] active,
                                     boolean[] stopped) {
    double[] rNorm = columnNorms(r, n, c);
    double worst = 0;
    for (int j = 0; j < c; j++) {
      double relative = bNorm[j] == 0 ? rNorm[j] : rNorm[j] / bNorm[j];
      if (!Double.isFinite(relative)) {
        throw new ArithmeticException("PCG: the residual of output column " + j + " is not finite; the kernel or the "
            + "targets hold NaN or infinite values");
      }
      worst = Math.max(worst, relative);
      active[j] = relative > tol && !stopped[j];
    }
    return worst;
  }

  private static void zeroInactive(double[] d, boolean[] active, int n, int c) {
    for (int j = 0; j < c; j++) {
      if (!active[j]) {
        for (int i = 0; i < n; i++) {
          d[i * c + j] = 0.0;
        }
      }
    }
  }

  static double[] columnDots(double[] a, double[] b, int n, int c) {
    double[] s = new double[c];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        s[j] += a[i * c + j] * b[i * c + j];
      }
    }
    return s;
  }

  static double[] columnNorms(double[] a, int n, int c) {
    double[] s = columnDots(a, a, n, c);
    for (int j = 0; j < c; j++) {
      s[j] = Math.sqrt(s[j]);
    }
    return s;
  }

  private static boolean anyTrue(boolean[] a) {
    for (boolean x : a) {
      if (x) {
        return true;
      }
    }
    return false;
  }
}
