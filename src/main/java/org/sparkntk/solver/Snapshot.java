package org.sparkntk.solver;

/**
 * Predictions at one recorded time: {@code t} is the step count for discrete steps, the
 * continuous time τ = η·t for the closed-form flow, and +∞ for kernel regression.
 *
 * @param trainPredictions f_t(X), [N × O]
 * @param testPredictions  f_t(X*), [M × O], or null
 * @param trainLoss        C = (1/N) Σ_i ½‖f_t(x_i) − y_i‖²
 * @param testLoss         the same over the test rows, NaN without test labels
 */
public record Snapshot(double t, double[] trainPredictions, double[] testPredictions,
                       double trainLoss, double testLoss) {}
