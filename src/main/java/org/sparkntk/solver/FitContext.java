package org.sparkntk.solver;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fit: the problem on its backend, the request, and what the solver measured. Built with
 * {@link #dense} when the driver holds the kernels (the direct methods may then use them) or
 * {@link #products} when the kernels are seen only through products, or {@link #nystrom} with
 * the kernels against M centres only; {@link #fit()} runs the requested {@link Solver}.
 */
public final class FitContext {
  private static final Logger LOG = LoggerFactory.getLogger(FitContext.class);

  private final OperatorProblem operators;
  private final KernelProblem dense;
  private final NystromProblem nystrom;
  private final FitRequest request;
  private final double[] yTrain;
  private final double[] yTest;
  private final int outputs;
  private final Map<String, Object> diagnostics = new LinkedHashMap<>();
  private Spectrum spectrum;
  private RegressionCheckpoint checkpoint;
  private double[] start;
  private ConjugateGradient.Listener listener;
  private boolean overwriteCenterGram;
  private double lambdaMax = Double.NaN;

  private FitContext(OperatorProblem operators, KernelProblem dense, NystromProblem nystrom, FitRequest request) {
    this.yTrain = operators != null ? operators.yTrain() : nystrom.yTrain();
    this.yTest = operators != null ? operators.yTest() : nystrom.yTest();
    this.outputs = operators != null ? operators.outputs() : nystrom.outputs();
    request.loss().checkTargets(outputs, yTrain, yTest);
    this.operators = operators;
    this.dense = dense;
    this.nystrom = nystrom;
    this.request = request;
  }

  /**
   * A fit on kernels the driver holds. For the cross-entropy the model needs at least two outputs
   * and every target row (training, and test when labelled) must be a probability vector.
   */
  public static FitContext dense(KernelProblem problem, FitRequest request) {
    return new FitContext(OperatorProblem.dense(problem), problem, null, request);
  }

  /** A fit on kernels seen only through products Θ·V (the distributed backend, the FFT operator). */
  public static FitContext products(OperatorProblem problem, FitRequest request) {
    return new FitContext(problem, null, null, request);
  }

  /** A fit on the kernels against M centres only ({@link NystromSolver}). */
  public static FitContext nystrom(NystromProblem problem, FitRequest request) {
    return new FitContext(null, null, problem, request);
  }

  /** The training kernel's eigen-decomposition, when the caller has it already (the dense flow reuses it). */
  public FitContext withSpectrum(Spectrum decomposition) {
    this.spectrum = decomposition;
    return this;
  }

  /** Where an iterative regression saves its Nyström basis and iterate, and resumes from them. */
  public FitContext withCheckpoint(RegressionCheckpoint regressionCheckpoint) {
    this.checkpoint = regressionCheckpoint;
    return this;
  }

  /** An iterative regression's starting point (null: 0) and a listener called after each iteration. */
  public FitContext withStart(double[] x0, ConjugateGradient.Listener iterationListener) {
    this.start = x0;
    this.listener = iterationListener;
    return this;
  }

  /**
   * Lets Nyström regression factor Θ(C, C) in its own array, overwriting it, when nothing else
   * reads that array afterwards: it saves one (M·k)² copy on the driver.
   */
  public FitContext overwritingCenterGram() {
    this.overwriteCenterGram = true;
    return this;
  }

  /** Whether {@link #overwritingCenterGram} was asked for. */
  boolean mayOverwriteCenterGram() {
    return overwriteCenterGram;
  }

  /** Runs the requested solver. */
  public FitResult fit() {
    return Solvers.of(request.type()).fit(this);
  }

  /**
   * The problem through products only: every solver but Nyström's runs on it.
   *
   * @throws IllegalStateException for a Nyström problem, which has no training kernel
   */
  public OperatorProblem operators() {
    if (operators == null) {
      throw new IllegalStateException("solver.type = " + request.type() + " needs the training kernel Θ(X, X); "
          + "this fit has only the kernels against the Nyström centres");
    }
    return operators;
  }

  /** The kernels against the centres, or null when the fit has the whole training kernel. */
  public NystromProblem nystrom() {
    return nystrom;
  }

  /** The problem as dense driver arrays, or null when the kernels are seen only through products. */
  public KernelProblem dense() {
    return dense;
  }

  public FitRequest request() {
    return request;
  }

  /** What the solver did, for metrics.json: iterations, residual history, products, seconds. */
  public Map<String, Object> diagnostics() {
    return diagnostics;
  }

  Spectrum spectrum() {
    return spectrum;
  }

  RegressionCheckpoint checkpoint() {
    return checkpoint;
  }

  double[] start() {
    return start;
  }

  ConjugateGradient.Listener listener() {
    return listener;
  }

  /**
   * λ_max of the training kernel, computed once: by power iteration on the dense array, by
   * Lanczos ({@link Lanczos#largest}, to {@link SolverSettings#eigenTolerance()}) on products.
   */
  public double largestEigenvalue() {
    if (Double.isNaN(lambdaMax)) {
      if (dense != null) {
        lambdaMax = StepSize.largestEigenvalue(dense.train().data(), dense.train().rows());
      } else if (operators == null) {
        throw new IllegalStateException("λ_max of the training kernel needs the training kernel");
      } else {
        SolverSettings s = request.settings();
        long t0 = System.nanoTime();
        Lanczos.Eigenpairs top = Lanczos.largest(operators.train(), 1, s.eigenTolerance(), s.maxIter(), s.seed(),
            false);
        lambdaMax = top.largest();
        diagnostics.put("largestEigenvalueLanczosSteps", top.steps());
        diagnostics.put("largestEigenvalueSeconds", (System.nanoTime() - t0) / 1e9);
        LOG.info(String.format("λ_max = %.8g by Lanczos in %d steps", lambdaMax, top.steps()));
      }
    }
    return lambdaMax;
  }

  /** λ_max if a solver has computed it, else NaN. */
  double knownLargestEigenvalue() {
    return lambdaMax;
  }

  /** η of the steps: the request's, or auto from λ_max; refused when it would diverge ({@link StepSize}). */
  double stableLearningRate() {
    return StepSize.stable(request.loss(), request.learningRate(), operators.trainExamples(), largestEigenvalue());
  }

  /** The record of f (training) and g (test, or null) at time t ({@link Snapshot#of}). */
  Snapshot snapshot(double t, double[] f, double[] g) {
    return Snapshot.of(request.loss(), t, f, g, yTrain, yTest, outputs);
  }

  /** f_0(X*) + Θ(X*, X) α through the cross kernel's products, or null without test rows; α = 0 needs no product. */
  double[] testOutputs(double[] alpha) {
    if (operators.cross() != null && Arrays.stream(alpha).allMatch(a -> a == 0.0)) {
      return operators.f0Test().clone();
    }
    double[][] out = testOutputs(new double[][] {alpha});
    return out == null ? null : out[0];
  }

  /** f_0(X*) + Θ(X*, X) α_t for several coefficient matrices in one product. */
  double[][] testOutputs(double[][] alphas) {
    KernelOperator cross = operators.cross();
    if (cross == null || alphas.length == 0) {
      return cross == null ? null : new double[0][];
    }
    int n = operators.kernelSize();
    int c = operators.columns();
    int t = alphas.length;
    double[] stacked = new double[n * c * t];
    for (int s = 0; s < t; s++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(alphas[s], i * c, stacked, (i * t + s) * c, c);
      }
    }
    double[] product = cross.apply(stacked, c * t);
    int m = cross.rows();
    double[][] out = new double[t][];
    for (int s = 0; s < t; s++) {
      double[] g = operators.f0Test().clone();
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < c; j++) {
          g[i * c + j] += product[(i * t + s) * c + j];
        }
      }
      out[s] = g;
    }
    return out;
  }
}
