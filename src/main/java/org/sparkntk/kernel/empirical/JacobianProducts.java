package org.sparkntk.kernel.empirical;

import java.io.Serializable;
import java.util.Arrays;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.model.Mlp;

/**
 * The empirical NTK applied without forming it: Θ V = J (Jᵀ V), from per-block vector–Jacobian
 * products (one backward pass per cotangent, {@link Mlp#vjp}) summed over the rows, then
 * Jacobian–vector products (one forward-mode pass per tangent, {@link Mlp#jvp}). A product costs
 * O(N·P) per pass instead of the Gram's O(N²) storage or recomputation.
 * <ul>
 *   <li>{@code full} (k = O): V is [N·O × c], row i·O + a; column b's cotangent is that column
 *       itself, so a product is c backward and c forward passes.</li>
 *   <li>{@code trace} (k = 1): Θ = (1/O) Σ_a J_a J_aᵀ with J_a the rows of output a; V is [N × c],
 *       and (J_aᵀ V)_b needs the cotangent with V's column b in output a and 0 in the others: O·c
 *       backward and O·c forward passes.</li>
 * </ul>
 * Plain Java: the Spark layer sums {@link #transposedInto} over row blocks and applies
 * {@link #apply} per block.
 */
public final class JacobianProducts implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Mlp mlp;
  private final KernelOutputs outputs;

  public JacobianProducts(Mlp mlp, KernelOutputs outputs) {
    this.mlp = mlp;
    this.outputs = outputs;
  }

  /** Kernel rows per example: O for full, 1 for trace. */
  public int rowsPerExample() {
    return outputs.rowsPerExample(mlp.outputs());
  }

  /** P, the network's parameters. */
  public int parameters() {
    return Math.toIntExact(mlp.architecture().parameterCount());
  }

  /** Cotangents (and tangents) per product with c columns: c for full, O·c for trace. */
  public int passes(int c) {
    return outputs == KernelOutputs.FULL ? c : mlp.outputs() * c;
  }

  /**
   * Adds this block's Σ_i J_iᵀ-terms of every pass to {@code into}, [passes × P] row-major.
   *
   * @param x    the block's features, row-major [rows × n_0]
   * @param v    the block's rows of V, row-major [rows·k × c]
   */
  public void transposedInto(double[] x, int rows, double[] v, int c, double[] into) {
    int o = mlp.outputs();
    int p = parameters();
    Mlp.ForwardPass fw = mlp.forwardPass(x, rows);
    double[] g = new double[rows * o];
    double[] u = new double[p];
    for (int pass = 0; pass < passes(c); pass++) {
      Arrays.fill(g, 0.0);
      if (outputs == KernelOutputs.FULL) {
        for (int q = 0; q < rows * o; q++) {
          g[q] = v[q * c + pass];
        }
      } else {
        int a = pass / c;
        int b = pass % c;
        for (int i = 0; i < rows; i++) {
          g[i * o + a] = v[i * c + b];
        }
      }
      Arrays.fill(u, 0.0);
      mlp.vjp(fw, g, u);
      for (int k = 0; k < p; k++) {
        into[pass * p + k] += u[k];
      }
    }
  }

  /**
   * This block's rows of Θ V, [rows·k × c], from the summed terms {@code sums} ([passes × P]) of
   * {@link #transposedInto}: J_i u per pass, and for trace the mean over the outputs.
   */
  public double[] apply(double[] x, int rows, double[] sums, int c) {
    int o = mlp.outputs();
    int p = parameters();
    Mlp.ForwardPass fw = mlp.forwardPass(x, rows);
    int k = rowsPerExample();
    double[] out = new double[rows * k * c];
    double[] u = new double[p];
    for (int pass = 0; pass < passes(c); pass++) {
      System.arraycopy(sums, pass * p, u, 0, p);
      double[] ju = mlp.jvp(fw, u);
      if (outputs == KernelOutputs.FULL) {
        for (int q = 0; q < rows * o; q++) {
          out[q * c + pass] = ju[q];
        }
      } else {
        int a = pass / c;
        int b = pass % c;
        for (int i = 0; i < rows; i++) {
          out[i * c + b] += ju[i * o + a] / o;
        }
      }
    }
    return out;
  }
}
