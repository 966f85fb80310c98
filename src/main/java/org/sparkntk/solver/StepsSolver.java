package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.linalg.Blas;

/**
 * Kernel gradient descent (docs/THEORY.md §5–§7, Jacot et al. 2018 §3) for either {@link Loss}:
 * f_{t+1}(x) = f_t(x) − (η/N) Σ_i Θ(x, x_i) d_t(x_i) with d = ∂c/∂f (f − y for MSE, softmax(f) − y
 * for the cross-entropy), from f_0, with η from {@link StepSize}. The coefficients
 * α_{t+1} = α_t − (η/N) d_t are accumulated so that f_t(x) = f_0(x) + Θ(x, X) α_t holds exactly at
 * every x.
 * <ul>
 *   <li>dense kernels: one GEMM with Θ(X, X) and one with Θ(X*, X) per step;</li>
 *   <li>products: one product Θ·d per step; the test outputs come from α_t, one cross product per
 *       recorded time.</li>
 * </ul>
 */
final class StepsSolver implements Solver {
  static final String TYPE = "steps";
  private static final Logger LOG = LoggerFactory.getLogger(StepsSolver.class);
  /** A long run of dense steps logs its progress at most this often (tests lower it). */
  static volatile long progressIntervalNanos = 10_000_000_000L;

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public int denseTrainCopies() {
    return 1;
  }

  @Override
  public int recordedTimes(FitRequest request) {
    return request.recordedSteps().length;
  }

  @Override
  public boolean reappliesCrossKernel() {
    return true;
  }

  @Override
  public FitResult fit(FitContext context) {
    int steps = context.request().steps();
    if (steps < 0) {
      throw new IllegalArgumentException("solver.steps must be ≥ 0, got " + steps);
    }
    return context.dense() != null ? dense(context) : products(context);
  }

  private static FitResult dense(FitContext context) {
    KernelProblem problem = context.dense();
    FitRequest request = context.request();
    Blas blas = Blas.get();
    int steps = request.steps();
    int n = problem.kernelSize();
    int c = problem.columns();
    double lambdaMax = context.largestEigenvalue();
    double lr = context.stableLearningRate();
    int[] record = request.recordedSteps();
    double[] f = problem.f0Train().clone();
    double[] g = problem.cross() == null ? null : problem.f0Test().clone();
    double[] d = new double[f.length];
    double[] alpha = new double[n * c];
    List<Snapshot> snapshots = new ArrayList<>();
    int next = 0;
    double scale = -lr / problem.trainExamples();
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
        snapshots.add(context.snapshot(t, f, g));
        next++;
      }
      if (t == steps) {
        break;
      }
      derivative(request, f, problem.yTrain(), problem.outputs(), d, t, lr);
      blas.gemm(n, c, n, scale, problem.train().data(), d, 1.0, f);
      for (int i = 0; i < alpha.length; i++) {
        alpha[i] += scale * d[i];
      }
      if (g != null) {
        blas.gemm(problem.cross().rows(), c, n, scale, problem.cross().data(), d, 1.0, g);
      }
    }
    return new FitResult(TYPE, snapshots, lr, lambdaMax, 0.0, alpha);
  }

  private static FitResult products(FitContext context) {
    OperatorProblem problem = context.operators();
    FitRequest request = context.request();
    int steps = request.steps();
    int n = problem.kernelSize();
    int c = problem.columns();
    double lambda = context.largestEigenvalue();
    double lr = context.stableLearningRate();
    int[] record = request.recordedSteps();
    double[] f = problem.f0Train().clone();
    double[] d = new double[f.length];
    double[] alpha = new double[n * c];
    List<Snapshot> snapshots = new ArrayList<>();
    double scale = -lr / problem.trainExamples();
    long t0 = System.nanoTime();
    int next = 0;
    for (int t = 0; ; t++) {
      if (next < record.length && record[next] == t) {
        snapshots.add(context.snapshot(t, f, context.testOutputs(alpha)));
        next++;
      }
      if (t == steps) {
        break;
      }
      derivative(request, f, problem.yTrain(), problem.outputs(), d, t, lr);
      double[] update = problem.train().apply(d, c);
      for (int i = 0; i < f.length; i++) {
        f[i] += scale * update[i];
        alpha[i] += scale * d[i];
      }
    }
    context.diagnostics().put("steps", steps);
    context.diagnostics().put("stepsSeconds", (System.nanoTime() - t0) / 1e9);
    return new FitResult(TYPE, snapshots, lr, lambda, 0.0, alpha);
  }

  /** d = ∂c/∂f at the outputs f (step t), whose cost must stay finite. */
  private static void derivative(FitRequest request, double[] f, double[] y, int outputs, double[] d, int t,
                                 double lr) {
    double cost = request.loss().costSumAndDerivative(f, y, outputs, d);
    if (!Double.isFinite(cost)) {
      throw new ArithmeticException(String.format("the %s cost became %s at step %d of %d (η = %s): "
              + "the outputs f_0, the labels or the kernel hold non-finite values", request.loss().displayName(),
          cost, t, request.steps(), lr));
    }
  }
}
