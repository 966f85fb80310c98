package org.sparkntk.blocks;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.solver.KernelOperator;
import scala.Tuple2;

/**
 * The empirical NTK Θ(X_left, X_right) as an operator that stores nothing: a product Θ V is two
 * Spark jobs over the row blocks.
 * <ol>
 *   <li>Jᵀ V: the right row blocks in one group of consecutive blocks per core
 *       ({@link ConsecutiveGroups}); each task adds its blocks' vector–Jacobian products
 *       J_Iᵀ V_I ({@link JacobianProducts#transposedInto}) into one [passes × P] sum, and the tasks'
 *       sums are added in task order, on the driver ({@link ProductSum#onDriver}) or, when they
 *       exceed 256 MiB together, per 8 MiB piece on the reducers of one shuffle
 *       ({@link ProductSum#byRowBlock}). A product gives the same bits on every run with the same
 *       parallelism.</li>
 *   <li>J (Jᵀ V): the sums are broadcast and each left block computes its rows
 *       ({@link JacobianProducts#apply}).</li>
 * </ol>
 * Cost per product: a forward and passes backward passes over the right rows, a forward and
 * passes forward-mode passes over the left rows, O((N_left + N_right)·P·passes) flops. Moved per
 * product: V and the passes × P sums broadcast to every executor, G × passes × P partial sums
 * from the G tasks. The driver holds V, Θ V and at most 2 × passes × P numbers plus 256 MiB
 * ({@link #driverBytes}); columns go in groups when one job's sums would pass half of
 * spark.driver.maxResultSize.
 */
public final class MatrixFreeKernel implements KernelOperator {
  private final JavaSparkContext sc;
  private final JavaRDD<RowBlock> left;
  private final BlockPlan leftPlan;
  private final JavaRDD<RowBlock> right;
  private final BlockPlan rightPlan;
  private final JacobianProducts products;
  private final String name;
  private final AtomicLong count = new AtomicLong();
  /** The right row blocks, consecutive blocks per partition: one partial Jᵀ V sum per core, not per block. */
  private final JavaRDD<RowBlock> groupedRight;
  /** spark.driver.maxResultSize in bytes (0: no limit). */
  private long maxResultBytes;
  /** Doubles per piece of a Jᵀ V sum on the shuffle route (8 MiB). */
  static final int CHUNK = 1 << 20;

  /** Θ(X_left, X_right); {@code right} may be {@code left} (the training kernel). */
  public MatrixFreeKernel(JavaSparkContext sc, JavaRDD<RowBlock> left, BlockPlan leftPlan, JavaRDD<RowBlock> right,
                          BlockPlan rightPlan, JacobianProducts products, String name) {
    this.sc = sc;
    this.left = left;
    this.leftPlan = leftPlan;
    this.right = right;
    this.rightPlan = rightPlan;
    this.products = products;
    this.name = name;
    this.groupedRight = ConsecutiveGroups.of(right, Math.max(1, sc.defaultParallelism()));
    this.maxResultBytes = sc.getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g");
  }

  @Override
  public int rows() {
    return Math.toIntExact(leftPlan.totalRows() * products.rowsPerExample());
  }

  @Override
  public int cols() {
    return Math.toIntExact(rightPlan.totalRows() * products.rowsPerExample());
  }

  @Override
  public int rowsPerExample() {
    return products.rowsPerExample();
  }

  @Override
  public double[] apply(double[] v, int c) {
    if (v.length != (long) cols() * c) {
      throw new IllegalArgumentException("Θ V: V has " + v.length + " entries, expected " + cols() + " × " + c);
    }
    count.incrementAndGet();
    // When Jᵀ V of all c columns would not fit half of spark.driver.maxResultSize, the columns go
    // in groups, each one pair of jobs (a product costs the same passes either way).
    return ColumnGroups.apply(v, cols(), rows(), c, columnsPerJob(c), this::applyColumns);
  }

  /**
   * Columns per pair of jobs so that the passes × P sums of Jᵀ V stay within half of
   * spark.driver.maxResultSize (0: no limit), the most the driver may receive of one job.
   */
  int columnsPerJob(int c) {
    long perColumn = 8L * products.passes(1) * products.parameters();
    if (maxResultBytes <= 0) {
      return c;
    }
    if (perColumn > maxResultBytes / 2) {
      throw new IllegalStateException(String.format("the matrix-free NTK's Jᵀ V needs %d × P = %d × %d numbers "
          + "(%.1f MiB) per column on the driver, more than half of spark.driver.maxResultSize (%.1f MiB): raise "
          + "spark.driver.maxResultSize, or store the Gram instead (kernel.cache = memory or disk)",
          products.passes(1), products.passes(1), products.parameters(), perColumn / 1048576.0,
          maxResultBytes / 1048576.0));
    }
    return (int) Math.max(1, Math.min(c, maxResultBytes / 2 / perColumn));
  }

