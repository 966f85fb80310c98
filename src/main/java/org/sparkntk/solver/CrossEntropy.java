package org.sparkntk.solver;

import java.util.Locale;

/**
 * Rows of O logits (row-major [rows × O]) as class probabilities, docs/THEORY.md §7: the stable
 * softmax and log-sum-exp, the accuracy, and the check that targets are probability vectors.
 * The cost and its derivative are {@link Loss#XENT}'s.
 *
 * <p>Every exponential is of f_a − max_b f_b ≤ 0, so nothing overflows whatever the logits.
 */
public final class CrossEntropy {
  /** Target rows must sum to 1 within this. */
  public static final double TARGET_SUM_TOLERANCE = 1e-9;

  private CrossEntropy() {}

  /** softmax of each row of f. */
  public static double[] softmax(double[] f, int outputs) {
    double[] p = new double[f.length];
    for (int i = 0; i < f.length / outputs; i++) {
      int at = i * outputs;
      double m = rowMax(f, at, outputs);
      double s = 0;
      for (int a = 0; a < outputs; a++) {
        p[at + a] = Math.exp(f[at + a] - m);
        s += p[at + a];
      }
      for (int a = 0; a < outputs; a++) {
        p[at + a] /= s;
      }
    }
    return p;
  }

  /** log Σ_a e^{f_a} of each row, as m + log Σ_a e^{f_a − m} with m the row max. */
  public static double[] logSumExp(double[] f, int outputs) {
    double[] l = new double[f.length / outputs];
    for (int i = 0; i < l.length; i++) {
      int at = i * outputs;
      double m = rowMax(f, at, outputs);
      double s = 0;
      for (int a = 0; a < outputs; a++) {
        s += Math.exp(f[at + a] - m);
      }
      l[i] = m + Math.log(s);
    }
    return l;
  }

  /** The fraction of rows whose largest logit is at the largest target (the first one on ties); NaN for no rows. */
  public static double accuracy(double[] f, double[] y, int outputs) {
    int rows = f.length / outputs;
    int right = 0;
    for (int i = 0; i < rows; i++) {
      if (argmax(f, i * outputs, outputs) == argmax(y, i * outputs, outputs)) {
        right++;
      }
    }
    return rows == 0 ? Double.NaN : (double) right / rows;
  }

  /**
   * Null when every row of y is a probability vector (entries ≥ 0, sum 1 within
   * {@link #TARGET_SUM_TOLERANCE}); otherwise what is wrong with the first row that is not, naming it
   * 1-based in reading order as the data errors do.
   */
  public static String targetError(double[] y, int outputs) {
    for (int i = 0; i < y.length / outputs; i++) {
      int at = i * outputs;
      double sum = 0;
      boolean negative = false;
      StringBuilder values = new StringBuilder();
      for (int a = 0; a < outputs; a++) {
        double v = y[at + a];
        negative |= !(v >= 0);
        sum += v;
        values.append(a == 0 ? "" : ", ").append(v);
      }
      if (negative || !(Math.abs(sum - 1.0) <= TARGET_SUM_TOLERANCE)) {
        return String.format(Locale.ROOT, "row %d has targets (%s), %s: each row must be non-negative and sum to 1 "
                + "(within %.0e), e.g. one-hot class labels", i + 1, values,
            negative ? "a negative value" : "which sum to " + sum, TARGET_SUM_TOLERANCE);
      }
    }
    return null;
  }

  private static double rowMax(double[] f, int at, int outputs) {
    double m = Double.NEGATIVE_INFINITY;
    for (int a = 0; a < outputs; a++) {
      m = Math.max(m, f[at + a]);
    }
    return m;
  }

  private static int argmax(double[] v, int at, int outputs) {
    int best = 0;
    for (int a = 1; a < outputs; a++) {
      if (v[at + a] > v[at + best]) {
        best = a;
      }
    }
    return best;
  }
}
