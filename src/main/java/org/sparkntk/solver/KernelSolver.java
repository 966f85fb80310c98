package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;

/**
 * Kernel gradient descent on the driver (docs/THEORY.md §5–§7, Jacot et al. §3), for the MSE cost
 * C(f) = (1/N) Σ_i ½‖f(x_i) − y_i‖², d = f − y, or the softmax cross-entropy
 * C(f) = (1/N) Σ_i −Σ_a y_ia log softmax(f(x_i))_a, d = softmax(f) − y ({@link Loss}):
 * <ul>
 *   <li>{@link #steps}: f_{t+1}(x) = f_t(x) − (η/N) Σ_i Θ(x, x_i) d_t(x_i), on training and test
 *       points, from the network's own f_0 (both losses);</li>
 *   <li>{@link #flow}: the gradient-flow closed form at times τ = η t, with Θ = V diag(λ) Vᵀ:
 *       f_τ(X) = Y + V e^{−τΛ/N} Vᵀ (f_0(X) − Y),
 *       f_τ(x*) = f_0(x*) + Θ(x*, X) V Λ⁻¹(I − e^{−τΛ/N}) Vᵀ (Y − f_0(X));</li>
 *   <li>{@link #regression}: τ → ∞ with a ridge, f_∞(x*) = f_0(x*) + Θ(x*, X)(Θ + ρI)⁻¹(Y − f_0(X)).</li>
 * </ul>
 * The flow and regression are closed forms of the MSE dynamics; the cross-entropy has none and
 * runs as discrete steps only.
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
 * bound of the loss.
 */
public final class KernelSolver {
  /** η = SAFETY × the stable bound for {@code solver.lr = auto}. For MSE, η = N/λ_max: the top mode's factor
   *  1 − ηλ/N is 0, the fastest step that does not oscillate, and every other mode decays monotonically;
   *  for the cross-entropy, η = 2N/λ_max, the same for a mode at the largest curvature ½. */
  public static final double AUTO_LR_SAFETY = 0.5;
  private static final Logger LOG = LoggerFactory.getLogger(KernelSolver.class);
  /** A long run of {@link #steps} logs its progress at most this often (tests lower it). */
  static volatile long progressIntervalNanos = 10_000_000_000L;

  private final KernelProblem problem;
  private final Loss loss;
  private final Blas blas = Blas.get();

  /** A solver for the MSE cost. */
  public KernelSolver(KernelProblem problem) {
    this(problem, Loss.MSE);
  }

  /**
   * A solver for {@code loss}. For the cross-entropy the model needs at least two outputs and every
   * target row (training, and test when labelled) must be a probability vector.
   */
  public KernelSolver(KernelProblem problem, Loss loss) {
    this.problem = problem;
    this.loss = loss;
    checkTargets(loss, problem.outputs(), problem.yTrain(), problem.yTest());
  }

  /** For the cross-entropy: at least two outputs, and every target row a probability vector. */
  static void checkTargets(Loss loss, int outputs, double[] yTrain, double[] yTest) {
    if (loss == Loss.XENT) {
      if (outputs < 2) {
        throw new IllegalArgumentException("the cross-entropy needs at least 2 outputs (one per class), got "
            + outputs);
      }
      String train = CrossEntropy.targetError(yTrain, outputs);
      if (train != null) {
        throw new IllegalArgumentException("cross-entropy targets: training " + train);
      }
      String test = yTest == null ? null : CrossEntropy.targetError(yTest, outputs);
      if (test != null) {
        throw new IllegalArgumentException("cross-entropy targets: test " + test);
      }
    }
  }

  /** The largest step 2N/λ_max for which discrete MSE steps do not diverge. */
  public static double stableLearningRateBound(int examples, double largestEigenvalue) {
    return stableLearningRateBound(Loss.MSE, examples, largestEigenvalue);
  }

  /** The largest stable step: 2N/λ_max for MSE, 4N/λ_max for the cross-entropy (see the class doc). */
  public static double stableLearningRateBound(Loss loss, int examples, double largestEigenvalue) {
    return (loss == Loss.XENT ? 4.0 : 2.0) * examples / largestEigenvalue;
  }