  /** For tests: a smaller spark.driver.maxResultSize than the session's. */
  void limitResultBytes(long bytes) {
    this.maxResultBytes = bytes;
  }

  /** Tasks of the Jᵀ V job: the row blocks in consecutive groups. */
  int transposedTasks() {
    return groupedRight.getNumPartitions();
  }

  private double[] applyColumns(double[] v, int c) {
    int k = products.rowsPerExample();
    int size = Math.multiplyExact(products.passes(c), products.parameters());
    // On the driver the sums arrive whole; through the shuffle in pieces of CHUNK, so that a reducer
    // adds a piece at a time.
    boolean direct = DistributedKernel.sumsOnDriver(transposedTasks(), size, 1, maxResultBytes);
    int piece = direct ? size : CHUNK;
    int pieces = direct ? 1 : (size + CHUNK - 1) / CHUNK;
    JacobianProducts jp = products;
    sc.setJobDescription(String.format("spark-ntk: %s × V (%d columns, matrix-free), product %d: Jᵀ V", name, c,
        count.get()));
    Broadcast<double[]> shared = sc.broadcast(v);
    double[] sums = new double[size];
    try {
      // Each task adds the terms of its consecutive row blocks in block order, and the tasks' sums
      // are added in task order (on the driver, or per piece on the reducers): the same bits on
      // every run with the same parallelism.
      JavaRDD<HashMap<Integer, double[]>> partials = groupedRight.mapPartitions((Iterator<RowBlock> blocks) -> {
        double[] into = null;
        while (blocks.hasNext()) {
          RowBlock b = blocks.next();
          int from = Math.toIntExact(b.start() * k * c);
          double[] rowsOfV = Arrays.copyOfRange(shared.value(), from, from + b.rows() * k * c);
          if (into == null) {
            into = new double[size];
          }
          jp.transposedInto(b.features(), b.rows(), rowsOfV, c, into);
        }
        HashMap<Integer, double[]> byPiece = new HashMap<>();
        if (into != null && pieces == 1) {
          byPiece.put(0, into);
        } else if (into != null) {
          for (int at = 0; at < pieces; at++) {
            byPiece.put(at, Arrays.copyOfRange(into, at * piece, Math.min(size, (at + 1) * piece)));
          }
        }
        return List.of(byPiece).iterator();
      });
      Map<Integer, double[]> summed = direct ? ProductSum.onDriver(sc, partials)
          : ProductSum.byRowBlock(partials, pieces);
      for (Map.Entry<Integer, double[]> e : summed.entrySet()) {
        System.arraycopy(e.getValue(), 0, sums, e.getKey() * piece, e.getValue().length);
      }
    } finally {
      shared.destroy();
    }
    sc.setJobDescription(String.format("spark-ntk: %s × V (%d columns, matrix-free), product %d: J (Jᵀ V)", name,
        c, count.get()));
    Broadcast<double[]> tangents = sc.broadcast(sums);
    List<Tuple2<Long, double[]>> parts;
    try {
      parts = left.map(b -> new Tuple2<>(b.start(), jp.apply(b.features(), b.rows(), tangents.value(), c))).collect();
    } finally {
      tangents.destroy();
      sc.setJobDescription(null);
    }
    double[] out = new double[rows() * c];
    for (Tuple2<Long, double[]> part : parts) {
      System.arraycopy(part._2(), 0, out, Math.toIntExact(part._1() * k * c), part._2().length);
    }
    return out;
  }

  /**
   * What a product with c columns holds on the driver, in bytes: the passes × P sums of Jᵀ V
   * (of one column group), their broadcast copy, and on the direct route the task results that
   * arrive before their predecessors, which {@link DistributedKernel#sumsOnDriver} bounds by 256 MiB.
   */
  public static long driverBytes(JacobianProducts products, int c) {
    return 2L * 8 * products.passes(c) * products.parameters() + DistributedKernel.DIRECT_REDUCTION_BYTES;
  }

  @Override
  public long products() {
    return count.get();
  }

  @Override
  public String describe() {
    return String.format("%s: matrix-free empirical NTK (nothing stored; %d × %d, J(JᵀV) by %s passes of P = %d "
        + "per column)", name, rows(), cols(), products.passes(1) == 1 ? "1 backward and 1 forward" : "O backward "
        + "and O forward", products.parameters());
  }
}
