package org.sparkntk.data;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
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
    // One pair of shifted sums per partition, added on the driver in partition order (collect keeps
    // it): treeAggregate would add them in the order the tasks finish, and μ, σ, and every
    // standardised value after them, would differ in the last bits between runs.
    List<double[][]> perPartition = train.examples().mapPartitions((Iterator<Example> rows) -> {
      double[][] acc = new double[2][d];
      while (rows.hasNext()) {
        double[] x = rows.next().features();
        for (int j = 0; j < d; j++) {
          double v = x[j] - shift[j];
          acc[0][j] += v;
          acc[1][j] += v * v;
        }
      }
      return Collections.singletonList(acc).iterator();
    }).collect();
    double[][] sums = new double[2][d];
    for (double[][] part : perPartition) {
      for (int j = 0; j < d; j++) {
        sums[0][j] += part[0][j];
        sums[1][j] += part[1][j];
      }
    }
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
