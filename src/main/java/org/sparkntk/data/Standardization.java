package org.sparkntk.data;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;

/**
 * Feature standardisation z = (x − μ)/σ with the training rows' per-column mean μ and
 * (population) standard deviation σ, applied unchanged to the test rows ({@code data.standardize});
 * a column with σ = 0 (a pixel that is always blank, say) becomes 0.
 *
 * <p>μ and σ² come from one pass of shifted sums, Σ(x − s) and Σ(x − s)² with s the first row,
 * which keeps the cancellation in σ² = E[(x − s)²] − (E[x − s])² small whatever the columns' offsets
 * (Chan, Golub &amp; LeVeque 1983).
 *
 * @param mean  μ per feature column
 * @param scale σ per feature column
 */
public record Standardization(double[] mean, double[] scale) implements Serializable {

  /** μ and σ of the training rows. */
  public static Standardization fit(LabeledData train) {
    int d = train.featureCount();
    double[] shift = train.examples().first().features().clone();
    double[][] sums = train.examples().treeAggregate(new double[2][d], (acc, e) -> {
      double[] x = e.features();
      for (int j = 0; j < d; j++) {
        double v = x[j] - shift[j];
        acc[0][j] += v;
        acc[1][j] += v * v;
      }
      return acc;
    }, (a, b) -> {
      for (int j = 0; j < d; j++) {
        a[0][j] += b[0][j];
        a[1][j] += b[1][j];
      }
      return a;
    });
    double n = train.count();
    double[] mean = new double[d];
    double[] scale = new double[d];
    for (int j = 0; j < d; j++) {
      double m = sums[0][j] / n;
      mean[j] = shift[j] + m;
      scale[j] = Math.sqrt(Math.max(0.0, sums[1][j] / n - m * m));
    }
    return new Standardization(mean, scale);
  }

  /** The same rows with every feature standardised. */
  public LabeledData apply(LabeledData data) {
    if (data.featureCount() != mean.length) {
      throw new DataException(data.name() + " has " + data.featureCount() + " feature columns, the standardisation "
          + mean.length);
    }
    double[] m = mean;
    double[] s = scale;
    JavaRDD<Example> scaled = data.examples().map(e -> {
      double[] x = e.features();
      double[] z = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        z[j] = s[j] > 0 ? (x[j] - m[j]) / s[j] : 0.0;
      }
      return new Example(e.index(), z, e.labels());
    });
    return new LabeledData(data.name(), scaled, data.count(), data.features(), data.labels());
  }
}
