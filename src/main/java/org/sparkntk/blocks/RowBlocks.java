package org.sparkntk.blocks;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.sparkntk.data.DataException;
import org.sparkntk.data.Example;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Model;
import scala.Tuple2;

/** Groups a data set's examples into the row blocks of a {@link BlockPlan}. */
public final class RowBlocks {
  private RowBlocks() {}

  public static JavaRDD<RowBlock> of(LabeledData data, BlockPlan plan) {
    return of(data, plan, null);
  }

  /**
   * The row blocks with the fixed input mapping γ applied to every row on the executors (null, none
   * or the Gaussian m → ∞ limit: the raw features), so that everything downstream — the network's
   * outputs, factors and Jacobians, the kernels — sees γ(v).
   */
  public static JavaRDD<RowBlock> of(LabeledData data, BlockPlan plan, InputMapping mapping) {
    boolean mapped = mapping != null && mapping.kind() != InputMapping.Kind.NONE && mapping.isFinite();
    if (mapped && mapping.inputs() != data.featureCount()) {
      throw new IllegalArgumentException(data.name() + " has " + data.featureCount()
          + " feature columns but the input mapping takes " + mapping.inputs());
    }
    int inputs = data.featureCount();
    int labels = data.labels().size();
    String name = data.name();
    int nb = plan.blockCount();
    return data.examples()
        .mapToPair(e -> new Tuple2<>(plan.blockOf(e.index()), e))
        .groupByKey(new HashPartitioner(Math.max(1, nb)))
        .map(g -> {
          int block = g._1();
          int rows = plan.rows(block);
          long start = plan.start(block);
          double[] x = new double[rows * inputs];
          double[] y = new double[rows * labels];
          List<Example> seen = new ArrayList<>(rows);
          g._2().forEach(seen::add);
          for (Example e : seen) {
            if (e.features().length != inputs) {
              throw new DataException(name + ": row " + (e.index() + 1) + " has "
                  + e.features().length + " features, expected " + inputs);
            }
            int r = (int) (e.index() - start);
            System.arraycopy(e.features(), 0, x, r * inputs, inputs);
            System.arraycopy(e.labels(), 0, y, r * labels, labels);
          }
          if (seen.size() != rows) {
            throw new IllegalStateException("block " + block + " of " + name + " has " + seen.size()
                + " rows, expected " + rows);
          }
          return new RowBlock(block, start, rows, mapped ? mapping.apply(x, rows) : x, y);
        })
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** The label columns of every row, row-major [rows × width], in row order. */
  public static double[] labels(JavaRDD<RowBlock> blocks, BlockPlan plan, int width) {
    return collectRows(blocks.map(b -> new Tuple2<>(b.start(), b.labels())), plan, width);
  }

  /** The model's outputs f_0(x) of every row, row-major [rows × O], in row order (computed on executors). */
  public static double[] outputs(JavaRDD<RowBlock> blocks, BlockPlan plan, Model model) {
    return collectRows(blocks.map(b -> new Tuple2<>(b.start(), model.outputs(b.features(), b.rows()))), plan,
        model.outputs());
  }

  /**
   * SHA-256 (hex) of the features every block holds, in block order: equal exactly when the rows
   * the kernel sees (after the input mapping) and their order are equal. Each block is hashed on
   * its executor; the driver hashes the per-block digests.
   */
  public static String digest(JavaRDD<RowBlock> blocks) {
    List<Tuple2<Integer, byte[]>> perBlock = new ArrayList<>(blocks.map(b -> {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocate(8 * 1024);
      buf.putLong(b.start()).putLong(b.rows()).putLong(b.features().length);
      for (double v : b.features()) {
        if (!buf.hasRemaining()) {
          sha.update(buf.array(), 0, buf.position());
          buf.clear();
        }
        buf.putDouble(v);
      }
      sha.update(buf.array(), 0, buf.position());
      return new Tuple2<>(b.block(), sha.digest());
    }).collect());
    perBlock.sort(Comparator.comparing(Tuple2::_1));
    try {
      MessageDigest all = MessageDigest.getInstance("SHA-256");
      for (Tuple2<Integer, byte[]> t : perBlock) {
        all.update(t._2());
      }
      return HexFormat.of().formatHex(all.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Collects, in row order, a per-row quantity of {@code width} values given per block as (first row, values). */
  private static double[] collectRows(JavaRDD<Tuple2<Long, double[]>> perBlock, BlockPlan plan, int width) {
    double[] out = new double[Math.toIntExact(plan.totalRows() * width)];
    for (Tuple2<Long, double[]> t : perBlock.collect()) {
      System.arraycopy(t._2(), 0, out, Math.toIntExact(t._1() * width), t._2().length);
    }
    return out;
  }
}
