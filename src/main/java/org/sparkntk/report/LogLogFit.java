package org.sparkntk.report;

import java.util.Arrays;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * A power law y ≈ e^b · x^a fitted by ordinary least squares of log y on log x over pooled points
 * (several runs per x, each run one point), with a Student-t confidence interval for the slope a.
 *
 * <p>With u_i = log x_i, v_i = log y_i, n points, S_uu = Σ (u_i − ū)², S_uv = Σ (u_i − ū)(v_i − v̄):
 * a = S_uv/S_uu, b = v̄ − a ū, residual variance s² = Σ (v_i − b − a u_i)² / (n − 2), standard error
 * SE(a) = s/√S_uu, and the interval a ± t_{(1+c)/2, n−2} · SE(a) (e.g. Montgomery, Peck &amp; Vining,
 * Introduction to Linear Regression Analysis, §2.3). It assumes the runs' log-residuals are independent
 * with a common variance: each run is an independent initialisation, and pooling runs rather than
 * fitting the per-x medians lets the interval reflect the run-to-run spread.
 *
 * @param slope         a
 * @param intercept     b
 * @param standardError SE(a); NaN for fewer than three points
 * @param lower         a − t · SE(a)
 * @param upper         a + t · SE(a)
 * @param confidence    c, e.g. 0.95
 * @param points        n
 */
public record LogLogFit(double slope, double intercept, double standardError, double lower, double upper,
                        double confidence, int points) {

  /** The fit of log y on log x with a {@code confidence} interval; NaN slope for fewer than two distinct x. */
  public static LogLogFit of(double[] x, double[] y, double confidence) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("a confidence level lies in (0, 1), got " + confidence);
    }
    int n = x.length;
    double[] u = Arrays.stream(x).map(Math::log).toArray();
    double[] v = Arrays.stream(y).map(Math::log).toArray();
    double mu = Arrays.stream(u).average().orElse(Double.NaN);
    double mv = Arrays.stream(v).average().orElse(Double.NaN);
    double suu = 0;
    double suv = 0;
    for (int i = 0; i < n; i++) {
      suu += (u[i] - mu) * (u[i] - mu);
      suv += (u[i] - mu) * (v[i] - mv);
    }
    if (n < 2 || !(suu > 0)) {
      return new LogLogFit(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, confidence, n);
    }
    double a = suv / suu;
    double b = mv - a * mu;
    if (n < 3) {
      return new LogLogFit(a, b, Double.NaN, Double.NaN, Double.NaN, confidence, n);
    }
    double rss = 0;
    for (int i = 0; i < n; i++) {
      double r = v[i] - b - a * u[i];
      rss += r * r;
    }
    double se = Math.sqrt(rss / (n - 2) / suu);
    double t = tQuantile((1 + confidence) / 2, n - 2);
    return new LogLogFit(a, b, se, a - t * se, a + t * se, confidence, n);
  }

  /** The p-quantile of Student's t distribution with {@code df} degrees of freedom. */
  static double tQuantile(double p, int df) {
    return new TDistribution(null, df).inverseCumulativeProbability(p);
  }

  /** Whether {@code value} lies in [lower, upper]. */
  public boolean intervalContains(double value) {
    return value >= lower && value <= upper;
  }
}
