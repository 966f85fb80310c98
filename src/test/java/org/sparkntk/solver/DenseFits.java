package org.sparkntk.solver;

/**
 * The solvers on dense kernels ({@link FitContext#dense}) as the tests call them: one problem and
 * loss, several requests. Creating one checks the targets for the loss, as every fit does.
 */
final class DenseFits {
  private final KernelProblem problem;
  private final Loss loss;

  DenseFits(KernelProblem problem) {
    this(problem, Loss.MSE);
  }

  DenseFits(KernelProblem problem, Loss loss) {
    FitContext.dense(problem, FitRequest.steps(loss, Double.NaN, 0, new int[0]));
    this.problem = problem;
    this.loss = loss;
  }

  FitResult steps(double learningRate, int steps, int[] recordAt) {
    return FitContext.dense(problem, FitRequest.steps(loss, learningRate, steps, recordAt)).fit();
  }

  FitResult flow(double[] times) {
    return FitContext.dense(problem, FitRequest.flow(times).with(loss)).fit();
  }

  FitResult flow(double[] times, Spectrum spectrum) {
    return FitContext.dense(problem, FitRequest.flow(times).with(loss)).withSpectrum(spectrum).fit();
  }

  FitResult regression(double ridge) {
    return FitContext.dense(problem, FitRequest.regression(ridge).with(loss)).fit();
  }
}
