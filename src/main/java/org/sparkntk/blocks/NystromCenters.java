package org.sparkntk.blocks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import scala.Tuple2;

/**
 * The centres of Nyström regression: which training rows they are, and those rows as row blocks
 * of their own, so that the kernels against them, Θ(X, C) and Θ(X*, C), are built by
 * {@link DistributedGram} as any cross kernel is, and Θ(C, C) by {@link SparkGram}.
 */
public final class NystromCenters {
  private NystromCenters() {}

  /**
   * M = min(m, n) distinct indices of 0 … n − 1, every M-subset equally likely (a partial
   * Fisher–Yates shuffle seeded by {@code seed}), ascending; all rows when m ≥ n.
   */
  public static long[] uniform(int n, int m, long seed) {
    if (m >= n) {
      long[] all = new long[n];
      Arrays.setAll(all, i -> i);
      return all;
    }
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < m; i++) {
      int j = i + random.nextInt(n - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    long[] picked = new long[m];
    for (int i = 0; i < m; i++) {
      picked[i] = order[i];
    }
    Arrays.sort(picked);
    return picked;
  }

  /**
   * The rows at {@code indices} (ascending) of {@code blocks}, as the row blocks of
   * {@code centerPlan} (one row per index, in index order). The driver holds the M rows' features
   * and labels once, O(M·d).
   */
  public static JavaRDD<RowBlock> rows(JavaSparkContext sc, JavaRDD<RowBlock> blocks, long[] indices,
                                       BlockPlan centerPlan) {
    Broadcast<long[]> wanted = sc.broadcast(indices);
    List<Tuple2<Long, double[][]>> picked = blocks.flatMap(b -> {
      long[] all = wanted.value();
      List<Tuple2<Long, double[][]>> rows = new ArrayList<>();
      int inputs = b.rows() == 0 ? 0 : b.features().length / b.rows();
      int labels = b.rows() == 0 ? 0 : b.labels().length / b.rows();
      int from = Arrays.binarySearch(all, b.start());
      for (int at = from >= 0 ? from : -from - 1; at < all.length && all[at] < b.start() + b.rows(); at++) {
        int r = (int) (all[at] - b.start());
        rows.add(new Tuple2<>(all[at], new double[][] {
            Arrays.copyOfRange(b.features(), r * inputs, (r + 1) * inputs),
            Arrays.copyOfRange(b.labels(), r * labels, (r + 1) * labels)}));
      }
      return rows.iterator();
    }).collect();
    wanted.destroy();
    List<Tuple2<Long, double[][]>> sorted = new ArrayList<>(picked);
    sorted.sort((a, b) -> Long.compare(a._1(), b._1()));
    if (sorted.size() != indices.length) {
      throw new IllegalStateException("found " + sorted.size() + " of the " + indices.length + " centre rows");
    }
    int inputs = sorted.isEmpty() ? 0 : sorted.get(0)._2()[0].length;
    int labels = sorted.isEmpty() ? 0 : sorted.get(0)._2()[1].length;
    List<RowBlock> out = new ArrayList<>();
    for (int block = 0; block < centerPlan.blockCount(); block++) {
      int start = Math.toIntExact(centerPlan.start(block));
      int count = centerPlan.rows(block);
      double[] x = new double[count * inputs];
      double[] y = new double[count * labels];
      for (int i = 0; i < count; i++) {
        double[][] row = sorted.get(start + i)._2();
        System.arraycopy(row[0], 0, x, i * inputs, inputs);
        System.arraycopy(row[1], 0, y, i * labels, labels);
      }
      out.add(new RowBlock(block, start, count, x, y));
    }
    return sc.parallelize(out, Math.max(1, Math.min(out.size(), sc.defaultParallelism())));
  }
}
