package org.sparkntk.blocks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import scala.Tuple2;

/**
 * The centres of Nyström regression: which training rows they are, and those rows as row blocks
 * of their own (built on the executors), so that the kernels against them, Θ(X, C) and Θ(X*, C), are built by
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
   * {@code centerPlan} (centre p is row p of the plan, in index order). The rows move from the
   * training blocks to the centre blocks by one shuffle on the executors; the driver holds only
   * the M indices.
   */
  public static JavaRDD<RowBlock> rows(JavaSparkContext sc, JavaRDD<RowBlock> blocks, long[] indices,
                                       BlockPlan centerPlan) {
    Broadcast<long[]> wanted = sc.broadcast(indices);
    JavaPairRDD<Integer, Tuple2<Integer, double[][]>> picked = blocks.flatMapToPair(b -> {
      long[] all = wanted.value();
      List<Tuple2<Integer, Tuple2<Integer, double[][]>>> rows = new ArrayList<>();
      int inputs = b.rows() == 0 ? 0 : b.features().length / b.rows();
      int labels = b.rows() == 0 ? 0 : b.labels().length / b.rows();
      int from = Arrays.binarySearch(all, b.start());
      for (int p = from >= 0 ? from : -from - 1; p < all.length && all[p] < b.start() + b.rows(); p++) {
        int r = (int) (all[p] - b.start());
        rows.add(new Tuple2<>(centerPlan.blockOf(p), new Tuple2<>(p, new double[][] {
            Arrays.copyOfRange(b.features(), r * inputs, (r + 1) * inputs),
            Arrays.copyOfRange(b.labels(), r * labels, (r + 1) * labels)})));
      }
      return rows.iterator();
    });
    int partitions = Math.max(1, Math.min(centerPlan.blockCount(), sc.defaultParallelism()));
    return picked.groupByKey(new HashPartitioner(partitions)).map(g -> {
      int block = g._1();
      int start = Math.toIntExact(centerPlan.start(block));
      int count = centerPlan.rows(block);
      double[] x = null;
      double[] y = null;
      int seen = 0;
      for (Tuple2<Integer, double[][]> row : g._2()) {
        double[] features = row._2()[0];
        double[] labels = row._2()[1];
        if (x == null) {
          x = new double[count * features.length];
          y = new double[count * labels.length];
        }
        int i = row._1() - start;
        System.arraycopy(features, 0, x, i * features.length, features.length);
        System.arraycopy(labels, 0, y, i * labels.length, labels.length);
        seen++;
      }
      if (seen != count) {
        throw new IllegalStateException("centre block " + block + " received " + seen + " of its " + count + " rows");
      }
      return new RowBlock(block, start, count, x, y);
    });
  }
}
