package org.sparkntk.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pooled log-log fit and its interval against known cases; the median and range of the dynamics report. */
class LogLogFitTest {

  /**
   * Anscombe's (1973) first data set, whose least-squares line is published as y = 3.00 + 0.500 x with
   * a slope standard error of 0.118 (n = 11, r² = 0.67). Fed as e^x, e^y, the log-log fit is that linear
   * fit. Exact values (scipy.stats.linregress: slope 0.500090909…, stderr 0.117905500…; t_{0.975, 9} =
   * 2.262157162…) to 1e-9, the accuracy of commons-math's t quantile solver.
   */
  @Test
  void anscombesFirstDataSet() {
    double[] x = {10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5};
    double[] y = {8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68};
    LogLogFit fit = LogLogFit.of(Arrays.stream(x).map(Math::exp).toArray(), Arrays.stream(y).map(Math::exp).toArray(),
        0.95);
    assertEquals(0.5000909090909091, fit.slope(), 1e-12);
    assertEquals(3.0000909090909090, fit.intercept(), 1e-12);
    assertEquals(0.11790550059563408, fit.standardError(), 1e-12);
    double t = 2.262157162798205;
    assertEquals(0.5000909090909091 - t * 0.11790550059563408, fit.lower(), 1e-9);
    assertEquals(0.5000909090909091 + t * 0.11790550059563408, fit.upper(), 1e-9);
    assertEquals(11, fit.points());
    assertTrue(fit.intervalContains(0.5) && !fit.intervalContains(0.0) && !fit.intervalContains(1.0));
  }

  /** Student's t quantiles (scipy.stats.t.ppf): df 9, 13 (15 pooled runs) and 2. */
  @Test
  void tQuantiles() {
    assertEquals(2.262157162798205, LogLogFit.tQuantile(0.975, 9), 1e-8);
    assertEquals(2.1603686564627913, LogLogFit.tQuantile(0.975, 13), 1e-8);
    assertEquals(2.9199855803537242, LogLogFit.tQuantile(0.95, 2), 1e-8);
  }

  /** An exact power law y = 3 x^−½ over repeated x: slope −½, intercept log 3, zero standard error. */
  @Test
  void exactPowerLaw() {
    double[] x = {64, 64, 256, 256, 1024, 1024};
    double[] y = Arrays.stream(x).map(v -> 3 / Math.sqrt(v)).toArray();
    LogLogFit fit = LogLogFit.of(x, y, 0.95);
    assertEquals(-0.5, fit.slope(), 1e-14);
    assertEquals(Math.log(3), fit.intercept(), 1e-13);
    assertEquals(0, fit.standardError(), 1e-7);
    assertEquals(-0.5, fit.lower(), 1e-6);
    assertEquals(-0.5, fit.upper(), 1e-6);
  }

  /** Two points give a slope and no interval; one x value, or one point, gives no slope. */
  @Test
  void degenerateInputs() {
    LogLogFit two = LogLogFit.of(new double[] {1, 10}, new double[] {1, 0.1}, 0.95);
    assertEquals(-1, two.slope(), 1e-15);
    assertTrue(Double.isNaN(two.standardError()) && Double.isNaN(two.lower()));
    assertFalse(two.intervalContains(-1));
    assertTrue(Double.isNaN(LogLogFit.of(new double[] {5, 5, 5}, new double[] {1, 2, 3}, 0.95).slope()));
    assertTrue(Double.isNaN(LogLogFit.of(new double[] {5}, new double[] {1}, 0.95).slope()));
  }

  @Test
  void spreadIsMedianMinMax() {
    DynamicsReport.Spread odd = DynamicsReport.Spread.of(new double[] {0.0557, 0.0817, 0.0481, 0.0429, 0.09});
    assertEquals(new DynamicsReport.Spread(0.0557, 0.0429, 0.09), odd);
    DynamicsReport.Spread even = DynamicsReport.Spread.of(new double[] {4, 1, 3, 2});
    assertEquals(new DynamicsReport.Spread(2.5, 1, 4), even);
    assertTrue(Double.isNaN(DynamicsReport.Spread.of(new double[0]).median()));
  }
}