  /** η for solver.lr = auto: {@link #AUTO_LR_SAFETY} × the stable bound of the loss at λ_max. */
  public static double autoLearningRate(Loss loss, int examples, double largestEigenvalue) {
    return AUTO_LR_SAFETY * stableLearningRateBound(loss, examples, largestEigenvalue);
  }

  /**
   * η for discrete steps: {@code learningRate}, or for NaN (auto) {@link #AUTO_LR_SAFETY} × the
   * stable bound; refused when not positive or at or above the bound.
   */
  static double stableLearningRate(Loss loss, double learningRate, int examples, double lambdaMax) {
    double bound = stableLearningRateBound(loss, examples, lambdaMax);
    double lr = Double.isNaN(learningRate) ? autoLearningRate(loss, examples, lambdaMax) : learningRate;
    if (!(lr > 0)) {
      throw new IllegalArgumentException("solver.lr must be positive, got " + lr);
    }
    if (lr >= bound) {
      throw new DivergentStepException(loss, lr, bound, lambdaMax, examples);
    }
    return lr;
  }

  /** Discrete steps with learning rate η (NaN: auto), recording the steps listed (0 … steps). */
  public FitResult steps(double learningRate, int steps, int[] recordAt) {
    if (steps < 0) {
      throw new IllegalArgumentException("solver.steps must be ≥ 0, got " + steps);
    }
    int n = problem.kernelSize();
    int c = problem.columns();
    int examples = problem.trainExamples();
    double lambdaMax = largestEigenvalue(problem.train().data(), n);
    double lr = stableLearningRate(loss, learningRate, examples, lambdaMax);
    int[] record = Arrays.stream(recordAt).filter(s -> s >= 0 && s <= steps).distinct().sorted().toArray();
    double[] f = problem.f0Train().clone();
    double[] g = problem.cross() == null ? null : problem.f0Test().clone();
    double[] d = new double[f.length];
    // α_{t+1} = α_t − (η/N) d_t, so that f_t(x) = f_0(x) + Θ(x, X) α_t holds exactly at every x.
    double[] alpha = new double[n * c];
    List<Snapshot> snapshots = new ArrayList<>();
    int next = 0;
    double scale = -lr / examples;
    long start = System.nanoTime();
    long lastReport = start;
    for (int t = 0; ; t++) {
      // solver.steps may be 2·10⁹: say how far the steps are, as the Gram's blocks do.
      if ((t & 255) == 0 && t > 0) {
        long now = System.nanoTime();
        if (now - lastReport >= progressIntervalNanos) {
          lastReport = now;
          double perStep = (now - start) / 1e9 / t;
          LOG.info(String.format("kernel gradient descent: step %d of %d (%.1f %%), about %.0f s left", t, steps,
              100.0 * t / steps, perStep * (steps - t)));
        }
      }
      if (next < record.length && record[next] == t) {
        snapshots.add(snapshot(t, f, g));
        next++;
      }
      if (t == steps) {
        break;
      }
      costDerivative(loss, f, problem.yTrain(), problem.outputs(), d, t, steps, lr);
      blas.gemm(n, c, n, scale, problem.train().data(), d, 1.0, f);
      for (int i = 0; i < alpha.length; i++) {
        alpha[i] += scale * d[i];
      }
      if (g != null) {
        blas.gemm(problem.cross().rows(), c, n, scale, problem.cross().data(), d, 1.0, g);
      }
    }
    return new FitResult("steps", snapshots, lr, lambdaMax, 0.0, alpha);
  }

  /**
   * Gradient flow at the given continuous times τ (τ = η·t matches t discrete steps of size η).
   * Eigenvalues below zero, which a PSD kernel only shows through rounding, are clamped to 0
   * (as neural-tangents does); an eigenvalue of 0 contributes its limit τ/N to the test update.
   */
  public FitResult flow(double[] times) {
    requireMse("flow");
    return flow(times, Spectrum.of(problem.train()));
  }

