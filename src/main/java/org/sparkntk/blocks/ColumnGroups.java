package org.sparkntk.blocks;

import java.util.function.BiFunction;

/**
 * A product with c columns computed in groups of at most {@code group} columns, each by one call
 * of {@code apply(V's columns of the group, their count)}: how a product whose results would pass
 * spark.driver.maxResultSize in one job is split into several. Each column's result depends on
 * that column of V only, so the groups give the same numbers as one call.
 */
final class ColumnGroups {
  private ColumnGroups() {}

  /**
   * @param v       V, row-major [in × c]
   * @param outRows rows of the result, row-major [outRows × c]
   */
  static double[] apply(double[] v, int in, int outRows, int c, int group,
                        BiFunction<double[], Integer, double[]> apply) {
    if (group >= c) {
      return apply.apply(v, c);
    }
    double[] out = new double[outRows * c];
    for (int from = 0; from < c; from += group) {
      int width = Math.min(group, c - from);
      double[] part = new double[in * width];
      for (int i = 0; i < in; i++) {
        System.arraycopy(v, i * c + from, part, i * width, width);
      }
      double[] result = apply.apply(part, width);
      for (int i = 0; i < outRows; i++) {
        System.arraycopy(result, i * width, out, i * c + from, width);
      }
    }
    return out;
  }
}
