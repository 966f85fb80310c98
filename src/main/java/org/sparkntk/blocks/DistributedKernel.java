package org.sparkntk.blocks;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelBlock;
import org.sparkntk.model.ConfigNamed;
import org.sparkntk.solver.TransposableOperator;

/**
 * A kernel whose blocks stay on the executors: the training Gram Θ(X, X) as its upper-triangle
 * blocks (I ≤ J), or the cross kernel Θ(X*, X) as all of its blocks. A product Θ V is one Spark
 * job: V is broadcast, each tile's task adds its blocks' terms Θ_IJ V_J (and Θ_IJᵀ V_I) into
 * per-row-block partial sums ({@link KernelBlock#multiplyInto}), and the partial sums are added
 * up in task order, on the driver or, when they are large, on reducers per row block
 * ({@link ProductSum}, {@link #sumsOnDriver}), so a product gives the same bits on every run. The
 * driver holds V and Θ V, O(N·c), never a block.
 *
 * <p>Storage ({@code kernel.cache}): {@code memory} persists the blocks as Spark blocks in
 * executor memory, spilling to their disks when memory runs out; {@code disk} keeps them on
 * executor disks only; {@code none} stores nothing, so every product recomputes its blocks from
 * the prepared row blocks (the shuffle files of the routing step) — the route for a Gram larger
 * than the cluster's memory and disk, at the price of the kernel's flops per product. Lost
 * blocks are recomputed by Spark from lineage. With block files ({@link BlockFiles}: the
 * checkpoint of output.checkpoint, output.gram's files) the blocks are built in one job first
 * whatever the cache, and with {@code none} and a checkpoint each product reads the block files.
 */