  /** {@link #flow(double[])} with the decomposition of the training kernel already in hand. */
  public FitResult flow(double[] times, Spectrum spectrum) {
    requireMse("flow");
    int n = problem.kernelSize();
    int c = problem.columns();
    int examples = problem.trainExamples();
    if (spectrum.size() != n) {
      throw new IllegalArgumentException("a spectrum of order " + spectrum.size() + " for a kernel of order " + n);
    }
    double[] v = spectrum.vectors(); // column-major V = row-major Vᵀ
    double[] lambda = Arrays.stream(spectrum.values()).map(l -> Math.max(l, 0.0)).toArray();
    // R = Vᵀ (f_0(X) − Y), [n × c]
    double[] r0 = new double[n * c];
    double[] residual0 = new double[n * c];
    for (int i = 0; i < residual0.length; i++) {
      residual0[i] = problem.f0Train()[i] - problem.yTrain()[i];
    }
    blas.gemm(n, c, n, 1.0, v, residual0, 0.0, r0);
    double[] crossV = null;
    int m = 0;
    if (problem.cross() != null) {
      m = problem.cross().rows();
      crossV = new double[m * n];
      // Θ(x*, X) V: V = (row-major Vᵀ)ᵀ
      blas.gemm(false, true, m, n, n, 1.0, problem.cross().data(), 0, n, v, 0, n, 0.0, crossV, 0, n);
    }
    List<Snapshot> snapshots = new ArrayList<>();
    double[] sorted = times.clone();
    Arrays.sort(sorted);
    double[] scaled = new double[n * c];
    for (double tau : sorted) {
      if (!(tau >= 0) || Double.isInfinite(tau)) {
        throw new IllegalArgumentException("flow times must be finite and ≥ 0, got " + tau);
      }
      // train: f_τ = Y + V diag(e^{−τλ/N}) R = f_0 + V diag(e^{−τλ/N} − 1) R, the second form exact at τ = 0
      for (int k = 0; k < n; k++) {
        double change = Math.expm1(-tau * lambda[k] / examples);
        for (int j = 0; j < c; j++) {
          scaled[k * c + j] = change * r0[k * c + j];
        }
      }
      double[] f = problem.f0Train().clone();
      blas.gemm(true, false, n, c, n, 1.0, v, 0, n, scaled, 0, c, 1.0, f, 0, c);
      // test: f_τ(x*) = f_0(x*) − Θ(x*,X) V diag((1 − e^{−τλ/N})/λ) R
      for (int k = 0; k < n; k++) {
        double gain = lambda[k] > 0 ? -Math.expm1(-tau * lambda[k] / examples) / lambda[k] : tau / examples;
        for (int j = 0; j < c; j++) {
          scaled[k * c + j] = gain * r0[k * c + j];
        }
      }
      double[] g = null;
      if (crossV != null) {
        g = problem.f0Test().clone();
        blas.gemm(m, c, n, -1.0, crossV, scaled, 1.0, g);
      }
      snapshots.add(snapshot(tau, f, g));
    }
    // α = −V diag((1 − e^{−τλ/N})/λ) Vᵀ (f_0(X) − Y) at the last (largest) time; scaled holds its inner factor.
    double[] alpha = new double[n * c];
    if (sorted.length > 0) {
      blas.gemm(true, false, n, c, n, -1.0, v, 0, n, scaled, 0, c, 0.0, alpha, 0, c);
    }
    double top = n == 0 ? 0.0 : lambda[0];
    return new FitResult("flow", snapshots, Double.NaN, top, 0.0, alpha);
  }

  /** Kernel regression, the τ → ∞ limit with ridge ρ ≥ 0, by Cholesky of Θ + ρI; recorded at t = 0 and ∞. */
  public FitResult regression(double ridge) {
    requireMse("regression");
    if (!(ridge >= 0) || Double.isInfinite(ridge)) {
      throw new IllegalArgumentException("solver.ridge must be finite and ≥ 0, got " + ridge);
    }
    int n = problem.kernelSize();
    int c = problem.columns();
    double[] a = problem.train().data().clone();
    for (int i = 0; i < n; i++) {
      a[i * n + i] += ridge;
    }
    double[] rhs = new double[n * c];
    for (int i = 0; i < rhs.length; i++) {
      rhs[i] = problem.yTrain()[i] - problem.f0Train()[i];
    }
    double[] alpha = Lapack.get().choleskySolveOverwriting(a, n, rhs, c);
    double[] f = problem.f0Train().clone();
    blas.gemm(n, c, n, 1.0, problem.train().data(), alpha, 1.0, f);
    double[] g = null;
    if (problem.cross() != null) {
      g = problem.f0Test().clone();
      blas.gemm(problem.cross().rows(), c, n, 1.0, problem.cross().data(), alpha, 1.0, g);
    }
    Snapshot initial = snapshot(0, problem.f0Train(), problem.cross() == null ? null : problem.f0Test());
    return new FitResult("regression", List.of(initial, snapshot(Double.POSITIVE_INFINITY, f, g)), Double.NaN,
        Double.NaN, ridge, alpha.clone());
  }

