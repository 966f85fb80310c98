package org.sparkntk.blocks;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.solver.RidgeLeverage;
import scala.Tuple2;

/**
 * Nyström centres drawn by approximate ridge leverage scores ({@code solver.centerSampling =
 * leverage}, {@link RidgeLeverage}): a uniform subsample J of R = min(M, {@value #MAX_SUBSAMPLE})
 * training rows comes to the driver, which prepares it and computes K_JJ and its factor; both are
 * broadcast, and one pass over the training row blocks computes each block's K_IJ, its rows' own
 * values K_ii and their scores. The driver receives N scores and draws the M centres.
 *
 * <p>Costs: the pass evaluates N·R kernel entries and N·R² flops of triangular solves (like
 * building Θ(X, C) for R centres, plus a GEMM of that size); the driver holds R² numbers twice
 * (K_JJ and its factor, 2 × 134 MB at R = 4096) and N scores; each executor receives the
 * subsample, prepared as one block, and the factor.
 */
public final class LeverageScores {
  /** The largest subsample R: its R×R kernel and factor are on the driver and broadcast. */
  public static final int MAX_SUBSAMPLE = 4096;
  /** The subsample is drawn uniformly from seed ^ this, another stream than the centres' draw from seed. */
  public static final long SUBSAMPLE_STREAM = 0x9E3779B97F4A7C15L;

  private LeverageScores() {}

  /**
   * The centres (ascending), the subsample's size and the effective dimension Σ ℓ̃_i.
   *
   * @param scores every training row's score, in row order
   */
  public record Sample(long[] centers, int subsample, double effectiveDimension, double[] scores) {}

  /** M = min(m, N) centres of the N rows of {@code blocks} by their ridge leverage at {@code ridge}. */
  public static <F extends Serializable> Sample centers(JavaSparkContext sc, JavaRDD<RowBlock> blocks, BlockPlan plan,
                                                        BlockKernel<F> kernel, int m, double ridge, long seed) {
    if (kernel.rowsPerExample() != 1) {
      throw new IllegalArgumentException("leverage scores need one kernel row per training row (kernel.outputs = "
          + "trace); this kernel has " + kernel.rowsPerExample());
    }
    int n = Math.toIntExact(plan.totalRows());
    int r = Math.min(Math.min(m, n), MAX_SUBSAMPLE);
    long[] subsample = NystromCenters.uniform(n, r, seed ^ SUBSAMPLE_STREAM);
    // The subsample comes to the driver as one block of R rows (in index order), prepared once.
    RowBlock all = NystromCenters.rows(sc, blocks, subsample, new BlockPlan(r, r)).first();
    F prepared = kernel.prepare(all.features(), all.rows());
    RidgeLeverage leverage = RidgeLeverage.of(kernel.block(prepared, prepared), r, n, ridge);
    Broadcast<F> subsampleBlock = sc.broadcast(prepared);
    Broadcast<RidgeLeverage> scorer = sc.broadcast(leverage);
    try {
      List<Tuple2<Long, double[]>> parts = blocks.map(b -> {
        double[] kiJ = kernel.block(kernel.prepare(b.features(), b.rows()), subsampleBlock.value());
        return new Tuple2<>(b.start(), scorer.value().scores(kiJ, b.rows(), diagonal(kernel, b)));
      }).collect();
      double[] scores = new double[n];
      for (Tuple2<Long, double[]> part : parts) {
        System.arraycopy(part._2(), 0, scores, Math.toIntExact(part._1()), part._2().length);
      }
      double effective = 0;
      for (double s : scores) {
        effective += s;
      }
      return new Sample(RidgeLeverage.sample(scores, m, seed), r, effective, scores);
    } finally {
      subsampleBlock.destroy();
      scorer.destroy();
    }
  }

  /** K(x_i, x_i) for each row of the block, one row at a time (no block of the rows against themselves). */
  static <F extends Serializable> double[] diagonal(BlockKernel<F> kernel, RowBlock b) {
    int d = b.rows() == 0 ? 0 : b.features().length / b.rows();
    double[] out = new double[b.rows()];
    for (int i = 0; i < b.rows(); i++) {
      F one = kernel.prepare(Arrays.copyOfRange(b.features(), i * d, (i + 1) * d), 1);
      out[i] = kernel.block(one, one)[0];
    }
    return out;
  }
}