public final class DistributedKernel implements TransposableOperator, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedKernel.class);

  /** Where computed blocks are kept ({@code kernel.cache}). */
  public enum Cache implements ConfigNamed {
    MEMORY("memory", StorageLevel.MEMORY_AND_DISK()),
    DISK("disk", StorageLevel.DISK_ONLY()),
    NONE("none", StorageLevel.NONE());

    private final String configName;
    private final StorageLevel level;

    Cache(String configName, StorageLevel level) {
      this.configName = configName;
      this.level = level;
    }

    @Override
    public String configName() {
      return configName;
    }

    StorageLevel level() {
      return level;
    }

    public static Cache fromConfig(String name) {
      return ConfigNamed.parse(Cache.class, name, "kernel.cache");
    }
  }

  private final JavaSparkContext sc;
  private final JavaRDD<List<KernelBlock>> tiles;
  private final BlockPlan rowPlan;
  private final BlockPlan colPlan;
  private final int k;
  private final boolean symmetric;
  /** Every tile holds whole block rows, so Θᵀ(Θ V) is one job ({@link #normalProduct}). */
  private final boolean wholeRows;
  private final Cache cache;
  private final String name;
  private final AtomicLong products = new AtomicLong();
  private final long storedBytes;
  private final long resumedBlocks;
  private final long computedBlocks;
  private final List<BlockFiles.Written> exported;
  /** spark.driver.maxResultSize in bytes (0: no limit); a product's results must stay below it. */
  private long maxResultBytes;

  DistributedKernel(JavaSparkContext sc, JavaRDD<List<KernelBlock>> tiles, BlockPlan rowPlan, BlockPlan colPlan,
                    int k, boolean symmetric, boolean wholeRows, Cache cache, String name, long storedBytes,
                    long resumedBlocks, long computedBlocks, List<BlockFiles.Written> exported) {
    this.sc = sc;
    this.tiles = tiles;
    this.rowPlan = rowPlan;
    this.colPlan = colPlan;
    this.k = k;
    this.symmetric = symmetric;
    this.wholeRows = wholeRows;
    this.cache = cache;
    this.name = name;
    this.storedBytes = storedBytes;
    this.resumedBlocks = resumedBlocks;
    this.computedBlocks = computedBlocks;
    this.exported = List.copyOf(exported);
    this.maxResultBytes = sc.getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g");
  }

  /** Blocks read from the checkpoint when the kernel was built (0 without a checkpoint or a build). */
  public long resumedBlocks() {
    return resumedBlocks;
  }

  /** Blocks computed when the kernel was built (0 with kernel.cache = none and no files: computed per product). */
  public long computedBlocks() {
    return computedBlocks;
  }

  /** The block files written for output.gram when the kernel was built, ordered by (I, J). */
  public List<BlockFiles.Written> exported() {
    return exported;
  }

  /** Every stored block collected to the driver, by (I, J): for tests on small kernels only. */
  Map<BlockKey, KernelBlock> collectBlocks() {
    Map<BlockKey, KernelBlock> all = new TreeMap<>(
        Comparator.comparingInt(BlockKey::row).thenComparingInt(BlockKey::col));
    for (List<KernelBlock> tile : tiles.collect()) {
      for (KernelBlock b : tile) {
        all.put(new BlockKey(b.row(), b.col()), b);
      }
    }
    return all;
  }

  /** The block plan of the rows. */
  public BlockPlan rowPlan() {
    return rowPlan;
  }

  /** The block plan of the columns. */
  public BlockPlan colPlan() {
    return colPlan;
  }

  /** Whether only the upper-triangle blocks are stored (the symmetric training Gram). */
  public boolean symmetric() {
    return symmetric;
  }

  @Override
  public int rows() {
    return Math.toIntExact(rowPlan.totalRows() * k);
  }

  @Override
  public int cols() {
    return Math.toIntExact(colPlan.totalRows() * k);
  }

  @Override
  public int rowsPerExample() {
    return k;
  }

  @Override
  public long products() {
    return products.get();
  }

  /**
   * Where Spark keeps the stored blocks now, from its storage status: {bytes in executor memory,
   * bytes on executor disks}; {0, 0} with kernel.cache = none. With {@code memory}, blocks that do
   * not fit are on disk and every product reads them from there.
   */
  public long[] storageNow() {
    for (RDDInfo info : sc.sc().getRDDStorageInfo()) {
      if (info.id() == tiles.id()) {
        return new long[] {info.memSize(), info.diskSize()};
      }
    }
    return new long[] {0, 0};
  }

  /** Bytes of the stored blocks on the executors (0 with kernel.cache = none). */
  public long storedBytes() {
    return storedBytes;
  }

  /** The stored blocks: the upper triangle of the training Gram, every block of a cross kernel. */
  long blockCount() {
    return symmetric ? rowPlan.upperTrianglePairs() : (long) rowPlan.blockCount() * colPlan.blockCount();
  }

  @Override
  public String describe() {
    return String.format("%s: %d × %d in %s blocks of %d rows on the executors (kernel.cache = %s%s)", name, rows(),
        cols(), blockCount() + (symmetric ? " upper-triangle" : ""), rowPlan.blockSize(), cache.configName(),
        cache == Cache.NONE ? ", recomputed per product" : stored());
  }

  private String stored() {
    long[] where = storageNow();
    return String.format(", %.1f MiB stored: %.1f MiB in memory, %.1f MiB on disk", storedBytes / 1048576.0,
        where[0] / 1048576.0, where[1] / 1048576.0);
  }

  /** Which product a job computes. */
  private enum Product {
    /** Θ V: each block adds Θ_IJ V_J (and Θ_IJᵀ V_I in the mirrored triangle) to row block I (J). */
    DIRECT,
    /** Θᵀ U: each block adds Θ_IJᵀ U_I to column block J. */
    TRANSPOSED,
    /** Θᵀ(Θ V), whole-row tiles: each row block's W_I = Σ_J Θ_IJ V_J, then Θ_IJᵀ W_I to column block J. */
    NORMAL
  }

  @Override
  public double[] apply(double[] v, int c) {
    return product(v, c, Product.DIRECT);
  }

  /**
   * Θᵀ(Θ V) in one job when every tile holds whole block rows ({@link DistributedGram#againstCenters}):
   * each task forms its row blocks' Θ_I V and adds Θ_Iᵀ(Θ_I V), reading each stored block once per
   * product instead of twice; otherwise the two products.
   */
  @Override
  public double[] normalProduct(double[] v, int c) {
    return wholeRows ? product(v, c, Product.NORMAL) : TransposableOperator.super.normalProduct(v, c);
  }

  /**
   * Θᵀ U, one job as Θ V is: each stored block (I, J) adds Θ_IJᵀ U_I to column block J. The
   * training Gram is symmetric, so there it is Θ U.
   */
  @Override
  public double[] applyTransposed(double[] u, int c) {
    return product(u, c, symmetric ? Product.DIRECT : Product.TRANSPOSED);
  }

  private double[] product(double[] v, int c, Product kind) {
    boolean transposed = kind == Product.TRANSPOSED;
    int in = transposed ? rows() : cols();
    int outRows = kind == Product.DIRECT ? rows() : cols();
    if (v.length != (long) in * c) {
      throw new IllegalArgumentException((transposed ? "Θᵀ U: U" : "Θ V: V") + " has " + v.length
          + " entries, expected " + in + " × " + c);
    }
    int group = columnsPerJob(maxResultBytes, outRows, c);
    products.incrementAndGet();
    // When the results of one job with all c columns would exceed spark.driver.maxResultSize (at
    // N = 60,000 a rank-2000 preconditioner's product is 960 MB per partial result), the columns
    // go in groups, each one job. With tens of columns a product is compute-bound, so the extra
    // passes over the blocks cost little.
    return ColumnGroups.apply(v, in, outRows, c, group, (part, width) -> applyColumns(part, width, kind));
  }

  /**
   * Columns per product job so that what reaches the driver stays within half of
   * spark.driver.maxResultSize (0: no limit). On the shuffle route ({@link ProductSum#byRowBlock})
   * the driver receives the N·g finished sums; the direct route is taken only when all T partial
   * results fit that half too ({@link #sumsOnDriver}).
   */
  static int columnsPerJob(long maxResultBytes, int rows, int c) {
    if (maxResultBytes <= 0) {
      return c;
    }
    long columns = maxResultBytes / 2 / (rows * 8L);
    return (int) Math.max(1, Math.min(c, columns));
  }

  /** Tasks of one product job (the stored tiles). */
  int tasks() {
    return tiles.getNumPartitions();
  }

  /** For tests: a smaller spark.driver.maxResultSize than the session's. */
  void limitResultBytes(long bytes) {
    this.maxResultBytes = bytes;
  }

  private double[] applyColumns(double[] v, int c, Product kind) {
    long t0 = System.nanoTime();
    Broadcast<double[]> shared = sc.broadcast(v);
    BlockPlan rows = rowPlan;
    BlockPlan cols = colPlan;
    int kk = k;
    boolean mirror = symmetric;
    String what = switch (kind) {
      case DIRECT -> name + " × V";
      case TRANSPOSED -> name + "ᵀ × U";
      case NORMAL -> name + "ᵀ × " + name + " × V";
    };
    sc.setJobDescription(String.format("spark-ntk: %s (%d columns), product %d", what, c, products.get()));
    Map<Integer, double[]> sums;
    // A product over blocks recomputed per product (kernel.cache = none) can take minutes: its
    // progress is logged per block, as the Gram's is.
    Progress progress = new Progress(sc, String.format("%s, product %d", what, products.get()), blockCount());
    LongAccumulator done = progress.counter();
    try {
      JavaRDD<HashMap<Integer, double[]>> partials = tiles.map(blocks -> switch (kind) {
        case DIRECT -> TileProducts.direct(blocks, shared.value(), c, rows, cols, kk, mirror, done);
        case TRANSPOSED -> TileProducts.transposed(blocks, shared.value(), c, rows, cols, kk, done);
        case NORMAL -> TileProducts.normal(blocks, shared.value(), c, rows, cols, kk, done);
      });
      BlockPlan outPlan = kind == Product.DIRECT ? rowPlan : colPlan;
      int outRows = kind == Product.DIRECT ? rows() : cols();
      sums = sumsOnDriver(tasks(), outRows, c, maxResultBytes) ? ProductSum.onDriver(sc, partials)
          : ProductSum.byRowBlock(partials, outPlan.blockCount());
    } finally {
      progress.close();
      shared.destroy();
    }
    BlockPlan outPlan = kind == Product.DIRECT ? rowPlan : colPlan;
    double[] out = new double[(kind == Product.DIRECT ? rows() : cols()) * c];
    for (Map.Entry<Integer, double[]> e : sums.entrySet()) {
      int at = Math.toIntExact(outPlan.start(e.getKey()) * k * c);
      System.arraycopy(e.getValue(), 0, out, at, e.getValue().length);
    }
    LOG.debug(String.format("%s (%d columns): %.3f s", what, c, (System.nanoTime() - t0) / 1e9));
    return out;
  }

  /** Partial sums the driver takes in directly before a shuffle is worth its cost. */
  static final long DIRECT_REDUCTION_BYTES = 256L << 20;

  /**
   * Whether the driver adds the product's partial sums itself ({@link ProductSum#onDriver}). Each
   * of the T tasks returns partial sums for the row blocks its tile touches, at most N·c doubles;
   * adding them on the driver needs no shuffle, while the shuffle route cost 50–200 ms per product
   * on the benchmark machine. The shuffle is used only when the driver would otherwise receive
   * more than {@value #DIRECT_REDUCTION_BYTES} bytes, or more than half of
   * spark.driver.maxResultSize.
   */
  static boolean sumsOnDriver(int tasks, int rows, int c, long maxResultBytes) {
    double bytes = (double) tasks * rows * c * 8;
    return bytes <= DIRECT_REDUCTION_BYTES && (maxResultBytes <= 0 || bytes <= maxResultBytes / 2.0);
  }

  /** Releases the stored blocks. */
  @Override
  public void close() {
    // Blocking: the next kernel built in this application (a benchmark's next size, a report's next run) gets the memory.
    tiles.unpersist(true);
  }
}
