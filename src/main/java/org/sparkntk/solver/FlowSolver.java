package org.sparkntk.solver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;
import org.sparkntk.linalg.Blas;

/**
 * The gradient flow of the MSE cost in closed form at times τ (docs/THEORY.md §6; τ = η·t matches
 * t discrete steps of size η), with r_0 = Y − f_0(X):
 * f_τ(X) = f_0(X) + (I − e^{−τΘ/N}) r_0 and f_τ(x*) = f_0(x*) + Θ(x*, X) φ_τ(Θ) r_0,
 * φ_τ(λ) = (1 − e^{−τλ/N})/λ (limit τ/N at λ = 0).
 * <ul>
 *   <li>dense kernels: through Θ = V diag(λ) Vᵀ, with eigenvalues below zero, which a PSD kernel
 *       only shows through rounding, clamped to 0 (as neural-tangents does);</li>
 *   <li>products: one Lanczos process per output column ({@link Lanczos#functions}), stopped when
 *       the outputs at every τ change by at most solver.tol (relative) over
 *       {@link Lanczos#CHECK_EVERY} steps; all times' test outputs in one cross product.</li>
 * </ul>
 * Without explicit times the flow is recorded at τ = η·t for the recorded steps t, η the request's
 * or auto ({@link StepSize}).
 */
final class FlowSolver implements Solver {
  static final String TYPE = "flow";

  @Override
  public String type() {
    return TYPE;
  }

  /** K, V and dsyevd's ~2n² workspace. */
  @Override
  public int denseTrainCopies() {
    return 4;
  }

  /** Θ(X*, X) and Θ(X*, X) V. */
  @Override
  public int denseCrossCopies() {
    return 2;
  }

  /** The Lanczos bases, about 100 vectors per column. */
  @Override
  public long productWorkspace(long rows, int k, long columns, FitRequest request) {
    return rows * columns * 100;
  }

  @Override
  public int recordedTimes(FitRequest request) {
    return request.times() != null ? request.times().length : request.recordAt().length;
  }

  @Override
  public FitResult fit(FitContext context) {
    context.request().requireMse();
    double[] sorted = times(context);
    Arrays.sort(sorted);
    for (double tau : sorted) {
      if (!(tau >= 0) || Double.isInfinite(tau)) {
        throw new IllegalArgumentException("flow times must be finite and ≥ 0, got " + tau);
      }
    }
    return context.dense() != null ? dense(context, sorted) : products(context, sorted);
  }

  /** The request's times, or η·t at the recorded steps. */
  private static double[] times(FitContext context) {
    FitRequest request = context.request();
    if (request.times() != null) {
      return request.times().clone();
    }
    double lr = request.learningRate();
    double eta = !Double.isNaN(lr) ? lr
        : StepSize.auto(Loss.MSE, context.operators().trainExamples(), context.largestEigenvalue());
    return IntStream.of(request.recordAt()).mapToDouble(s -> eta * s).toArray();
  }

  private static FitResult dense(FitContext context, double[] sorted) {
    KernelProblem problem = context.dense();
    Spectrum spectrum = context.spectrum() != null ? context.spectrum() : Spectrum.of(problem.train());
    Blas blas = Blas.get();
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
    double[] scaled = new double[n * c];
    for (double tau : sorted) {
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
      snapshots.add(context.snapshot(tau, f, g));
    }
    // α = −V diag((1 − e^{−τλ/N})/λ) Vᵀ (f_0(X) − Y) at the last (largest) time; scaled holds its inner factor.
    double[] alpha = new double[n * c];
    if (sorted.length > 0) {
      blas.gemm(true, false, n, c, n, -1.0, v, 0, n, scaled, 0, c, 0.0, alpha, 0, c);
    }
    double top = n == 0 ? 0.0 : lambda[0];
    return new FitResult(TYPE, snapshots, Double.NaN, top, 0.0, alpha);
  }

  private static FitResult products(FitContext context, double[] sorted) {
    OperatorProblem problem = context.operators();
    SolverSettings settings = context.request().settings();
    int c = problem.columns();
    int examples = problem.trainExamples();
    double[] r = FitRequest.residual(problem.yTrain(), problem.f0Train());
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
    context.diagnostics().put("lanczosSteps", result.steps());
    context.diagnostics().put("lanczosProducts", result.products());
    context.diagnostics().put("lanczosSeconds", (System.nanoTime() - t0) / 1e9);
    double[][] coefficients = new double[sorted.length][];
    for (int t = 0; t < sorted.length; t++) {
      coefficients[t] = result.values()[2 * t + 1];
    }
    double[][] tests = context.testOutputs(coefficients);
    List<Snapshot> snapshots = new ArrayList<>();
    for (int t = 0; t < sorted.length; t++) {
      double[] gain = result.values()[2 * t];
      double[] f = problem.f0Train().clone();
      for (int i = 0; i < f.length; i++) {
        f[i] += gain[i];
      }
      snapshots.add(context.snapshot(sorted[t], f, tests == null ? null : tests[t]));
    }
    double[] alpha = sorted.length == 0 ? new double[r.length] : coefficients[sorted.length - 1];
    return new FitResult(TYPE, snapshots, Double.NaN, context.knownLargestEigenvalue(), 0.0, alpha);
  }
}
