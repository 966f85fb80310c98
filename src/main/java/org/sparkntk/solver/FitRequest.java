package org.sparkntk.solver;

import java.util.Arrays;

/**
 * What a fit is asked for, whichever backend runs it: the solver ({@link Solvers}), the loss, and
 * that solver's parameters (the others are ignored).
 *
 * @param type         solver.type, a name registered in {@link Solvers}
 * @param loss         the cost whose dynamics are fitted
 * @param learningRate η of the steps, NaN for solver.lr = auto ({@link StepSize})
 * @param steps        the number of steps, and with {@code times} null the horizon of the flow
 * @param recordAt     the steps recorded (steps), or whose times η·t are (flow without {@code times})
 * @param times        the flow's times τ, or null for η·t at {@code recordAt}
 * @param ridge        ρ of the regression
 * @param centers      M, the Nyström centres (0 for the other solvers)
 * @param settings     the iterative solvers' tolerances, iteration limits, rank and seed
 */
public record FitRequest(String type, Loss loss, double learningRate, int steps, int[] recordAt, double[] times,
                         double ridge, int centers, SolverSettings settings) {

  /** Kernel gradient descent of {@code loss} with η (NaN: auto), recording the steps listed. */
  public static FitRequest steps(Loss loss, double learningRate, int steps, int[] recordAt) {
    return new FitRequest(StepsSolver.TYPE, loss, learningRate, steps, recordAt, null, 0.0, 0,
        SolverSettings.defaults());
  }

  /** The MSE gradient flow at the times τ. */
  public static FitRequest flow(double[] times) {
    return new FitRequest(FlowSolver.TYPE, Loss.MSE, Double.NaN, 0, new int[0], times, 0.0, 0,
        SolverSettings.defaults());
  }

  /** Kernel regression with ridge ρ. */
  public static FitRequest regression(double ridge) {
    return new FitRequest(RegressionSolver.TYPE, Loss.MSE, Double.NaN, 0, new int[0], null, ridge, 0,
        SolverSettings.defaults());
  }

  /** Nyström regression with ridge ρ on M centres. */
  public static FitRequest nystrom(double ridge, int centers) {
    return new FitRequest(NystromSolver.TYPE, Loss.MSE, Double.NaN, 0, new int[0], null, ridge, centers,
        SolverSettings.defaults());
  }

  /** The same request for another loss. */
  public FitRequest with(Loss newLoss) {
    return new FitRequest(type, newLoss, learningRate, steps, recordAt, times, ridge, centers, settings);
  }

  /** The same request with other iterative settings. */
  public FitRequest with(SolverSettings newSettings) {
    return new FitRequest(type, loss, learningRate, steps, recordAt, times, ridge, centers, newSettings);
  }

  /** The recorded steps in 0 … steps, sorted, without duplicates. */
  int[] recordedSteps() {
    return Arrays.stream(recordAt).filter(s -> s >= 0 && s <= steps).distinct().sorted().toArray();
  }

  /** ρ, refused unless finite and ≥ 0. */
  double checkedRidge() {
    if (!(ridge >= 0) || Double.isInfinite(ridge)) {
      throw new IllegalArgumentException("solver.ridge must be finite and ≥ 0, got " + ridge);
    }
    return ridge;
  }

  /** Y − f_0 elementwise: the residual the regressions fit. */
  static double[] residual(double[] y, double[] f0) {
    double[] r = new double[y.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = y[i] - f0[i];
    }
    return r;
  }

  /** Refuses a loss without a closed form: the flow and the regression solve the MSE dynamics. */
  void requireMse() {
    if (loss != Loss.MSE) {
      throw new IllegalArgumentException(type + " is a closed form of the MSE dynamics; the " + loss.configName()
          + " cost has none: use discrete steps");
    }
  }
}
