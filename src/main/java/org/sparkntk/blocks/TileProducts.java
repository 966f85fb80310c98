package org.sparkntk.blocks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.util.LongAccumulator;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelBlock;

/**
 * One task's terms of a product over the stored blocks of a {@link DistributedKernel}: partial
 * sums per output block, which {@link ProductSum} adds up in task order. Each stored block is
 * read once per product.
 */
final class TileProducts {
  private TileProducts() {}

  /** One task's terms: partial sums of (Θ V)_I for the row blocks its blocks touch. */
  static HashMap<Integer, double[]> direct(List<KernelBlock> blocks, double[] v, int c, BlockPlan rowPlan,
                                           BlockPlan colPlan, int k, boolean mirror, LongAccumulator done) {
    HashMap<Integer, double[]> out = new HashMap<>();
    for (KernelBlock b : blocks) {
      double[] outI = out.computeIfAbsent(b.row(), i -> new double[rowPlan.rows(i) * k * c]);
      boolean mirrored = mirror && b.row() != b.col();
      double[] outJ = mirrored ? out.computeIfAbsent(b.col(), j -> new double[rowPlan.rows(j) * k * c]) : null;
      int vRowI = Math.toIntExact(rowPlan.start(b.row()) * k);
      int vRowJ = Math.toIntExact(colPlan.start(b.col()) * k);
      b.multiplyInto(v, vRowI, vRowJ, c, outI, outJ, mirrored);
      done.add(1);
    }
    return out;
  }

  /** One task's terms of Θᵀ U: partial sums of (Θᵀ U)_J for the column blocks its blocks touch. */
  static HashMap<Integer, double[]> transposed(List<KernelBlock> blocks, double[] u, int c, BlockPlan rowPlan,
                                               BlockPlan colPlan, int k, LongAccumulator done) {
    HashMap<Integer, double[]> out = new HashMap<>();
    for (KernelBlock b : blocks) {
      double[] outJ = out.computeIfAbsent(b.col(), j -> new double[colPlan.rows(j) * k * c]);
      int uRowI = Math.toIntExact(rowPlan.start(b.row()) * k);
      b.multiplyInto(u, uRowI, 0, c, null, outJ, true);
      done.add(1);
    }
    return out;
  }

  /**
   * One task's terms of Θᵀ(Θ V) over whole block rows: for each of its row blocks I,
   * W_I = Σ_J Θ_IJ V_J, then partial sums of Σ_I Θ_IJᵀ W_I per column block J.
   */
  static HashMap<Integer, double[]> normal(List<KernelBlock> blocks, double[] v, int c, BlockPlan rowPlan,
                                           BlockPlan colPlan, int k, LongAccumulator done) {
    TreeMap<Integer, List<KernelBlock>> byRow = new TreeMap<>();
    for (KernelBlock b : blocks) {
      byRow.computeIfAbsent(b.row(), i -> new ArrayList<>()).add(b);
    }
    HashMap<Integer, double[]> out = new HashMap<>();
    for (Map.Entry<Integer, List<KernelBlock>> row : byRow.entrySet()) {
      double[] w = new double[rowPlan.rows(row.getKey()) * k * c];
      for (KernelBlock b : row.getValue()) {
        b.multiplyInto(v, 0, Math.toIntExact(colPlan.start(b.col()) * k), c, w, null, false);
      }
      for (KernelBlock b : row.getValue()) {
        double[] outJ = out.computeIfAbsent(b.col(), j -> new double[colPlan.rows(j) * k * c]);
        b.multiplyInto(w, 0, 0, c, null, outJ, true);
        done.add(1);
      }
    }
    return out;
  }
}
