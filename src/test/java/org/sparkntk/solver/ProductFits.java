package org.sparkntk.solver;

import java.util.Map;

/**
 * The solvers on kernels seen through products ({@link FitContext#products}) as the tests call
 * them: one problem, loss and settings, several requests; {@link #diagnostics()} are the last fit's.
 */
final class ProductFits {
  private final OperatorProblem problem;
  private final Loss loss;
  private final SolverSettings settings;
  private FitContext last;

  ProductFits(OperatorProblem problem, Loss loss, SolverSettings settings) {
    FitContext.products(problem, FitRequest.steps(loss, Double.NaN, 0, new int[0]));
    this.problem = problem;
    this.loss = loss;
    this.settings = settings;
  }

  private FitResult fit(FitContext context) {
    last = context;
    return context.fit();
  }

  private FitContext context(FitRequest request) {
    return FitContext.products(problem, request.with(loss).with(settings));
  }

  FitResult steps(double learningRate, int steps, int[] recordAt) {
    return fit(context(FitRequest.steps(loss, learningRate, steps, recordAt)));
  }

  FitResult flow(double[] times) {
    return fit(context(FitRequest.flow(times)));
  }

  FitResult regression(double ridge, double[] start, ConjugateGradient.Listener listener) {
    return fit(context(FitRequest.regression(ridge)).withStart(start, listener));
  }

  FitResult regression(double ridge, RegressionCheckpoint checkpoint) {
    return fit(context(FitRequest.regression(ridge)).withCheckpoint(checkpoint));
  }

  Map<String, Object> diagnostics() {
    return last.diagnostics();
  }
}
