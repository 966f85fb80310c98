package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.sparkntk.linalg.Lapack;

/**
 * The Lanczos process on a symmetric positive semi-definite {@link KernelOperator}, with full
 * reorthogonalisation (Saad, "Iterative methods for sparse linear systems", 2nd ed., §6.6; Golub
 * &amp; Van Loan §10.1). From q_1 = b/‖b‖ it builds orthonormal Q_m = [q_1 … q_m] and the
 * tridiagonal T_m = Q_mᵀ Θ Q_m with one product per step; then
 * <ul>
 *   <li>the Ritz pairs (θ_i, Q_m s_i) of T_m = S diag(θ) Sᵀ approximate the extreme eigenpairs of
 *       Θ, with residual ‖Θ x_i − θ_i x_i‖ = β_m |s_{m,i}| ({@link #largest});</li>
 *   <li>f(Θ) b ≈ ‖b‖ Q_m f(T_m) e_1, exact when the Krylov space is invariant
 *       ({@link #functions}); for the gradient-flow functions of the MSE dynamics it converges
 *       in a few tens of steps because they are smooth on [0, λ_max].</li>
 * </ul>
 * Every new vector is orthogonalised twice against all of Q_m ("twice is enough", Parlett), so
 * Q_m stays orthonormal to rounding: the driver holds Q_m, m vectors of length n, and m stays
 * at most a few hundred.
 */
public final class Lanczos {
  private Lanczos() {}

  /** How often (in steps) the small tridiagonal problem is solved to test for convergence. */
  static final int CHECK_EVERY = 5;

  /**
   * The k largest eigenpairs of a symmetric PSD operator.
   *
   * @param values   θ_1 ≥ … ≥ θ_k
   * @param vectors  row-major [n × k], column i the unit Ritz vector of θ_i
   * @param residuals β_m |s_{m,i}|, the residual norm of each pair
   * @param steps    Lanczos steps taken (operator products)
   */
  public record Eigenpairs(int size, double[] values, double[] vectors, double[] residuals, int steps) {
    public double largest() {
      return values.length == 0 ? 0.0 : values[0];
    }
  }

