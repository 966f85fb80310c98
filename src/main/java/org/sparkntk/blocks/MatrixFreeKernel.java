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
 * Spark jobs over the row blocks. The first sums every right block's vector–Jacobian products
 * J_Iᵀ V_I ({@link JacobianProducts#transposedInto}) into [passes × P] numbers, added in task order
 * as the stored products' partial sums are ({@link ProductSum#onDriver}), so a product gives the
 * same bits on every run; the second broadcasts them and each left block computes its rows of
 * J (JᵀV) ({@link JacobianProducts#apply}). Cost per product: a forward and passes backward
 * passes over the right rows, a forward and passes forward-mode passes over the left rows,
 * O((N_left + N_right)·P·passes) flops; the driver holds V, Θ V and passes × P numbers.
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
    int k = products.rowsPerExample();
    int size = Math.multiplyExact(products.passes(c), products.parameters());
    JacobianProducts jp = products;
    sc.setJobDescription(String.format("spark-ntk: %s × V (%d columns, matrix-free), product %d: Jᵀ V", name, c,
        count.get()));
    Broadcast<double[]> shared = sc.broadcast(v);
    double[] sums;
    try {
      JavaRDD<HashMap<Integer, double[]>> partials = right.mapPartitions((Iterator<RowBlock> blocks) -> {
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
        HashMap<Integer, double[]> one = new HashMap<>();
        if (into != null) {
          one.put(0, into);
        }
        return List.of(one).iterator();
      });
      Map<Integer, double[]> summed = ProductSum.onDriver(sc, partials);
      sums = summed.getOrDefault(0, new double[size]);
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