  private void requireMse(String method) {
    requireMse(loss, method);
  }

  static void requireMse(Loss loss, String method) {
    if (loss != Loss.MSE) {
      throw new IllegalArgumentException(method + " is a closed form of the MSE dynamics; the " + loss.configName()
          + " cost has none: use discrete steps");
    }
  }

  private Snapshot snapshot(double t, double[] f, double[] g) {
    return snapshot(loss, t, f, g, problem.yTrain(), problem.yTest(), problem.outputs());
  }

  /**
   * The record of predictions f (training) and g (test, or null) at time t: copies of both, the
   * cost of {@code loss} on each, and for the cross-entropy the accuracies. Shared by every solver.
   */
  static Snapshot snapshot(Loss loss, double t, double[] f, double[] g, double[] yTrain, double[] yTest,
                           int outputs) {
    boolean testLabels = g != null && yTest != null;
    if (loss == Loss.XENT) {
      return new Snapshot(t, f.clone(), g == null ? null : g.clone(), CrossEntropy.cost(f, yTrain, outputs),
          testLabels ? CrossEntropy.cost(g, yTest, outputs) : Double.NaN,
          CrossEntropy.accuracy(f, yTrain, outputs),
          testLabels ? CrossEntropy.accuracy(g, yTest, outputs) : Double.NaN);
    }
    double trainLoss = mseCost(f, yTrain, yTrain.length / outputs);
    double testLoss = testLabels ? mseCost(g, yTest, yTest.length / outputs) : Double.NaN;
    // Class labels fitted by least squares (one-hot targets, as in Lee et al. 2020 and Arora et al.
    // 2019): the predicted class is the largest output, so the accuracy is recorded as well.
    if (outputs >= 2 && CrossEntropy.targetError(yTrain, outputs) == null) {
      boolean testClasses = testLabels && CrossEntropy.targetError(yTest, outputs) == null;
      return new Snapshot(t, f.clone(), g == null ? null : g.clone(), trainLoss, testLoss,
          CrossEntropy.accuracy(f, yTrain, outputs), testClasses ? CrossEntropy.accuracy(g, yTest, outputs) : Double.NaN);
    }
    return new Snapshot(t, f.clone(), g == null ? null : g.clone(), trainLoss, testLoss);
  }

  /**
   * d = ∂c/∂f at the outputs f, the direction of one kernel gradient step: f − y for MSE,
   * softmax(f) − y for the cross-entropy, whose cost must stay finite (step t of {@code steps}).
   */
  static void costDerivative(Loss loss, double[] f, double[] y, int outputs, double[] d, int t, int steps,
                             double lr) {
    if (loss == Loss.XENT) {
      double cost = CrossEntropy.gradient(f, y, outputs, d);
      if (!Double.isFinite(cost)) {
        throw new ArithmeticException(String.format("the cross-entropy cost became %s at step %d of %d (η = %s): "
            + "the outputs f_0, the labels or the kernel hold non-finite values", cost, t, steps, lr));
      }
    } else {
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i] - y[i];
      }
    }
  }

  /** C = (1/N) Σ_i ½‖f_i − y_i‖². */
  public static double mseCost(double[] f, double[] y, int examples) {
    double s = 0;
    for (int i = 0; i < f.length; i++) {
      double d = f[i] - y[i];
      s += d * d;
    }
    return examples == 0 ? 0.0 : 0.5 * s / examples;
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
      return loss == Loss.XENT ? "4N/λ_max" : "2N/λ_max";
    }
  }
}
