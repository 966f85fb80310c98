package org.sparkntk.blocks;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.BlockStore;
import org.sparkntk.kernel.GramMatrix;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * The dense Gram, computed by the executors and assembled on the driver. Executors prepare each
 * row block once (per-sample Jacobians, layer factors…); prepared blocks are shuffled to the
 * tiles that need them ({@link TilePlan}); each task computes the kernel blocks of one tile, block
 * pair by block pair. For the symmetric training Gram only blocks (I, J) with I ≤ J are computed
 * and mirrored. The driver places each tile's blocks in the dense result as the tile's task
 * finishes; a task running in the driver's own JVM places them itself as it computes them
 * ({@link DriverPlacement}). In an embedded run (Spark's local master) there is no shuffle: the
 * prepared blocks stay in the driver's JVM and the tasks take block pairs in turn
 * ({@link PreparedInDriver}). Rows of the result follow the row indices of the input.
 */
public final class SparkGram {
  private static final Logger LOG = LoggerFactory.getLogger(SparkGram.class);
  private SparkGram() {}

  /**
   * What a Gram of these block plans costs the cluster: tasks, the bytes one task holds (its
   * tile's prepared blocks and output blocks, bounded by the task budget whatever N is) and the
   * bytes of prepared blocks the shuffle moves.
   */
  public record Cost(long tasks, long taskBytes, long shuffleBytes) {}

  public static Cost cost(BlockPlan leftPlan, BlockPlan rightPlan, boolean symmetric, BlockKernel<?> kernel,
                          int cores, long taskBudget, long taskResultBytes) {
    long outputBytes = outputBlockBytes(leftPlan, rightPlan, kernel);
    long blockBytes = preparedBlockBytes(leftPlan, rightPlan, kernel);
    TilePlan tiles = tilePlan(leftPlan, rightPlan, symmetric, kernel, cores, taskBudget, taskResultBytes);
    long taskBytes = (long) (tiles.rowTile() + tiles.colTile()) * blockBytes
        + (long) tiles.rowTile() * tiles.colTile() * outputBytes;
    long shuffle = kernel.preparedBytes(1) * (leftPlan.totalRows() * (symmetric ? tiles.rowTiles() : tiles.colTiles())
        + (symmetric ? 0 : rightPlan.totalRows() * tiles.rowTiles()));
    return new Cost(tiles.tiles(), taskBytes, shuffle);
  }

  /**
   * Whether the whole Gram of these plans, computed in {@code sc}, takes the route without a
   * shuffle ({@link PreparedInDriver}): an embedded run whose prepared blocks fit beside it.
   */
  public static boolean preparedInDriver(JavaSparkContext sc, BlockPlan leftPlan, BlockPlan rightPlan,
                                         boolean symmetric, BlockKernel<?> kernel) {
    int k = kernel.rowsPerExample();
    return PreparedInDriver.applies(sc.isLocal(), preparedBytes(kernel, leftPlan, leftPlan.blockCount(), rightPlan,
        symmetric ? 0 : rightPlan.blockCount()), 8L * leftPlan.totalRows() * k * rightPlan.totalRows() * k);
  }

  /** Bytes of so many prepared blocks of each plan (a symmetric Gram has none on the right). */
  private static long preparedBytes(BlockKernel<?> kernel, BlockPlan leftPlan, int leftBlocks, BlockPlan rightPlan,
                                    int rightBlocks) {
    return kernel.preparedBytes(leftPlan.blockSize()) * leftBlocks
        + kernel.preparedBytes(rightPlan.blockSize()) * rightBlocks;
  }

  /** Bytes of one kernel block. */
  private static long outputBlockBytes(BlockPlan leftPlan, BlockPlan rightPlan, BlockKernel<?> kernel) {
    int k = kernel.rowsPerExample();
    return 8L * leftPlan.blockSize() * k * rightPlan.blockSize() * k;
  }

  /** Bytes of one prepared block (the larger side's block size). */
  private static long preparedBlockBytes(BlockPlan leftPlan, BlockPlan rightPlan, BlockKernel<?> kernel) {
    return kernel.preparedBytes(Math.max(leftPlan.blockSize(), rightPlan.blockSize()));
  }

  /** {@link TilePlan#wholeRows} for these plans and kernel. */
  static TilePlan wholeRowTilePlan(BlockPlan leftPlan, BlockPlan rightPlan, BlockKernel<?> kernel, int cores,
                                   long taskBudget) {
    return TilePlan.wholeRows(leftPlan.blockCount(), rightPlan.blockCount(), preparedBlockBytes(leftPlan, rightPlan,
        kernel), outputBlockBytes(leftPlan, rightPlan, kernel), taskBudget, cores);
  }

  /**
   * The tiles of a Gram: see {@link TilePlan#choose}. {@code taskResultBytes} bounds the kernel
   * blocks one task sends to the driver ({@link #taskResultBytes}; Long.MAX_VALUE when they stay on
   * the executors).
   */
  static TilePlan tilePlan(BlockPlan leftPlan, BlockPlan rightPlan, boolean symmetric, BlockKernel<?> kernel,
                           int cores, long taskBudget, long taskResultBytes) {
    return TilePlan.choose(leftPlan.blockCount(), rightPlan.blockCount(), symmetric,
        preparedBlockBytes(leftPlan, rightPlan, kernel), outputBlockBytes(leftPlan, rightPlan, kernel), taskBudget,
        taskResultBytes, cores);
  }

  /**
   * The largest result one tile task may send to the driver: three quarters of
   * spark.network.maxRemoteBlockSizeFetchToMem (default 200 MiB), and at most half of
   * spark.driver.maxResultSize. A task's result larger than about a megabyte is kept in its
   * executor's block manager and fetched by the driver, and a fetch above that setting is streamed
   * to a temporary file on the driver's disk and read back. With tiles of 6 × 6 blocks of 8 MiB
   * (the tile plan before this bound, N = 16384) every large result took that detour: 3.5–6 s per
   * task between the end of its run and its result on the driver (docs/BENCHMARKS.md, "Where the
   * dense Gram's time goes"). Smaller tiles ship each prepared block to more tiles (more shuffle),
   * the price of staying in memory; embedded runs raise the setting instead (NtkMain).
   */
  public static long taskResultBytes(SparkConf conf) {
    long toMemory = conf.getSizeAsBytes("spark.network.maxRemoteBlockSizeFetchToMem", "200m");
    long maxResult = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
    long bound = toMemory / 4 * 3;
    return maxResult > 0 ? Math.min(bound, maxResult / 2) : bound;
  }

  /** A prepared block on its way to a tile: which side it serves and its block number. */
  record Routed<F>(boolean left, int block, F data) implements Serializable {}

  /** Θ(X, X) for the training rows, [N·k × N·k]. */
  public static <F extends Serializable> GramMatrix symmetric(JavaSparkContext sc, JavaRDD<RowBlock> blocks,
                                                              BlockPlan plan, BlockKernel<F> kernel, String phase) {
    return symmetric(sc, blocks, plan, kernel, phase, null);
  }

  /**
   * Θ(X, X), taking the blocks {@code store} already has from it and saving every block computed
   * into it as the block reaches the driver (null: no store).
   */
  public static <F extends Serializable> GramMatrix symmetric(JavaSparkContext sc, JavaRDD<RowBlock> blocks,
                                                              BlockPlan plan, BlockKernel<F> kernel, String phase,
                                                              BlockStore store) {
    return symmetric(sc, blocks, plan, kernel, phase, store, null);
  }

  /**
   * {@link #symmetric(JavaSparkContext, JavaRDD, BlockPlan, BlockKernel, String, BlockStore)} into
   * the dense array {@code denseArray} gives (see {@link #zeroedInBackground}; null: a new one).
   */
  public static <F extends Serializable> GramMatrix symmetric(JavaSparkContext sc, JavaRDD<RowBlock> blocks,
                                                              BlockPlan plan, BlockKernel<F> kernel, String phase,
                                                              BlockStore store, Supplier<double[]> denseArray) {
    return compute(sc, blocks, plan, null, plan, kernel, phase, store, denseArray);
  }

  /**
   * The zeroed array of a dense [rows × cols] Gram, allocated from now on by a daemon thread, for
   * a caller with other work to do first (the job prepares its rows). Zeroing new heap is not free:
   * 3.2 GB took 4–6 s on this project's VM, whose host backs memory on first touch
   * (docs/BENCHMARKS.md, "Where the dense Gram's time goes"), about a third of the 20,000-row
   * training Gram's phase. The supplier waits for the array and rethrows the allocation's failure.
   */
  public static Supplier<double[]> zeroedInBackground(long rows, long cols) {
    int entries = Math.toIntExact(Math.multiplyExact(rows, cols));
    FutureTask<double[]> allocation = new FutureTask<>(() -> new double[entries]);
    Thread t = new Thread(allocation, "spark-ntk-dense-gram-allocation");
    t.setDaemon(true);
    t.start();
    return () -> {
      try {
        return allocation.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the dense Gram's array was allocated", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException("allocating the dense Gram's array failed", e.getCause());
      }
    };
  }

  /** Θ(X*, X) between test rows (left) and training rows (right), [M·k × N·k]. */
  public static <F extends Serializable> GramMatrix cross(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                          BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                          BlockPlan rightPlan, BlockKernel<F> kernel,
                                                          String phase) {
    return cross(sc, leftBlocks, leftPlan, rightBlocks, rightPlan, kernel, phase, null);
  }

  /** Θ(X*, X) with a {@link BlockStore}, as {@link #symmetric(JavaSparkContext, JavaRDD, BlockPlan, BlockKernel, String, BlockStore)}. */
  public static <F extends Serializable> GramMatrix cross(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                          BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                          BlockPlan rightPlan, BlockKernel<F> kernel,
                                                          String phase, BlockStore store) {
    return compute(sc, leftBlocks, leftPlan, rightBlocks, rightPlan, kernel, phase, store, null);
  }

  private static <F extends Serializable> GramMatrix compute(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                             BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                             BlockPlan rightPlan, BlockKernel<F> kernel,
                                                             String phase, BlockStore store,
                                                             Supplier<double[]> denseArray) {
    boolean symmetric = rightBlocks == null;
    int k = kernel.rowsPerExample();
    int nl = leftPlan.blockCount();
    int nr = rightPlan.blockCount();
    long outputBytes = outputBlockBytes(leftPlan, rightPlan, kernel);
    TilePlan tiles = tilePlan(leftPlan, rightPlan, symmetric, kernel, sc.defaultParallelism(),
        TaskMemory.budgetBytes(sc), taskResultBytes(sc.getConf()));
    int rows = Math.toIntExact(leftPlan.totalRows() * k);
    int cols = Math.toIntExact(rightPlan.totalRows() * k);
    double[] dense = denseArray == null ? new double[Math.multiplyExact(rows, cols)] : denseArray.get();
    if (dense.length != (long) rows * cols) {
      throw new IllegalArgumentException(phase + ": the dense array has " + dense.length + " entries, the Gram "
          + rows + " × " + cols);
    }

    // Blocks the store has are read back; only the tiles with a missing block run, and only the
    // row blocks those tiles need are prepared.
    HashSet<BlockKey> stored = new HashSet<>();
    HashSet<BlockKey> openTiles = new HashSet<>();
    HashSet<Integer> neededLeft = new HashSet<>();
    HashSet<Integer> neededRight = new HashSet<>();
    List<BlockKey> todo = new ArrayList<>();
    for (int i = 0; i < nl; i++) {
      for (int j = symmetric ? i : 0; j < nr; j++) {
        BlockKey pair = new BlockKey(i, j);
        if (store != null && store.has(i, j)) {
          stored.add(pair);
          try {
            place(pair, store.load(i, j), leftPlan, rightPlan, k, dense, cols, symmetric);
          } catch (IOException e) {
            throw new UncheckedIOException(phase + ": reading stored block (" + i + ", " + j + ") failed: "
                + e.getMessage(), e);
          }
          continue;
        }
        todo.add(pair);
        BlockKey tile = new BlockKey(i / tiles.rowTile(), j / tiles.colTile());
        openTiles.add(tile);
        neededLeft.add(i);
        (symmetric ? neededLeft : neededRight).add(j);
      }
    }
    int pairs = todo.size();
    if (!stored.isEmpty()) {
      LOG.info(String.format("%s: %d blocks read from the checkpoint, %d to compute", phase, stored.size(), pairs));
    }
    if (pairs == 0) {
      return new GramMatrix(rows, cols, k, dense);
    }
    if (PreparedInDriver.applies(sc.isLocal(), preparedBytes(kernel, leftPlan, neededLeft.size(), rightPlan,
        neededRight.size()), 8L * dense.length)) {
      computeInDriver(sc, leftBlocks, leftPlan, rightBlocks, rightPlan, kernel, phase, store, dense, todo,
          neededLeft, neededRight);
      return new GramMatrix(rows, cols, k, dense);
    }
    sc.setJobDescription(String.format("spark-ntk: %s — %d blocks of %d rows in %d tasks of up to %d × %d blocks — %s",
        phase, pairs, leftPlan.blockSize(), openTiles.size(), tiles.rowTile(), tiles.colTile(), kernel.describe()));

    JavaPairRDD<Integer, F> left = prepare(leftBlocks.filter(b -> neededLeft.contains(b.block())), kernel);
    JavaPairRDD<BlockKey, Routed<F>> routed =
        left.flatMapToPair(t -> route(t._1(), t._2(), true, tiles, openTiles).iterator());
    if (!symmetric) {
      JavaPairRDD<Integer, F> right = prepare(rightBlocks.filter(b -> neededRight.contains(b.block())), kernel);
      routed = routed.union(right.flatMapToPair(t -> route(t._1(), t._2(), false, tiles, openTiles).iterator()));
    }
    try (DriverPlacement placement = DriverPlacement.open(
             (key, block) -> placeAndSave(key, block, leftPlan, rightPlan, k, dense, cols, symmetric, store));
         Progress progress = new Progress(sc, phase, pairs, placement::placed)) {
      LongAccumulator done = progress.counter();
      String placementId = placement.id();
      JavaRDD<List<Tuple2<BlockKey, double[]>>> computed = routed
          .groupByKey(new TilePartitioner(tiles))
          .map(tile -> tileBlocks(tile._2(), tiles, tile._1(), kernel, stored, done, placementId));
      long t0 = System.nanoTime();
      collectInto(sc, computed, tiles, openTiles, outputBytes, leftPlan, rightPlan, k, dense, cols, symmetric,
          store);
      LOG.info(String.format("%s: %d blocks in %d tasks, %.2f s (%d of them placed by tasks in the driver's JVM)",
          phase, pairs, openTiles.size(), (System.nanoTime() - t0) / 1e9, placement.placed()));
    }
    return new GramMatrix(rows, cols, k, dense);
  }

  /**
   * The Gram's missing blocks {@code todo} without a shuffle, where every task runs in this JVM
   * ({@link PreparedInDriver}): one job prepares the needed row blocks of both sides and keeps
   * them in this JVM, a second job of one task per core computes the pairs, the largest first,
   * and places them.
   */
  private static <F extends Serializable> void computeInDriver(JavaSparkContext sc, JavaRDD<RowBlock> leftBlocks,
                                                               BlockPlan leftPlan, JavaRDD<RowBlock> rightBlocks,
                                                               BlockPlan rightPlan, BlockKernel<F> kernel,
                                                               String phase, BlockStore store, double[] dense,
                                                               List<BlockKey> todo, HashSet<Integer> neededLeft,
                                                               HashSet<Integer> neededRight) {
    boolean symmetric = rightBlocks == null;
    int k = kernel.rowsPerExample();
    int cols = Math.toIntExact(rightPlan.totalRows() * k);
    List<BlockKey> order = new ArrayList<>(todo);
    order.sort(Comparator.comparingLong(
        (BlockKey p) -> -(long) leftPlan.rows(p.row()) * rightPlan.rows(p.col())));
    int workers = Math.max(1, Math.min(order.size(), sc.defaultParallelism()));
    AtomicLong placingNanos = new AtomicLong();
    try (PreparedInDriver<F> shared = PreparedInDriver.open(order, symmetric);
         DriverPlacement placement = DriverPlacement.open((key, block) -> {
           long start = System.nanoTime();
           placeAndSave(key, block, leftPlan, rightPlan, k, dense, cols, symmetric, store);
           placingNanos.addAndGet(System.nanoTime() - start);
         });
         Progress progress = new Progress(sc, phase, order.size(), placement::placed)) {
      String id = shared.id();
      String placementId = placement.id();
      LongAccumulator done = progress.counter();
      long t0 = System.nanoTime();
      sc.setJobDescription(String.format("spark-ntk: %s — preparing %d + %d row blocks in the driver's JVM — %s",
          phase, neededLeft.size(), symmetric ? 0 : neededRight.size(), kernel.describe()));
      JavaRDD<Tuple2<Boolean, RowBlock>> sides = leftBlocks.filter(b -> neededLeft.contains(b.block()))
          .map(b -> new Tuple2<>(true, b));
      if (!symmetric) {
        sides = sides.union(rightBlocks.filter(b -> neededRight.contains(b.block()))
            .map(b -> new Tuple2<>(false, b)));
      }
      sides.foreach(s -> PreparedInDriver.keep(id, s._1(), s._2().block(),
          kernel.prepare(s._2().features(), s._2().rows())));
      double prepared = (System.nanoTime() - t0) / 1e9;

      sc.setJobDescription(String.format("spark-ntk: %s — %d blocks of %d rows in %d tasks taking pairs in turn — %s",
          phase, order.size(), leftPlan.blockSize(), workers, kernel.describe()));
      List<Integer> slots = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        slots.add(w);
      }
      sc.parallelize(slots, workers).foreach(w -> PreparedInDriver.computePairs(id, kernel, placementId, done));
      if (shared.untaken() > 0 || placement.placed() < order.size()) {
        throw new IllegalStateException(phase + ": " + placement.placed() + " of " + order.size()
            + " blocks placed, " + shared.untaken() + " not computed");
      }
      LOG.info(String.format("%s: %d blocks in %d tasks in the driver's JVM, %.2f s (%d row blocks prepared "
          + "once, %.2f s; placing the blocks%s took %.2f s of the tasks' time)", phase, order.size(), workers,
          (System.nanoTime() - t0) / 1e9, shared.preparedBlocks(), prepared, store == null ? "" : " and saving them",
          placingNanos.get() / 1e9));
    }
  }

  /** The tiles a prepared block must reach: every tile of its tile row (left) or tile column (right). */
  static <F> List<Tuple2<BlockKey, Routed<F>>> route(int block, F data, boolean left, TilePlan tiles,
                                                             Set<BlockKey> openTiles) {
    List<BlockKey> targets = new ArrayList<>();
    if (tiles.symmetric()) {
      int own = block / tiles.rowTile();
      for (int t = 0; t < tiles.rowTiles(); t++) {
        targets.add(new BlockKey(Math.min(own, t), Math.max(own, t)));
      }
    } else if (left) {
      for (int t = 0; t < tiles.colTiles(); t++) {
        targets.add(new BlockKey(block / tiles.rowTile(), t));
      }
    } else {
      for (int t = 0; t < tiles.rowTiles(); t++) {
        targets.add(new BlockKey(t, block / tiles.colTile()));
      }
    }
    Routed<F> value = new Routed<>(left, block, data);
    List<Tuple2<BlockKey, Routed<F>>> out = new ArrayList<>();
    for (BlockKey tile : targets) {
      if (openTiles.contains(tile)) {
        out.add(new Tuple2<>(tile, value));
      }
    }
    return out;
  }

  /**
   * The kernel blocks of one tile: every pair of its row and column blocks (I ≤ J on the diagonal
   * of a Gram). In the driver's JVM each block is placed as it is computed ({@link DriverPlacement})
   * and the list comes back empty.
   */
  private static <F extends Serializable> List<Tuple2<BlockKey, double[]>> tileBlocks(
      Iterable<Routed<F>> blocks, TilePlan plan, BlockKey tile, BlockKernel<F> kernel, Set<BlockKey> stored,
      LongAccumulator done, String placementId) {
    TreeMap<Integer, F> rows = new TreeMap<>();
    TreeMap<Integer, F> cols = new TreeMap<>();
    split(blocks, plan, tile, rows, cols);
    List<Tuple2<BlockKey, double[]>> out = new ArrayList<>();
    // A placed block has been copied into the dense Gram: its array serves the next block.
    double[] free = null;
    for (var i : rows.entrySet()) {
      for (var j : cols.entrySet()) {
        BlockKey pair = new BlockKey(i.getKey(), j.getKey());
        if ((!plan.symmetric() || i.getKey() <= j.getKey()) && !stored.contains(pair)) {
          double[] block = kernel.block(i.getValue(), j.getValue(), free);
          if (DriverPlacement.place(placementId, pair, block)) {
            free = block;
          } else {
            out.add(new Tuple2<>(pair, block));
            free = null;
          }
          done.add(1);
        }
      }
    }
    return out;
  }

  /** The prepared blocks of a tile by block number: its row blocks and its column blocks. */
  static <F> void split(Iterable<Routed<F>> blocks, TilePlan plan, BlockKey tile, TreeMap<Integer, F> rows,
                                TreeMap<Integer, F> cols) {
    for (Routed<F> r : blocks) {
      if (plan.symmetric()) {
        // Tile (R, C) of the upper triangle gets tile row R's and tile column C's blocks (one set when R = C).
        if (r.block() / plan.rowTile() == tile.row()) {
          rows.put(r.block(), r.data());
        }
        if (r.block() / plan.colTile() == tile.col()) {
          cols.put(r.block(), r.data());
        }
      } else if (r.left()) {
        rows.put(r.block(), r.data());
      } else {
        cols.put(r.block(), r.data());
      }
    }
  }

  /** Sends each tile to its own partition. */
  static final class TilePartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final TilePlan tiles;

    TilePartitioner(TilePlan tiles) {
      this.tiles = tiles;
    }

    @Override
    public int numPartitions() {
      return tiles.partitions();
    }

    @Override
    public int getPartition(Object key) {
      return tiles.partition((BlockKey) key);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TilePartitioner p && p.tiles.equals(tiles);
    }

    @Override
    public int hashCode() {
      return tiles.hashCode();
    }
  }

  static <F extends Serializable> JavaPairRDD<Integer, F> prepare(JavaRDD<RowBlock> blocks,
                                                                         BlockKernel<F> kernel) {
    // Read once, by the shuffle that routes blocks to tiles: nothing to cache.
    return blocks.mapToPair(b -> new Tuple2<>(b.block(), kernel.prepare(b.features(), b.rows())));
  }

  /**
   * Runs the tiles of {@code open} and places each tile's blocks (and, for the symmetric Gram,
   * their mirror images) in the dense result as the tile's task finishes, saving them to
   * {@code store} if there is one. The tiles are split into jobs whose results stay under half of
   * spark.driver.maxResultSize, and all jobs are submitted at once, so every task runs in
   * parallel.
   *
   * <p>The calling thread places the blocks. Spark calls a job's result handler on its scheduler
   * thread, and placing a tile there (copying and mirroring hundreds of MiB into the dense array,
   * writing checkpoint files) stopped the scheduler from launching tasks or taking in results
   * meanwhile. The handler only hands the result over, through a queue of {@value #PENDING_TILES}
   * tiles, so that the driver holds at most that many tiles' blocks not yet placed beside the
   * results Spark is fetching.
   */
  private static void collectInto(JavaSparkContext sc, JavaRDD<List<Tuple2<BlockKey, double[]>>> computed,
                                  TilePlan tiles, Set<BlockKey> open, long outputBytes, BlockPlan rowPlan,
                                  BlockPlan colPlan, int k, double[] dense, int ld, boolean mirror,
                                  BlockStore store) {
    long maxResult = sc.getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g");
    long perJob = maxResult <= 0 ? Long.MAX_VALUE : maxResult / 2;
    long tileBytes = (long) tiles.rowTile() * tiles.colTile() * outputBytes;
    scala.Function1<Iterator<List<Tuple2<BlockKey, double[]>>>, ArrayList<Tuple2<BlockKey, double[]>>>
        gather = (scala.Function1<Iterator<List<Tuple2<BlockKey, double[]>>>,
            ArrayList<Tuple2<BlockKey, double[]>>> & Serializable) it -> {
              ArrayList<Tuple2<BlockKey, double[]>> all = new ArrayList<>();
              while (it.hasNext()) {
                all.addAll(it.next());
              }
              return all;
            };
    ArrayBlockingQueue<ArrayList<Tuple2<BlockKey, double[]>>> finished = new ArrayBlockingQueue<>(PENDING_TILES);
    AtomicBoolean abandoned = new AtomicBoolean();
    scala.Function2<Object, ArrayList<Tuple2<BlockKey, double[]>>, BoxedUnit> handOver = (partition, blocks) -> {
      try {
        // Waits while the queue is full, unless the placing thread has given up (a failed job).
        boolean handed = false;
        while (!handed && !abandoned.get()) {
          handed = finished.offer(blocks, 100, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return BoxedUnit.UNIT;
    };
    List<SimpleFutureAction<BoxedUnit>> jobs = new ArrayList<>();
    List<Object> group = new ArrayList<>();
    long groupBytes = 0;
    List<Integer> todo = open.stream().map(tiles::partition).sorted().toList();
    for (int n = 0; n <= todo.size(); n++) {
      boolean last = n == todo.size();
      if (!group.isEmpty() && (last || groupBytes + tileBytes > perJob)) {
        jobs.add(sc.sc().submitJob(computed.rdd(), gather,
            CollectionConverters.asScala(new ArrayList<>(group)).toSeq(), handOver,
            (scala.Function0<BoxedUnit>) () -> BoxedUnit.UNIT));
        group.clear();
        groupBytes = 0;
      }
      if (!last) {
        group.add(todo.get(n));
        groupBytes += tileBytes;
      }
    }
    try {
      for (int placed = 0; placed < todo.size(); ) {
        ArrayList<Tuple2<BlockKey, double[]>> blocks = finished.poll(200, TimeUnit.MILLISECONDS);
        if (blocks == null) {
          // A failed job hands over no more results: its failure is thrown here.
          for (var job : jobs) {
            if (job.isCompleted()) {
              job.get();
            }
          }
          continue;
        }
        for (Tuple2<BlockKey, double[]> t : blocks) {
          placeAndSave(t._1(), t._2(), rowPlan, colPlan, k, dense, ld, mirror, store);
        }
        placed++;
      }
      for (var job : jobs) {
        job.get();
      }
    } catch (Exception e) {
      abandoned.set(true);
      jobs.forEach(j -> j.cancel());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  /** Finished tiles the driver holds before placing them (see {@link #collectInto}). */
  static final int PENDING_TILES = 2;

  /** Places a computed block (see {@link #place}) and saves it to {@code store} if there is one. */
  private static void placeAndSave(BlockKey key, double[] b, BlockPlan rowPlan, BlockPlan colPlan, int k,
                                   double[] dense, int ld, boolean mirror, BlockStore store) {
    place(key, b, rowPlan, colPlan, k, dense, ld, mirror);
    if (store != null) {
      try {
        store.save(key.row(), key.col(), b);
      } catch (IOException e) {
        throw new UncheckedIOException("saving Gram block " + key + " failed: " + e.getMessage(), e);
      }
    }
  }

  private static void place(BlockKey key, double[] b, BlockPlan rowPlan, BlockPlan colPlan, int k, double[] dense,
                            int ld, boolean mirror) {
    int r0 = Math.toIntExact(rowPlan.start(key.row()) * k);
    int c0 = Math.toIntExact(colPlan.start(key.col()) * k);
    int rows = rowPlan.rows(key.row()) * k;
    int cols = colPlan.rows(key.col()) * k;
    for (int i = 0; i < rows; i++) {
      System.arraycopy(b, i * cols, dense, (r0 + i) * ld + c0, cols);
    }
    if (mirror && key.row() != key.col()) {
      // The transposed copy, in 64×64 tiles so that both sides stay in cache.
      for (int ii = 0; ii < rows; ii += 64) {
        for (int jj = 0; jj < cols; jj += 64) {
          int iEnd = Math.min(rows, ii + 64);
          int jEnd = Math.min(cols, jj + 64);
          for (int j = jj; j < jEnd; j++) {
            int dst = (c0 + j) * ld + r0;
            for (int i = ii; i < iEnd; i++) {
              dense[dst + i] = b[i * cols + j];
            }
          }
        }
      }
    }
  }
}
