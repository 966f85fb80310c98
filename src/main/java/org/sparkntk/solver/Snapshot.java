package org.sparkntk.solver;

/**
 * Predictions at one recorded time: {@code t} is the step count for discrete steps, the
 * continuous time τ = η·t for the closed-form flow, and +∞ for kernel regression.
 *
 * @param trainPredictions f_t(X), [N × O] (for the cross-entropy: logits)
 * @param testPredictions  f_t(X*), [M × O], or null
 * @param trainLoss        the cost C over the training rows: (1/N) Σ_i ½‖f_t(x_i) − y_i‖² for MSE,
 *                         (1/N) Σ_i −Σ_a y_ia log softmax(f_t(x_i))_a for the cross-entropy
 * @param testLoss         the same over the test rows, NaN without test labels
 * @param trainAccuracy    cross-entropy only: the fraction of training rows with argmax f = argmax y; NaN for MSE
 * @param testAccuracy     the same over the test rows, NaN for MSE or without test labels
 */
public record Snapshot(double t, double[] trainPredictions, double[] testPredictions,
                       double trainLoss, double testLoss, double trainAccuracy, double testAccuracy) {

  /** A snapshot without accuracies (MSE). */
  public Snapshot(double t, double[] trainPredictions, double[] testPredictions, double trainLoss, double testLoss) {
    this(t, trainPredictions, testPredictions, trainLoss, testLoss, Double.NaN, Double.NaN);
  }
}
