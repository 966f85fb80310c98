package org.sparkntk.solver;

import java.util.List;

/**
 * The outcome of a kernel fit.
 *
 * @param method         steps, flow or regression
 * @param snapshots      predictions at the recorded times, in time order
 * @param learningRate   η used (NaN for regression)
 * @param largestEigenvalue λ_max of the training kernel when it was computed, else NaN
 * @param ridge          ρ used (0 unless regression)
 * @param coefficients   the dual coefficients α at the last recorded time, [N·k × O/k] row-major (the layout
 *                       of the solver's right-hand side, see {@link KernelProblem}): the fitted function is
 *                       f(x*) = f_0(x*) + Θ(x*, X) α at every point, training or new
 */
public record FitResult(String method, List<Snapshot> snapshots, double learningRate, double largestEigenvalue,
                        double ridge, double[] coefficients) {
  public Snapshot last() {
    return snapshots.get(snapshots.size() - 1);
  }
}
