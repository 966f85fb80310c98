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
 */
public record FitResult(String method, List<Snapshot> snapshots, double learningRate, double largestEigenvalue,
                        double ridge) {
  public Snapshot last() {
    return snapshots.get(snapshots.size() - 1);
  }
}
