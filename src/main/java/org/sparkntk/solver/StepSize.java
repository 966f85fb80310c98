package org.sparkntk.solver;

import java.util.SplittableRandom;
import org.sparkntk.linalg.Blas;

/**
 * The step size η of kernel gradient descent (docs/THEORY.md §5–§7) and the λ_max it is set from.
 *
 * <p><b>Stable steps.</b> Near f the step maps a perturbation e to (I − (η/N) Θ H) e, where H is
 * the Hessian of c with respect to the outputs, block-diagonal over examples. For MSE H = I and
 * the steps are stable iff η < 2N/λ_max. For the cross-entropy the block of example i is
 * diag(p_i) − p_i p_iᵀ, whose eigenvalues lie in [0, 1/2] (for a unit u, uᵀ(diag p − ppᵀ)u is the
 * variance of u under p, at most ¼(max u − min u)² ≤ ½); the eigenvalues of ΘH are those of
 * H^{½}ΘH^{½}, at most λ_max/2, so every step is stable for η < 4N/λ_max, wherever f is — a
 * bound that is reached when the targets are soft, e.g. p = (½, ½) at the optimum. Below it the
 * cost never rises: with g = ∇C = d/N, ∇²C ≤ I/(2N) and Θ PSD, C(f − ηΘg) ≤ C(f) − η gᵀΘg + (η²/4N) gᵀΘ²g
 * ≤ C(f) − η (1 − ηλ_max/4N) gᵀΘg. With a trace kernel Θ acts as Θ ⊗ I_O, whose largest
 * eigenvalue is still λ_max. {@code solver.lr = auto} takes {@link #AUTO_LR_SAFETY} times the
 * bound of the loss ({@link Loss#stableStepFactor()}: 2 or 4).
 */
public final class StepSize {
  /** η = SAFETY × the stable bound for {@code solver.lr = auto}. For MSE, η = N/λ_max: the top mode's factor
   *  1 − ηλ/N is 0, the fastest step that does not oscillate, and every other mode decays monotonically;
   *  for the cross-entropy, η = 2N/λ_max, the same for a mode at the largest curvature ½. */
  public static final double AUTO_LR_SAFETY = 0.5;

  private StepSize() {}

  /** The largest step 2N/λ_max for which discrete MSE steps do not diverge. */
  public static double stableBound(int examples, double largestEigenvalue) {
    return stableBound(Loss.MSE, examples, largestEigenvalue);
  }

  /** The largest stable step: 2N/λ_max for MSE, 4N/λ_max for the cross-entropy (see the class doc). */
  public static double stableBound(Loss loss, int examples, double largestEigenvalue) {
    return loss.stableStepFactor() * examples / largestEigenvalue;
  }

  /** η for solver.lr = auto: {@link #AUTO_LR_SAFETY} × the stable bound of the loss at λ_max. */
  public static double auto(Loss loss, int examples, double largestEigenvalue) {
    return AUTO_LR_SAFETY * stableBound(loss, examples, largestEigenvalue);
  }

  /**
   * η for discrete steps: {@code learningRate}, or for NaN (auto) {@link #AUTO_LR_SAFETY} × the
   * stable bound; refused when not positive or at or above the bound.
   */
  static double stable(Loss loss, double learningRate, int examples, double lambdaMax) {
    double bound = stableBound(loss, examples, lambdaMax);
    double lr = Double.isNaN(learningRate) ? auto(loss, examples, lambdaMax) : learningRate;
    if (!(lr > 0)) {
      throw new IllegalArgumentException("solver.lr must be positive, got " + lr);
    }
    if (lr >= bound) {
      throw new DivergentStepException(loss, lr, bound, lambdaMax, examples);
    }
    return lr;
  }

  /**
   * λ_max of a symmetric positive semi-definite n×n matrix by power iteration, until the
   * Rayleigh quotient changes by less than 1e-10 relative (it increases monotonically to λ_max
   * for a PSD matrix). Costs one n² product per iteration instead of dsyevd's n³.
   */
  public static double largestEigenvalue(double[] k, int n) {
    if (n == 0) {
      return 0.0;
    }
    Blas blas = Blas.get();
    double[] x = new double[n];
    SplittableRandom random = new SplittableRandom(0x5eed);
    for (int i = 0; i < n; i++) {
      x[i] = 1.0 + 0.1 * random.nextDouble();
    }
    normalise(x);
    double[] y = new double[n];
    double lambda = 0;
    for (int it = 0; it < 5_000; it++) {
      blas.symv(n, 1.0, k, x, 0.0, y);
      double next = blas.dot(n, x, y);
      double norm = Math.sqrt(blas.dot(n, y, y));
      if (!Double.isFinite(norm)) {
        throw new ArithmeticException("the kernel holds NaN or infinite entries");
      }
      if (norm == 0) {
        return 0.0;
      }
      for (int i = 0; i < n; i++) {
        x[i] = y[i] / norm;
      }
      if (it > 2 && Math.abs(next - lambda) <= 1e-10 * Math.abs(next)) {
        return next;
      }
      lambda = next;
    }
    return lambda;
  }

  private static void normalise(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v * v;
    }
    double inv = 1.0 / Math.sqrt(s);
    for (int i = 0; i < x.length; i++) {
      x[i] *= inv;
    }
  }

  /** A step size for which kernel gradient descent diverges: η ≥ 2N/λ_max (MSE), 4N/λ_max (cross-entropy). */
  public static final class DivergentStepException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    DivergentStepException(Loss loss, double lr, double bound, double lambdaMax, int examples) {
      super(String.format("solver.lr = %s %s: discrete kernel gradient descent%s is stable only for "
              + "η < %s = %.6g (N = %d, λ_max = %.6g). Set solver.lr below %.6g, or solver.lr = auto "
              + "(η = %.2f × %s).", lr, loss == Loss.XENT ? "can diverge" : "diverges",
          loss == Loss.XENT ? " with the cross-entropy" : "", boundFormula(loss), bound, examples, lambdaMax, bound,
          AUTO_LR_SAFETY, boundFormula(loss)));
    }

    private static String boundFormula(Loss loss) {
      return (int) loss.stableStepFactor() + "N/λ_max";
    }
  }
}
