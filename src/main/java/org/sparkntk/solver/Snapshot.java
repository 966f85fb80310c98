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

  /**
   * The record of predictions f (training) and g (test, or null) at time t: copies of both, the
   * cost of {@code loss} on each, and the accuracies when the targets are class probabilities
   * (always for the cross-entropy, whose targets are checked to be). Class labels fitted by least
   * squares (one-hot targets, as in Lee et al. 2020 and Arora et al. 2019) predict the largest
   * output, so MSE fits of classes record their accuracy as well.
   */
  public static Snapshot of(Loss loss, double t, double[] f, double[] g, double[] yTrain, double[] yTest,
                            int outputs) {
    boolean testLabels = g != null && yTest != null;
    double trainLoss = loss.meanCost(f, yTrain, outputs);
    double testLoss = testLabels ? loss.meanCost(g, yTest, outputs) : Double.NaN;
    double[] gCopy = g == null ? null : g.clone();
    if (outputs >= 2 && CrossEntropy.targetError(yTrain, outputs) == null) {
      boolean testClasses = testLabels && CrossEntropy.targetError(yTest, outputs) == null;
      return new Snapshot(t, f.clone(), gCopy, trainLoss, testLoss, CrossEntropy.accuracy(f, yTrain, outputs),
          testClasses ? CrossEntropy.accuracy(g, yTest, outputs) : Double.NaN);
    }
    return new Snapshot(t, f.clone(), gCopy, trainLoss, testLoss);
  }

  /** A snapshot without accuracies (MSE). */
  public Snapshot(double t, double[] trainPredictions, double[] testPredictions, double trainLoss, double testLoss) {
    this(t, trainPredictions, testPredictions, trainLoss, testLoss, Double.NaN, Double.NaN);
  }
}