  /**
   * The k largest eigenpairs of {@code op}, to residual ‖Θx − θx‖ ≤ tol·θ_1 for each pair, in at
   * most {@code maxSteps} products (fewer when the Krylov space becomes invariant). With
   * {@code vectors} false the Ritz vectors are not formed (λ_max alone).
   *
   * @throws NotConvergedException when maxSteps products do not reach tol
   */
  public static Eigenpairs largest(KernelOperator op, int k, double tol, int maxSteps, long seed, boolean vectors) {
    int n = checkSquare(op);
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("asked for the " + k + " largest eigenpairs of a kernel of order " + n);
    }
    if (n == 0 || k == 0) {
      return new Eigenpairs(n, new double[0], new double[0], new double[0], 0);
    }
    double[] start = new double[n];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      start[i] = random.nextGaussian();
    }
    Process p = new Process(n, start);
    int limit = Math.min(maxSteps, n);
    Ritz ritz = null;
    while (true) {
      boolean invariant = p.step(op);
      int m = p.size();
      if (invariant || m == limit || (m >= k && (m - k) % CHECK_EVERY == 0)) {
        ritz = p.ritz();
        double top = Math.max(ritz.values[0], 0.0);
        double worst = 0;
        for (int i = 0; i < Math.min(k, m); i++) {
          worst = Math.max(worst, ritz.residual(i, p.lastBeta()));
        }
        boolean done = m >= k && worst <= tol * top;
        if (done || invariant) {
          if (m < k) {
            // An invariant space smaller than k: the remaining eigenvalues are those of its complement,
            // which this start vector cannot reach. Not expected for a kernel with k ≤ rank.
            throw new NotConvergedException(String.format("Lanczos: the Krylov space became invariant after %d "
                + "steps, fewer than the %d eigenpairs asked for (the kernel may have rank %d)", m, k, m));
          }
          break;
        }
        if (m == limit) {
          throw new NotConvergedException(String.format("Lanczos: after %d steps the %d largest eigenpairs have "
              + "relative residual %.3g, above the tolerance %.3g; raise solver.maxIter", m, k, worst / top, tol));
        }
      }
    }
    int m = p.size();
    double[] values = Arrays.copyOf(ritz.values, k);
    double[] residuals = new double[k];
    for (int i = 0; i < k; i++) {
      residuals[i] = ritz.residual(i, p.lastBeta());
    }
    double[] x = vectors ? p.combine(ritz, k) : new double[0];
    return new Eigenpairs(n, values, x, residuals, m);
  }

  /**
   * f_j(Θ) b for every function f_j and every column of the row-major [n × c] matrix {@code b}:
   * one Lanczos process per column, run in lockstep so that each step is one product with the
   * c columns still running. A column stops when two approximations CHECK_EVERY steps apart
   * differ by at most tol · max(‖y‖, ‖b‖·scale_j) for every function (scale_j: how large f_j can
   * be on the spectrum, e.g. 1 for e^{−τλ/N}), or when its Krylov space is invariant.
   *
   * @return results[j]: row-major [n × c], f_j(Θ) applied to each column
   * @throws NotConvergedException after maxSteps steps without convergence
   */
  public static FunctionResult functions(KernelOperator op, double[] b, int c, List<DoubleUnaryOperator> f,
                                         double[] scales, double tol, int maxSteps) {
    int n = checkSquare(op);
    if (b.length != (long) n * c) {
      throw new IllegalArgumentException("Lanczos: b has " + b.length + " entries, expected " + n + " × " + c);
    }
    int fs = f.size();
    double[][] results = new double[fs][n * c];
    Process[] processes = new Process[c];
    double[] norms = new double[c];
    double[][][] previous = new double[c][][];
    boolean[] running = new boolean[c];
    int[] steps = new int[c];
    for (int j = 0; j < c; j++) {
      double[] column = new double[n];
      for (int i = 0; i < n; i++) {
        column[i] = b[i * c + j];
      }
      norms[j] = Math.sqrt(dot(column, column));
      running[j] = norms[j] > 0 && n > 0;
      if (running[j]) {
        processes[j] = new Process(n, column);
      }
    }
    int limit = Math.min(maxSteps, n);
    int total = 0;
    double worstChange = 0;
    while (anyTrue(running)) {
      int[] active = indices(running);
      // One product Θ [q_m of every running column].
      double[] q = new double[n * active.length];
      for (int a = 0; a < active.length; a++) {
        double[] last = processes[active[a]].lastVector();
        for (int i = 0; i < n; i++) {
          q[i * active.length + a] = last[i];
        }
      }
      double[] w = op.apply(q, active.length);
      total++;
      worstChange = 0;
      for (int a = 0; a < active.length; a++) {
        int j = active[a];
        double[] wj = new double[n];
        for (int i = 0; i < n; i++) {
          wj[i] = w[i * active.length + a];
        }
        Process p = processes[j];
        boolean invariant = p.extend(wj);
        int m = p.size();
        steps[j] = m;
        if (invariant || m == limit || m % CHECK_EVERY == 0) {
          double[][] y = p.functionCoefficients(f);
          boolean converged = invariant;
          if (previous[j] != null && !converged) {
            converged = true;
            for (int t = 0; t < fs; t++) {
              double change = distance(y[t], previous[j][t]);
              double scale = Math.max(norm(y[t]), scales[t]);
              worstChange = Math.max(worstChange, change / scale);
              converged &= change <= tol * scale;
            }
          }
          previous[j] = y;
          if (converged) {
            running[j] = false;
          } else if (m == limit) {
            throw new NotConvergedException(String.format("Lanczos (flow): output column %d changed by %.3g "
                + "(relative) over the last %d of %d steps, above solver.tol = %.3g; raise solver.maxIter",
                j, worstChange, CHECK_EVERY, m, tol));
          }
        }
      }
    }
    for (int j = 0; j < c; j++) {
      if (processes[j] == null) {
        continue; // b_j = 0: f(Θ)·0 = 0
      }
      for (int t = 0; t < fs; t++) {
        double[] y = previous[j][t];
        double[] x = processes[j].combine(y, norms[j]);
        for (int i = 0; i < n; i++) {
          results[t][i * c + j] = x[i];
        }
      }
    }
    return new FunctionResult(results, Arrays.stream(steps).max().orElse(0), total);
  }

  /**
   * @param values   values[j] = f_j(Θ) b, row-major [n × c]
   * @param steps    the most Lanczos steps any column took
   * @param products operator products (each with the columns still running)
   */
  public record FunctionResult(double[][] values, int steps, int products) {}

  /** Eigen-decomposition of T_m: θ descending, S column i the eigenvector of θ_i. */
  private record Ritz(int m, double[] values, double[] vectorsColumnMajor) {
    /** β_m |s_{m,i}|: the residual norm of Ritz pair i. */
    double residual(int i, double beta) {
      return Math.abs(beta * vectorsColumnMajor[i * m + m - 1]);
    }
  }

  /** One Lanczos process: Q_m, the diagonal α and off-diagonal β of T_m, and the next direction. */
  private static final class Process {
    private final int n;
    private final List<double[]> q = new ArrayList<>();
    private final List<Double> alpha = new ArrayList<>();
    private final List<Double> beta = new ArrayList<>();
    private double[] next;

    Process(int n, double[] start) {
      this.n = n;
      double s = Math.sqrt(dot(start, start));
      next = new double[n];
      for (int i = 0; i < n; i++) {
        next[i] = start[i] / s;
      }
      q.add(next);
    }

    int size() {
      return alpha.size();
    }

    double[] lastVector() {
      return q.get(q.size() - 1);
    }

    double lastBeta() {
      return beta.isEmpty() ? 0.0 : beta.get(beta.size() - 1);
    }

    boolean step(KernelOperator op) {
      return extend(op.apply(lastVector(), 1));
    }

    /**
     * Takes w = Θ q_m and appends α_m = q_mᵀw and β_m = ‖w − α_m q_m − β_{m−1} q_{m−1}‖ after full
     * reorthogonalisation; returns true when β_m vanishes (the Krylov space is invariant).
     */
    boolean extend(double[] w) {
      double[] qm = lastVector();
      double a = dot(qm, w);
      alpha.add(a);
      // Classical Gram–Schmidt against all of Q twice: removes α q_m and β q_{m−1} and every rounding drift.
      for (int pass = 0; pass < 2; pass++) {
        for (double[] v : q) {
          double h = dot(v, w);
          for (int i = 0; i < n; i++) {
            w[i] -= h * v[i];
          }
        }
      }
      double b = Math.sqrt(dot(w, w));
      double scale = 0;
      for (double x : alpha) {
        scale = Math.max(scale, Math.abs(x));
      }
      boolean invariant = b <= 1e-13 * Math.max(scale, Double.MIN_NORMAL) || q.size() == n;
      beta.add(invariant ? 0.0 : b);
      if (!invariant) {
        for (int i = 0; i < n; i++) {
          w[i] /= b;
        }
        q.add(w);
      }
      return invariant;
    }

    Ritz ritz() {
      int m = size();
      double[] t = new double[m * m];
      for (int i = 0; i < m; i++) {
        t[i * m + i] = alpha.get(i);
        if (i + 1 < m) {
          t[i * m + i + 1] = beta.get(i);
          t[(i + 1) * m + i] = beta.get(i);
        }
      }
      Lapack.SymmetricEigen eig = Lapack.get().symmetricEigen(t, m);
      // dsyevd's order is ascending: reverse to descending.
      double[] values = new double[m];
      double[] vectors = new double[m * m];
      for (int i = 0; i < m; i++) {
        values[i] = eig.values()[m - 1 - i];
        System.arraycopy(eig.vectorsColumnMajor(), (m - 1 - i) * m, vectors, i * m, m);
      }
      return new Ritz(m, values, vectors);
    }

    /** y_j = f_j(T_m) e_1 = S diag(f_j(θ)) Sᵀ e_1, the coefficients of f_j(Θ) q_1 in Q_m. */
    double[][] functionCoefficients(List<DoubleUnaryOperator> f) {
      Ritz r = ritz();
      int m = r.m();
      double[][] y = new double[f.size()][m];
      for (int t = 0; t < f.size(); t++) {
        for (int i = 0; i < m; i++) {
          double weight = f.get(t).applyAsDouble(r.values[i]) * r.vectorsColumnMajor[i * m];
          for (int l = 0; l < m; l++) {
            y[t][l] += weight * r.vectorsColumnMajor[i * m + l];
          }
        }
      }
      return y;
    }

    /** Σ_i x_i q_i · scale for coefficients x (shorter than Q_m: the missing ones are 0). */
    double[] combine(double[] x, double scale) {
      double[] out = new double[n];
      for (int l = 0; l < x.length; l++) {
        double coefficient = x[l] * scale;
        double[] v = q.get(l);
        for (int i = 0; i < n; i++) {
          out[i] += coefficient * v[i];
        }
      }
      return out;
    }

    /** The first k Ritz vectors Q_m s_i as the columns of a row-major [n × k] matrix. */
    double[] combine(Ritz r, int k) {
      double[] out = new double[n * k];
      for (int i = 0; i < k; i++) {
        double[] s = Arrays.copyOfRange(r.vectorsColumnMajor, i * r.m(), (i + 1) * r.m());
        double[] x = combine(s, 1.0);
        for (int row = 0; row < n; row++) {
          out[row * k + i] = x[row];
        }
      }
      return out;
    }
  }

  private static int checkSquare(KernelOperator op) {
    if (op.rows() != op.cols()) {
      throw new IllegalArgumentException("Lanczos needs a square kernel, got " + op.rows() + " × " + op.cols());
    }
    return op.rows();
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }

  /** ‖a − b‖ where the shorter vector is padded with zeros. */
  private static double distance(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      double d = (i < a.length ? a[i] : 0.0) - (i < b.length ? b[i] : 0.0);
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static boolean anyTrue(boolean[] a) {
    for (boolean x : a) {
      if (x) {
        return true;
      }
    }
    return false;
  }

  private static int[] indices(boolean[] a) {
    int[] out = new int[a.length];
    int k = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i]) {
        out[k++] = i;
      }
    }
    return Arrays.copyOf(out, k);
  }
}
