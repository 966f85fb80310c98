package org.sparkntk.pipeline;

import java.util.List;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataException;
import org.sparkntk.data.Example;
import org.sparkntk.data.LabeledData;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.Snapshot;

/**
 * Traces a non-finite result to its cause. The data are finite (the reader refuses NaN and ±∞)
 * and so are the model's parameters (ModelStore refuses them), but finite inputs can still
 * overflow double precision: a feature of 1e300, σ_w = 1e308, a label of 1e300 squared in the
 * cost. Each check runs where the quantity is first available — the outputs f_0, the kernels, the
 * cost at the start, the recorded results — and stops the job (status 2) with the row, its largest
 * feature or label and the keys to change, instead of a NaN deep in the solver.
 */
public final class NonFinite {
  private NonFinite() {}

  /** The network's outputs f_0 ([rows × o]) of {@code data}. */
  static void outputs(JobConfig config, LabeledData data, double[] f0, int o) {
    int bad = -1;
    int count = 0;
    for (int i = 0; i < f0.length; i++) {
      if (!Double.isFinite(f0[i])) {
        count++;
        if (bad < 0) {
          bad = i;
        }
      }
    }
    if (bad < 0) {
      return;
    }
    int row = bad / o;
    throw new DataException(data.name() + ": the network's output f_0 is " + f0[bad] + " at row " + (row + 1)
        + " (" + count + " of " + f0.length + " outputs are not finite); " + cause(config, data, row));
  }

  /** A kernel ({@code left} rows against the training rows): the first non-finite entry's rows. */
  static void kernel(JobConfig config, String what, GramMatrix gram, LabeledData left, LabeledData right) {
    double[] k = gram.data();
    int cols = gram.cols();
    int per = gram.rowsPerExample();
    for (int i = 0; i < gram.rows(); i++) {
      for (int j = 0; j < cols; j++) {
        double v = k[i * cols + j];
        if (!Double.isFinite(v)) {
          // Blame a row whose own diagonal entry fails when there is one: a pair (i, j) of finite
          // diagonals cannot overflow except through a parameter.
          int li = i / per;
          int rj = j / per;
          LabeledData blamed = left;
          int row = li;
          if (left == right && Double.isFinite(k[i * cols + i]) && !Double.isFinite(k[j * cols + j])) {
            row = rj;
          }
          throw new DataException(left.name() + ": the " + what + " Θ(row " + (li + 1) + ", training row "
              + (rj + 1) + ") is " + v + "; " + cause(config, blamed, row));
        }
      }
    }
  }

  /**
   * The MSE cost at the start, (1/N) Σ ½‖f_0 − y‖², must be finite: labels of 1e300 overflow when
   * squared. Names the row and label column of the largest residual.
   */
  static void startingCost(JobConfig config, LabeledData data, List<String> labels, double[] f0, double[] y) {
    double sum = 0;
    int worst = 0;
    for (int i = 0; i < y.length; i++) {
      double d = f0[i] - y[i];
      sum += 0.5 * d * d;
      if (Math.abs(d) > Math.abs(f0[worst] - y[worst])) {
        worst = i;
      }
    }
    if (Double.isFinite(sum)) {
      return;
    }
    int o = labels.size();
    String overflow = " makes the squared error overflow (the cost (1/N) Σ ½‖f − y‖² is " + sum + ")";
    if (Math.abs(f0[worst]) > Math.abs(y[worst])) {
      throw new DataException(data.name() + ": row " + (worst / o + 1) + ": the network's output f_0 = " + f0[worst]
          + " for label column '" + labels.get(worst % o) + "'" + overflow + "; " + cause(config, data, worst / o));
    }
    throw new DataException(data.name() + ": row " + (worst / o + 1) + ", column '" + labels.get(worst % o)
        + "': the label " + y[worst] + " against the output f_0 = " + f0[worst] + overflow
        + "; scale the label columns");
  }

  /** Every recorded loss and prediction of the fit; the first non-finite one names the time and the keys. */
  public static void fit(JobConfig config, FitResult fit) {
    for (Snapshot s : fit.snapshots()) {
      String bad = !Double.isFinite(s.trainLoss()) ? "the training loss is " + s.trainLoss()
          : firstNonFinite("training prediction", s.trainPredictions());
      if (bad == null && s.testPredictions() != null) {
        bad = firstNonFinite("test prediction", s.testPredictions());
      }
      if (bad == null && s.testPredictions() != null && !Double.isNaN(s.testLoss())
          && !Double.isFinite(s.testLoss())) {
        bad = "the test loss is " + s.testLoss();
      }
      if (bad != null) {
        throw new DataException("solver.type = " + config.get(ConfigKeys.SOLVER_TYPE) + ": at t = " + s.t() + " "
            + bad + " (η = " + fit.learningRate() + ", λ_max = " + fit.largestEigenvalue() + "); scale the features "
            + "and labels, or set a smaller solver.lr or a larger solver.ridge");
      }
    }
  }

  private static String firstNonFinite(String what, double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        return what + " " + i + " is " + values[i];
      }
    }
    return null;
  }

  /** The row's largest feature and the model's scales: what overflowed, and the keys to change. */
  private static String cause(JobConfig config, LabeledData data, int row) {
    Example e = data.examples().filter(x -> x.index() == row).first();
    double[] x = e.features();
    int largest = 0;
    for (int j = 1; j < x.length; j++) {
      if (Math.abs(x[j]) > Math.abs(x[largest])) {
        largest = j;
      }
    }
    boolean rf = config.get(ConfigKeys.KERNEL_TYPE).equals("randomfeatures");
    String model = rf ? "the random features have kernel.scale = " + config.get(ConfigKeys.KERNEL_SCALE)
        : config.get(ConfigKeys.MODEL_LOAD) != null
        ? "the network has the parameters of model.load = '" + config.get(ConfigKeys.MODEL_LOAD) + "'"
        : "the network has model.sigmaW = " + config.get(ConfigKeys.MODEL_SIGMA_W) + ", model.sigmaB = "
            + config.get(ConfigKeys.MODEL_SIGMA_B);
    return "row " + (row + 1) + "'s largest feature is column '" + data.features().get(largest) + "' = " + x[largest]
        + ", and " + model + ": together they overflow double precision. Scale the feature columns (e.g. to "
        + "unit variance)" + (rf ? "" : " or lower model.sigmaW and model.sigmaB");
  }
}
