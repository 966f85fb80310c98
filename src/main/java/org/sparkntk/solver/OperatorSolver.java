package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel dynamics of {@link KernelSolver} written with products Θ·V only, so that the kernel
 * may stay where it was computed (the distributed backend) or be a dense array (the reference):
 * <ul>
 *   <li>{@link #steps}: f_{t+1}(X) = f_t(X) − (η/N) Θ d_t, one product per step; the test outputs
 *       come from the accumulated coefficients, f_t(X*) = f_0(X*) + Θ(X*, X) α_t with
 *       α_t = −(η/N) Σ_{s&lt;t} d_s, one cross product per recorded time;</li>
 *   <li>{@link #flow}: with r = Y − f_0(X), f_τ(X) = f_0(X) + (I − e^{−τΘ/N}) r and
 *       f_τ(X*) = f_0(X*) + Θ(X*, X) φ_τ(Θ) r, φ_τ(λ) = (1 − e^{−τλ/N})/λ, both from one Lanczos
 *       process per output column ({@link Lanczos#functions});</li>
 *   <li>{@link #regression}: (Θ + ρI) α = Y − f_0(X) by preconditioned conjugate gradients
 *       ({@link ConjugateGradient}, {@link NystromPreconditioner}).</li>
 * </ul>
 * λ_max (for η = auto) comes from Lanczos ({@link Lanczos#largest}). What each method did
 * (iterations, residuals, products, times) is in {@link #diagnostics()} for metrics.json.
 */
public final class OperatorSolver {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorSolver.class);
  /** PCG logs its residual at most this often (a product on a large Gram takes seconds). */
  private static final long PROGRESS_NANOS = 10_000_000_000L;

  /**
   * @param tol            relative residual of PCG, and the stopping tolerance of Lanczos (flow)
   * @param maxIter        most PCG iterations or Lanczos steps
   * @param rank           rank of the Nyström preconditioner (0: plain CG)
   * @param eigenTolerance relative residual of the λ_max Ritz pair
   * @param seed           seed of the random start vectors and sketches
   */
  public record Settings(double tol, int maxIter, int rank, double eigenTolerance, long seed) {
    public Settings {
      if (!(tol > 0 && tol < 1)) {
        throw new IllegalArgumentException("solver.tol must be in (0, 1), got " + tol);
      }
      if (maxIter < 1) {
        throw new IllegalArgumentException("solver.maxIter must be ≥ 1, got " + maxIter);
      }
      if (rank < 0) {
        throw new IllegalArgumentException("solver.rank must be ≥ 0, got " + rank);
      }
    }

    /** Defaults: tol 1e-8, 1000 iterations, rank 500. */
    public static Settings defaults() {
      return new Settings(1e-8, 1000, 500, 1e-10, 0x5eed);
    }
  }

  private final OperatorProblem problem;
  private final Loss loss;
  private final Settings settings;
  private final Map<String, Object> diagnostics = new LinkedHashMap<>();
  private double lambdaMax = Double.NaN;

  public OperatorSolver(OperatorProblem problem, Loss loss, Settings settings) {
    KernelSolver.checkTargets(loss, problem.outputs(), problem.yTrain(), problem.yTest());
    this.problem = problem;
    this.loss = loss;
    this.settings = settings;
  }

  /** What the solver did, for metrics.json: iterations, residual history, products, seconds. */
  public Map<String, Object> diagnostics() {
    return diagnostics;
  }

  /** λ_max of the training kernel by Lanczos (computed once). */
  public double largestEigenvalue() {
    if (Double.isNaN(lambdaMax)) {
      long t0 = System.nanoTime();
      Lanczos.Eigenpairs top = Lanczos.largest(problem.train(), 1, settings.eigenTolerance(), settings.maxIter(),
          settings.seed(), false);
      lambdaMax = top.largest();
      diagnostics.put("largestEigenvalueLanczosSteps", top.steps());
      diagnostics.put("largestEigenvalueSeconds", (System.nanoTime() - t0) / 1e9);
      LOG.info(String.format("λ_max = %.8g by Lanczos in %d steps", lambdaMax, top.steps()));
    }
    return lambdaMax;
  }

  /** η for solver.lr = auto: {@link KernelSolver#AUTO_LR_SAFETY} × the stable bound of the loss at λ_max. */
  public double autoLearningRate() {
    return KernelSolver.autoLearningRate(loss, problem.trainExamples(), largestEigenvalue());
  }

  /** Discrete steps with learning rate η (NaN: auto), recording the steps listed (0 … steps). */
  public FitResult steps(double learningRate, int steps, int[] recordAt) {
    if (steps < 0) {
      throw new IllegalArgumentException("solver.steps must be ≥ 0, got " + steps);
    }
    int n = problem.kernelSize();
    int c = problem.columns();
    int examples = problem.trainExamples();
    double lambda = largestEigenvalue();
    double lr = KernelSolver.stableLearningRate(loss, learningRate, examples, lambda);
    int[] record = Arrays.stream(recordAt).filter(s -> s >= 0 && s <= steps).distinct().sorted().toArray();
    double[] f = problem.f0Train().clone();
    double[] d = new double[f.length];
    double[] alpha = new double[n * c];
    List<Snapshot> snapshots = new ArrayList<>();
    double scale = -lr / examples;
    long t0 = System.nanoTime();
    int next = 0;
    for (int t = 0; ; t++) {
      if (next < record.length && record[next] == t) {
        snapshots.add(snapshot(t, f, testOutputs(alpha, c)));
        next++;
      }
      if (t == steps) {
        break;
      }
      KernelSolver.costDerivative(loss, f, problem.yTrain(), problem.outputs(), d, t, steps, lr);
      double[] update = problem.train().apply(d, c);
      for (int i = 0; i < f.length; i++) {
        f[i] += scale * update[i];
        alpha[i] += scale * d[i];
      }
    }
    diagnostics.put("steps", steps);
    diagnostics.put("stepsSeconds", (System.nanoTime() - t0) / 1e9);
    return new FitResult("steps", snapshots, lr, lambda, 0.0, alpha);
  }

  /**
   * Gradient flow at the given times τ ≥ 0 (MSE). Each column's Lanczos process stops when the
   * outputs at every τ change by at most solver.tol (relative) over {@link Lanczos#CHECK_EVERY} steps.
   */
  public FitResult flow(double[] times) {
    KernelSolver.requireMse(loss, "flow");
    int c = problem.columns();
    int examples = problem.trainExamples();
    double[] sorted = times.clone();
    Arrays.sort(sorted);
    for (double tau : sorted) {
      if (!(tau >= 0) || Double.isInfinite(tau)) {
        throw new IllegalArgumentException("flow times must be finite and ≥ 0, got " + tau);
      }
    }
    double[] r = new double[problem.f0Train().length];
    for (int i = 0; i < r.length; i++) {
      r[i] = problem.yTrain()[i] - problem.f0Train()[i];
    }
    // For each τ: g(λ) = 1 − e^{−τλ/N} (training outputs, at most 1) and φ(λ) = g(λ)/λ (coefficients,
    // at most τ/N, its limit at λ = 0; eigenvalues ≤ 0 appear only through rounding and are clamped).
    List<DoubleUnaryOperator> functions = new ArrayList<>();
    double[] scales = new double[2 * sorted.length];
    for (int t = 0; t < sorted.length; t++) {
      double tau = sorted[t];
      functions.add(l -> -Math.expm1(-tau * Math.max(l, 0.0) / examples));
      functions.add(l -> l > 0 ? -Math.expm1(-tau * l / examples) / l : tau / examples);
      scales[2 * t] = 1.0;
      scales[2 * t + 1] = tau / examples;
    }
    long t0 = System.nanoTime();
    Lanczos.FunctionResult result = Lanczos.functions(problem.train(), r, c, functions, scales, settings.tol(),
        settings.maxIter());
    diagnostics.put("lanczosSteps", result.steps());
    diagnostics.put("lanczosProducts", result.products());
    diagnostics.put("lanczosSeconds", (System.nanoTime() - t0) / 1e9);
    // All times' test outputs in one cross product: [N·k × c·T] coefficients side by side.
    double[][] coefficients = new double[sorted.length][];
    for (int t = 0; t < sorted.length; t++) {
      coefficients[t] = result.values()[2 * t + 1];
    }
    double[][] tests = testOutputs(coefficients, c);
    List<Snapshot> snapshots = new ArrayList<>();
    for (int t = 0; t < sorted.length; t++) {
      double[] gain = result.values()[2 * t];
      double[] f = problem.f0Train().clone();
      for (int i = 0; i < f.length; i++) {
        f[i] += gain[i];
      }
      snapshots.add(snapshot(sorted[t], f, tests == null ? null : tests[t]));
    }
    double[] alpha = sorted.length == 0 ? new double[r.length] : coefficients[sorted.length - 1];
    return new FitResult("flow", snapshots, Double.NaN, lambdaMax, 0.0, alpha);
  }

  /**
   * Kernel regression f(x*) = f_0(x*) + Θ(x*, X) α with (Θ + ρI) α = Y − f_0(X), by PCG to
   * relative residual solver.tol per output column.
   *
   * @throws NotConvergedException when solver.maxIter iterations end above solver.tol; the message
   *                               gives the residual reached and what to change
   */
  public FitResult regression(double ridge, double[] start, ConjugateGradient.Listener listener) {
    return regression(ridge, start, listener, null);
  }

  /**
   * {@link #regression(double, double[], ConjugateGradient.Listener)} that saves its Nyström basis
   * and its iterate to {@code checkpoint} and, when the checkpoint has them, starts from them:
   * PCG restarted from the saved X (diagnostic {@code resumedFromIteration}).
   */
  public FitResult regression(double ridge, RegressionCheckpoint checkpoint) {
    return regression(ridge, null, null, checkpoint);
  }

  private FitResult regression(double ridge, double[] start, ConjugateGradient.Listener listener,
                               RegressionCheckpoint checkpoint) {
    KernelSolver.requireMse(loss, "regression");
    if (!(ridge >= 0) || Double.isInfinite(ridge)) {
      throw new IllegalArgumentException("solver.ridge must be finite and ≥ 0, got " + ridge);
    }
    int c = problem.columns();
    double[] b = new double[problem.f0Train().length];
    for (int i = 0; i < b.length; i++) {
      b[i] = problem.yTrain()[i] - problem.f0Train()[i];
    }
    int n = problem.kernelSize();
    Preconditioner p = Preconditioner.NONE;
    if (settings.rank() > 0) {
      long t0 = System.nanoTime();
      int rank = Math.min(settings.rank(), n);
      NystromPreconditioner.Basis saved = checkpoint == null ? null : checkpoint.preconditioner(n, rank);
      NystromPreconditioner nystrom = saved != null ? NystromPreconditioner.of(saved, ridge)
          : NystromPreconditioner.build(problem.train(), settings.rank(), ridge, settings.seed());
      if (checkpoint != null && saved == null) {
        checkpoint.savePreconditioner(nystrom.basis());
      }
      p = nystrom;
      double seconds = (System.nanoTime() - t0) / 1e9;
      diagnostics.put("preconditioner", "nystrom");
      diagnostics.put("preconditionerRank", p.rank());
      diagnostics.put("preconditionerSeconds", seconds);
      if (checkpoint != null) {
        diagnostics.put("preconditionerResumed", saved != null);
      }
      LOG.info(String.format("Nyström preconditioner of rank %d %s in %.2f s", p.rank(),
          saved != null ? "read from the checkpoint" : "built", seconds));
    } else {
      diagnostics.put("preconditioner", "none");
    }
    int base = 0;
    if (checkpoint != null && start == null) {
      RegressionCheckpoint.Iterate saved = checkpoint.iterate(n, c);
      if (saved != null) {
        start = saved.x();
        base = saved.iteration();
        LOG.info(String.format("PCG restarts from the iterate saved after iteration %d", base));
      }
      diagnostics.put("resumedFromIteration", base);
    }
    int offset = base;
    long t0 = System.nanoTime();
    long[] lastLog = {t0};
    ConjugateGradient.Listener progress = (iteration, x, residual) -> {
      long now = System.nanoTime();
      if (now - lastLog[0] >= PROGRESS_NANOS) {
        lastLog[0] = now;
        LOG.info(String.format("PCG iteration %d: relative residual %.3g (solver.tol %.3g), %.1f s", iteration,
            residual, settings.tol(), (now - t0) / 1e9));
      }
      if (listener != null) {
        listener.iteration(iteration, x, residual);
      }
      if (checkpoint != null) {
        checkpoint.iteration(offset + iteration, x);
      }
    };
    ConjugateGradient.Result cg = ConjugateGradient.solve(problem.train(), ridge, b, c, p, settings.tol(),
        settings.maxIter(), start, progress);
    double seconds = (System.nanoTime() - t0) / 1e9;
    diagnostics.put("iterations", cg.iterations());
    diagnostics.put("relativeResidual", cg.worstResidual());
    diagnostics.put("residualHistory", cg.history());
    diagnostics.put("pcgSeconds", seconds);
    if (checkpoint != null) {
      // Converged or not: a rerun (say with a larger solver.maxIter) continues from here.
      checkpoint.stopped(offset + cg.iterations(), cg.x());
    }
    LOG.info(String.format("PCG: %d iterations, relative residual %.3g (tol %.3g), %.2f s", cg.iterations(),
        cg.worstResidual(), settings.tol(), seconds));
    if (!cg.converged()) {
      throw new NotConvergedException(String.format("kernel regression did not converge: after %d PCG iterations "
          + "the relative residual ‖(Θ + ρI)α − (Y − f_0)‖/‖Y − f_0‖ is %.3g, above solver.tol = %.3g (ρ = %s). "
          + "Raise solver.ridge (a ridge of 0 on a nearly singular kernel cannot be solved to this accuracy), "
          + "solver.rank, solver.maxIter, or solver.tol.", cg.iterations(), cg.worstResidual(), settings.tol(),
          ridge));
    }
    double[] f = problem.f0Train().clone();
    for (int i = 0; i < f.length; i++) {
      f[i] += cg.kernelTimesX()[i];
    }
    Snapshot initial = snapshot(0, problem.f0Train(), problem.cross() == null ? null : problem.f0Test());
    Snapshot end = snapshot(Double.POSITIVE_INFINITY, f, testOutputs(cg.x(), c));
    return new FitResult("regression", List.of(initial, end), Double.NaN, lambdaMax, ridge, cg.x());
  }

  /** f_0(X*) + Θ(X*, X) α, or null without test rows; α = 0 (step 0) needs no cross product. */
  private double[] testOutputs(double[] alpha, int c) {
    if (problem.cross() != null && Arrays.stream(alpha).allMatch(a -> a == 0.0)) {
      return problem.f0Test().clone();
    }
    double[][] out = testOutputs(new double[][] {alpha}, c);
    return out == null ? null : out[0];
  }

  /** f_0(X*) + Θ(X*, X) α_t for several coefficient matrices in one product. */
  private double[][] testOutputs(double[][] alphas, int c) {
    if (problem.cross() == null || alphas.length == 0) {
      return problem.cross() == null ? null : new double[0][];
    }
    int n = problem.kernelSize();
    int t = alphas.length;
    double[] stacked = new double[n * c * t];
    for (int s = 0; s < t; s++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(alphas[s], i * c, stacked, (i * t + s) * c, c);
      }
    }
    double[] product = problem.cross().apply(stacked, c * t);
    int m = problem.cross().rows();
    double[][] out = new double[t][];
    for (int s = 0; s < t; s++) {
      double[] g = problem.f0Test().clone();
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < c; j++) {
          g[i * c + j] += product[(i * t + s) * c + j];
        }
      }
      out[s] = g;
    }
    return out;
  }

  private Snapshot snapshot(double t, double[] f, double[] g) {
    return KernelSolver.snapshot(loss, t, f, g, problem.yTrain(), problem.yTest(), problem.outputs());
  }
}
