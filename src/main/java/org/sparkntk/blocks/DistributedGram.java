package org.sparkntk.blocks;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelBlock;
import org.sparkntk.kernel.Precision;

/**
 * The kernel of row blocks kept on the executors ({@link DistributedKernel}): the same tiles and
 * blocks as {@link SparkGram}'s dense assembly, each stored in {@code kernel.precision} and
 * persisted per {@code kernel.cache}, or read from and written to block files (the checkpoint,
 * output.gram). The dense assembly and this share the routing of prepared blocks to tiles.
 */
public final class DistributedGram {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedGram.class);

  private DistributedGram() {}

  /**
   * The kernel of these row blocks kept on the executors as a {@link DistributedKernel}: the same
   * tiles and blocks as {@link SparkGram#symmetric} (rightBlocks null: the upper triangle of Θ(X, X)) or
   * {@link SparkGram#cross}, each block stored in {@code precision} and persisted per {@code cache}. With a
   * cache the blocks are computed now (one job, with progress); with {@code NONE} nothing is
   * computed until a product asks for it.
   */
  public static <F extends Serializable> DistributedKernel distributed(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                                       BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                                       BlockPlan rightPlan, BlockKernel<F> kernel,
                                                                       Precision precision, DistributedKernel.Cache cache,
                                                                       String phase) {
    return distributed(sc, leftBlocks, leftPlan, rightBlocks, rightPlan, kernel, precision, cache, phase, null, null);
  }

  /**
   * {@link #distributed(JavaSparkContext, JavaRDD, BlockPlan, JavaRDD, BlockPlan, BlockKernel, Precision,
   * DistributedKernel.Cache, String)} with block files written by the executors:
   * <ul>
   *   <li>{@code checkpoint} (null: none): the blocks already there (one listing by the driver, the
   *       set shipped to the tasks) are read instead of computed, every other block is written
   *       there as it is computed; a stored file that fails its check is deleted and recomputed;</li>
   *   <li>{@code export} (null: none): every block is also written there ({@code output.gram}).</li>
   * </ul>
   * With either, the blocks are built now in one job even with {@code kernel.cache = none}; with
   * {@code none} and a checkpoint, the products then read the checkpoint's files instead of
   * recomputing the kernel (a file lost since is recomputed and written again).
   */
  public static <F extends Serializable> DistributedKernel distributed(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                                       BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                                       BlockPlan rightPlan, BlockKernel<F> kernel,
                                                                       Precision precision, DistributedKernel.Cache cache,
                                                                       String phase, BlockFiles checkpoint,
                                                                       BlockFiles export) {
    boolean symmetric = rightBlocks == null;
    // The blocks stay on the executors: no task result bounds the tiles.
    TilePlan tiles = SparkGram.tilePlan(leftPlan, rightPlan, symmetric, kernel, sc.defaultParallelism(),
        TaskMemory.budgetBytes(sc), Long.MAX_VALUE);
    return distributed(sc, leftBlocks, leftPlan, rightBlocks, rightPlan, kernel, precision, cache, phase, checkpoint,
        export, tiles);
  }

  /**
   * The kernel of rows against centres, Θ(X, C), kept on the executors as
   * {@link #distributed(JavaSparkContext, JavaRDD, BlockPlan, JavaRDD, BlockPlan, BlockKernel, Precision,
   * DistributedKernel.Cache, String)} keeps a cross kernel, in tiles of whole block rows, so that
   * Θᵀ(Θ V) is one job ({@link DistributedKernel#normalProduct}).
   */
  public static <F extends Serializable> DistributedKernel againstCenters(JavaSparkContext sc,
                                                                          JavaRDD<RowBlock> rowBlocks,
                                                                          BlockPlan rowPlan,
                                                                          JavaRDD<RowBlock> centerBlocks,
                                                                          BlockPlan centerPlan, BlockKernel<F> kernel,
                                                                          Precision precision,
                                                                          DistributedKernel.Cache cache,
                                                                          String phase) {
    TilePlan tiles = SparkGram.wholeRowTilePlan(rowPlan, centerPlan, kernel, sc.defaultParallelism(),
        TaskMemory.budgetBytes(sc));
    return distributed(sc, rowBlocks, rowPlan, centerBlocks, centerPlan, kernel, precision, cache, phase, null, null,
        tiles);
  }

  private static <F extends Serializable> DistributedKernel distributed(JavaSparkContext sc,
                                                                        JavaRDD<RowBlock> leftBlocks,
                                                                        BlockPlan leftPlan,
                                                                        JavaRDD<RowBlock> rightBlocks,
                                                                        BlockPlan rightPlan, BlockKernel<F> kernel,
                                                                        Precision precision,
                                                                        DistributedKernel.Cache cache, String phase,
                                                                        BlockFiles checkpoint, BlockFiles export,
                                                                        TilePlan tiles) {
    boolean symmetric = rightBlocks == null;
    int k = kernel.rowsPerExample();
    HashSet<BlockKey> openTiles = new HashSet<>();
    long pairs = 0;
    for (int i = 0; i < leftPlan.blockCount(); i++) {
      for (int j = symmetric ? i : 0; j < rightPlan.blockCount(); j++) {
        openTiles.add(new BlockKey(i / tiles.rowTile(), j / tiles.colTile()));
        pairs++;
      }
    }
    // Every tile gets its prepared row blocks even when all its blocks are on file: a stored file
    // that fails its check is recomputed in the same task. Preparing is O(N) kernel work against
    // the Gram's O(N²).
    JavaPairRDD<Integer, F> left = SparkGram.prepare(leftBlocks, kernel);
    JavaPairRDD<BlockKey, SparkGram.Routed<F>> routed =
        left.flatMapToPair(t -> SparkGram.route(t._1(), t._2(), true, tiles, openTiles).iterator());
    if (!symmetric) {
      JavaPairRDD<Integer, F> right = SparkGram.prepare(rightBlocks, kernel);
      routed = routed.union(right.flatMapToPair(t -> SparkGram.route(t._1(), t._2(), false, tiles, openTiles).iterator()));
    }
    JavaPairRDD<BlockKey, Iterable<SparkGram.Routed<F>>> grouped = routed.groupByKey(new SparkGram.TilePartitioner(tiles));
    LongAccumulator done = sc.sc().longAccumulator("spark-ntk " + phase + " blocks done");
    boolean build = cache != DistributedKernel.Cache.NONE || checkpoint != null || export != null;
    if (!build) {
      JavaRDD<List<KernelBlock>> computed = grouped.map(tile -> tileKernelBlocks(tile._2(), tiles, tile._1(),
          leftPlan, rightPlan, kernel, precision, null, Set.of(), null, done, null, null));
      return new DistributedKernel(sc, computed, leftPlan, rightPlan, k, symmetric, tiles.wholeRows(), cache, phase,
          0, 0, 0, List.of());
    }

    // One listing by the driver; the set goes to the tasks as a broadcast (up to 100,000 keys).
    Broadcast<Set<BlockKey>> onFile = sc.broadcast(checkpoint == null ? Set.of() : checkpoint.listComplete());
    if (checkpoint != null) {
      checkpoint.deleteTemporaryFiles();
      LOG.info(String.format("%s: %d of %d blocks in the checkpoint %s", phase, onFile.value().size(), pairs,
          checkpoint.dir()));
    }
    LongAccumulator computedCount = sc.sc().longAccumulator("spark-ntk " + phase + " blocks computed");
    CollectionAccumulator<BlockFiles.Written> exported =
        sc.sc().collectionAccumulator("spark-ntk " + phase + " blocks exported");
    JavaRDD<List<KernelBlock>> built = grouped.map(tile -> tileKernelBlocks(tile._2(), tiles, tile._1(), leftPlan,
        rightPlan, kernel, precision, checkpoint, onFile.value(), export, done, computedCount, exported));
    if (cache != DistributedKernel.Cache.NONE) {
      built = built.persist(cache.level());
    }
    sc.setJobDescription(String.format("spark-ntk: %s — %d blocks of %d rows %s (%s, %s%s%s) — %s", phase, pairs,
        leftPlan.blockSize(), cache == DistributedKernel.Cache.NONE ? "written to files" : "kept on the executors",
        cache.configName(), precision.configName(), checkpoint == null ? "" : ", checkpoint",
        export == null ? "" : ", output.gram", kernel.describe()));
    long t0 = System.nanoTime();
    long bytes;
    // The console reports blocks done while the job runs, and stops when it ends.
    Progress progress = new Progress(sc, phase, pairs, done);
    try {
      bytes = built.map(list -> list.stream().mapToLong(KernelBlock::bytes).sum()).reduce(Long::sum);
    } finally {
      progress.close();
    }
    // Result-stage accumulator updates count once per partition even when a task is retried.
    long computed = computedCount.value();
    long resumed = pairs - computed;
    List<BlockFiles.Written> files = new ArrayList<>(exported.value());
    files.sort(Comparator.comparingInt(BlockFiles.Written::row).thenComparingInt(BlockFiles.Written::col));
    LOG.info(String.format("%s: %d blocks (%.1f MiB, %s) %s in %d tasks, %.2f s: %d computed, %d read from the "
            + "checkpoint%s", phase, pairs, bytes / 1048576.0, precision.configName(),
        cache == DistributedKernel.Cache.NONE ? "written to files" : "kept on the executors", openTiles.size(),
        (System.nanoTime() - t0) / 1e9, computed, resumed, export == null ? "" : ", " + files.size() + " written to "
            + export.dir()));
    JavaRDD<List<KernelBlock>> products = built;
    long storedBytes = bytes;
    if (cache == DistributedKernel.Cache.NONE) {
      storedBytes = 0;
      if (checkpoint != null) {
        // Every block is on file now: the products read the files (and repair one lost since).
        Broadcast<Set<BlockKey>> all = sc.broadcast(new HashSet<>(checkpoint.keys()));
        products = grouped.map(tile -> tileKernelBlocks(tile._2(), tiles, tile._1(), leftPlan, rightPlan, kernel,
            precision, checkpoint, all.value(), null, done, null, null));
      } else {
        products = grouped.map(tile -> tileKernelBlocks(tile._2(), tiles, tile._1(), leftPlan, rightPlan, kernel,
            precision, null, Set.of(), null, done, null, null));
      }
    }
    return new DistributedKernel(sc, products, leftPlan, rightPlan, k, symmetric, tiles.wholeRows(), cache, phase,
        storedBytes, resumed, computed, files);
  }

  /**
   * The kernel blocks of one tile in {@code precision}: read from {@code checkpoint} when
   * {@code onFile} lists them and the file checks, else computed (and written to the checkpoint);
   * each also written to {@code export} when given.
   */
  private static <F extends Serializable> List<KernelBlock> tileKernelBlocks(
      Iterable<SparkGram.Routed<F>> blocks, TilePlan plan, BlockKey tile, BlockPlan rowPlan, BlockPlan colPlan,
      BlockKernel<F> kernel, Precision precision, BlockFiles checkpoint, Set<BlockKey> onFile, BlockFiles export,
      LongAccumulator done, LongAccumulator computed, CollectionAccumulator<BlockFiles.Written> exported)
      throws IOException {
    TreeMap<Integer, F> rows = new TreeMap<>();
    TreeMap<Integer, F> cols = new TreeMap<>();
    SparkGram.split(blocks, plan, tile, rows, cols);
    int k = kernel.rowsPerExample();
    List<KernelBlock> out = new ArrayList<>();
    for (var i : rows.entrySet()) {
      for (var j : cols.entrySet()) {
        int row = i.getKey();
        int col = j.getKey();
        if (plan.symmetric() && row > col) {
          continue;
        }
        BlockKey pair = new BlockKey(row, col);
        KernelBlock b = checkpoint != null && onFile.contains(pair) ? checkpoint.read(row, col) : null;
        if (b == null) {
          b = KernelBlock.of(row, col, rowPlan.rows(row) * k, colPlan.rows(col) * k,
              kernel.block(i.getValue(), j.getValue()), precision);
          if (computed != null) {
            computed.add(1);
          }
          if (checkpoint != null) {
            checkpoint.write(b);
          }
        }
        if (export != null) {
          exported.add(export.write(b));
        }
        done.add(1);
        out.add(b);
      }
    }
    return out;
  }
}
