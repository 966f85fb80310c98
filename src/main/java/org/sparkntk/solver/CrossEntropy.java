package org.sparkntk.solver;

import java.util.Locale;

/**
 * Softmax cross-entropy over rows of O logits (row-major [rows × O]), docs/THEORY.md §7:
 * p = softmax(f), c = −Σ_a y_a log p_a, d = ∂c/∂f = p − y, for target probabilities y (one-hot
 * for classification).
 *
 * <p>Every exponential is of f_a − max_b f_b ≤ 0, so nothing overflows whatever the logits, and
 * log p_a = (f_a − m) − log Σ_b e^{f_b − m} is formed without taking the log of a rounded p
 * (a class that is e^{−2·10⁴} unlikely costs 2·10⁴, not ∞). Each c_i is a sum of non-negative terms
 * y_a (log Σ_b e^{f_b} − f_a).
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

  /** C = (1/rows) Σ_i c_i, c_i = −Σ_a y_ia log softmax(f_i)_a; 0 for no rows. */
  public static double cost(double[] f, double[] y, int outputs) {
    return gradient(f, y, outputs, null);
  }

  /**
   * Writes d = softmax(f) − y into {@code d} (unless null) and returns the cost C of {@link #cost},
   * from one set of exponentials.
   */
  static double gradient(double[] f, double[] y, int outputs, double[] d) {
    int rows = f.length / outputs;
    double total = 0;
    for (int i = 0; i < rows; i++) {
      int at = i * outputs;
      double m = rowMax(f, at, outputs);
      double s = 0;
      for (int a = 0; a < outputs; a++) {
        s += Math.exp(f[at + a] - m);
      }
      double logSum = Math.log(s);
      double c = 0;
      for (int a = 0; a < outputs; a++) {
        double shifted = f[at + a] - m;
        c += y[at + a] * (logSum - shifted);
        if (d != null) {
          d[at + a] = Math.exp(shifted) / s - y[at + a];
        }
      }
      total += c;
    }
    return rows == 0 ? 0.0 : total / rows;
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
