package org.sparkntk.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.sparkntk.data.RowBlock;
import org.sparkntk.gram.BlockKernel;
import org.sparkntk.gram.BlockPlan;
import org.sparkntk.gram.GramMatrix;
import scala.Tuple2;

/**
 * The distributed Gram: executors prepare each row block once (per-sample Jacobians, factors…),
 * each prepared block is routed to the block pairs that need it, and every pair (I, J) is one
 * task that computes K(X_I, X_J). For the symmetric training Gram only pairs with I ≤ J are
 * computed; the driver mirrors them. Rows of the result follow the row indices of the input.
 *
 * <p>Shuffle volume: each prepared block travels to the B pairs of its row and column, i.e.
 * B × (total prepared size) for B blocks. Per-task memory is two prepared blocks and one kernel
 * block: bounded by the block size, not by N.
 */
public final class SparkGram {
  private SparkGram() {}

  /** Θ(X, X) for the training rows, [N·k × N·k]. */
  public static <F extends Serializable> GramMatrix symmetric(JavaSparkContext sc, JavaRDD<RowBlock> blocks,
                                                              BlockPlan plan, BlockKernel<F> kernel, String phase) {
    int nb = plan.blockCount();
    long pairs = plan.upperTrianglePairs();
    sc.setJobDescription("spark-ntk: " + phase + " — " + pairs + " blocks (" + nb + " row blocks of "
        + plan.blockSize() + ") — " + kernel.describe());
    JavaPairRDD<Integer, F> prepared = prepare(blocks, kernel);
    JavaPairRDD<BlockKey, Tuple2<Integer, F>> routed = prepared.flatMapToPair(t -> {
      int i = t._1();
      List<Tuple2<BlockKey, Tuple2<Integer, F>>> out = new ArrayList<>(nb);
      for (int j = 0; j < nb; j++) {
        out.add(new Tuple2<>(new BlockKey(Math.min(i, j), Math.max(i, j)), t));
      }
      return out.iterator();
    });
    int k = kernel.rowsPerExample();
    int size = Math.toIntExact(plan.totalRows() * k);
    double[] dense = new double[Math.multiplyExact(size, size)];
    try (Progress progress = new Progress(sc, phase, pairs)) {
      LongAccumulator done = progress.counter();
      JavaPairRDD<BlockKey, double[]> computed = routed
          .groupByKey(new HashPartitioner(partitions(sc, pairs)))
          .mapToPair(g -> {
            F left = null;
            F right = null;
            for (Tuple2<Integer, F> side : g._2()) {
              if (side._1() == g._1().row()) {
                left = side._2();
              }
              if (side._1() == g._1().col()) {
                right = side._2();
              }
            }
            double[] block = kernel.block(left, right);
            done.add(1);
            return new Tuple2<>(g._1(), block);
          });
      collectInto(computed, plan, plan, k, dense, size, true);
    } finally {
      prepared.unpersist(false);
    }
    return new GramMatrix(size, size, k, dense);
  }

  /** Θ(X*, X) between test rows (left) and training rows (right), [M·k × N·k]. */
  public static <F extends Serializable> GramMatrix cross(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                          BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                          BlockPlan rightPlan, BlockKernel<F> kernel,
                                                          String phase) {
    int nl = leftPlan.blockCount();
    int nr = rightPlan.blockCount();
    long pairs = (long) nl * nr;
    sc.setJobDescription("spark-ntk: " + phase + " — " + pairs + " blocks (" + nl + " × " + nr + ") — "
        + kernel.describe());
    JavaPairRDD<Integer, F> left = prepare(leftBlocks, kernel);
    JavaPairRDD<Integer, F> right = prepare(rightBlocks, kernel);
    JavaPairRDD<BlockKey, F> leftRouted = left.flatMapToPair(t -> {
      List<Tuple2<BlockKey, F>> out = new ArrayList<>(nr);
      for (int j = 0; j < nr; j++) {
        out.add(new Tuple2<>(new BlockKey(t._1(), j), t._2()));
      }
      return out.iterator();
    });
    JavaPairRDD<BlockKey, F> rightRouted = right.flatMapToPair(t -> {
      List<Tuple2<BlockKey, F>> out = new ArrayList<>(nl);
      for (int i = 0; i < nl; i++) {
        out.add(new Tuple2<>(new BlockKey(i, t._1()), t._2()));
      }
      return out.iterator();
    });
    int k = kernel.rowsPerExample();
    int rows = Math.toIntExact(leftPlan.totalRows() * k);
    int cols = Math.toIntExact(rightPlan.totalRows() * k);
    double[] dense = new double[Math.multiplyExact(rows, cols)];
    try (Progress progress = new Progress(sc, phase, pairs)) {
      LongAccumulator done = progress.counter();
      JavaPairRDD<BlockKey, double[]> computed = leftRouted
          .join(rightRouted, new HashPartitioner(partitions(sc, pairs)))
          .mapToPair(p -> {
            double[] block = kernel.block(p._2()._1(), p._2()._2());
            done.add(1);
            return new Tuple2<>(p._1(), block);
          });
      collectInto(computed, leftPlan, rightPlan, k, dense, cols, false);
    } finally {
      left.unpersist(false);
      right.unpersist(false);
    }
    return new GramMatrix(rows, cols, k, dense);
  }

  private static <F extends Serializable> JavaPairRDD<Integer, F> prepare(JavaRDD<RowBlock> blocks,
                                                                         BlockKernel<F> kernel) {
    JavaPairRDD<Integer, F> prepared = blocks.mapToPair(b -> new Tuple2<>(b.block(),
        kernel.prepare(b.features(), b.rows())));
    return prepared.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** One task per few block pairs: enough tasks to keep every core busy and balance uneven blocks. */
  private static int partitions(JavaSparkContext sc, long pairs) {
    return (int) Math.max(1, Math.min(pairs, 4L * sc.defaultParallelism()));
  }

  /** Streams the blocks to the driver one partition at a time and places them (and their mirrors). */
  private static void collectInto(JavaPairRDD<BlockKey, double[]> computed, BlockPlan rowPlan, BlockPlan colPlan,
                                  int k, double[] dense, int ld, boolean mirror) {
    Iterator<Tuple2<BlockKey, double[]>> it = computed.toLocalIterator();
    while (it.hasNext()) {
      Tuple2<BlockKey, double[]> t = it.next();
      int bi = t._1().row();
      int bj = t._1().col();
      int r0 = Math.toIntExact(rowPlan.start(bi) * k);
      int c0 = Math.toIntExact(colPlan.start(bj) * k);
      int rows = rowPlan.rows(bi) * k;
      int cols = colPlan.rows(bj) * k;
      double[] b = t._2();
      for (int i = 0; i < rows; i++) {
        System.arraycopy(b, i * cols, dense, (r0 + i) * ld + c0, cols);
      }
      if (mirror && bi != bj) {
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            dense[(c0 + j) * ld + r0 + i] = b[i * cols + j];
          }
        }
      }
    }
  }
}
