package org.sparkntk.kernel.empirical;

import java.io.Serializable;
import java.util.Arrays;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockScratch;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.LayerFactors;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The empirical NTK of a dense network without forming Jacobians (docs/THEORY.md §2; Novak et al.,
 * "Fast Finite Width Neural Tangent Kernel", ICML 2022, structured derivatives). Since
 * ∂f_a/∂W_l = c_W(l)·δ_{l+1}^a ⊗ a_l and ∂f_a/∂b_l = c_b·δ_{l+1}^a,
 *
 * <pre>Θ_ab(x, x') = Σ_l [c_W(l)² ⟨a_l(x), a_l(x')⟩ + c_b²] · ⟨δ_{l+1}^a(x), δ_{l+1}^b(x')⟩</pre>
 *
 * with c_W(l)² = σ_w²/n_l, c_b² = σ_b² (ntk) or 1, 1 (standard). A block is, per layer, two GEMMs
 * and a Hadamard product: (c_W² A_l(I) A_l(J)ᵀ + c_b²) ∘ (D_{l+1}(I) D_{l+1}(J)ᵀ). Per sample it
 * keeps Σ_l (n_l + O·n_{l+1}) numbers instead of O·P; the full Gram costs
 * N²·Σ_l (n_l + O²·n_{l+1}) multiply-adds instead of N²·O²·P, the trace N²·Σ_l (n_l + O·n_{l+1}):
 * for the trace, Σ_a ⟨δ^a(x), δ^a(x')⟩ is one dot product of the flattened O×n_{l+1} sensitivities.
 */
public final class StructuredNtk implements BlockKernel<StructuredNtk.FactorBlock> {
  private static final long serialVersionUID = 1L;

  /**
   * Layer factors of a block of rows in the chosen precision (the other pair of arrays is null):
   * a_l as [rows × n_l], δ_{l+1} as [rows·O × n_{l+1}] (row i·O + a), i.e. [rows × O·n_{l+1}].
   */
  public record FactorBlock(int rows, double[][] activations, double[][] sensitivities,
                            float[][] activations32, float[][] sensitivities32) implements Serializable {}

  private final Mlp mlp;
  private final KernelOutputs outputs;
  private final Precision precision;

  public StructuredNtk(Mlp mlp, KernelOutputs outputs, Precision precision) {
    this.mlp = mlp;
    this.outputs = outputs;
    this.precision = precision;
  }

  @Override
  public FactorBlock prepare(double[] x, int rows) {
    LayerFactors f = mlp.factors(x, rows);
    int depth = mlp.architecture().depth();
    double[][] a = new double[depth][];
    double[][] d = new double[depth][];
    for (int l = 0; l < depth; l++) {
      a[l] = f.activation(l);
      d[l] = f.sensitivity(l);
    }
    if (precision == Precision.FLOAT64) {
      return new FactorBlock(rows, a, d, null, null);
    }
    float[][] a32 = new float[depth][];
    float[][] d32 = new float[depth][];
    for (int l = 0; l < depth; l++) {
      a32[l] = toFloat(a[l]);
      d32[l] = toFloat(d[l]);
    }
    return new FactorBlock(rows, null, null, a32, d32);
  }

  private static float[] toFloat(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) v[i];
    }
    return out;
  }

  @Override
  public int rows(FactorBlock prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return outputs.rowsPerExample(mlp.architecture().outputs());
  }

  @Override
  public double[] block(FactorBlock left, FactorBlock right) {
    return block(left, right, null);
  }

  @Override
  public double[] block(FactorBlock left, FactorBlock right, double[] into) {
    Architecture arch = mlp.architecture();
    int o = arch.outputs();
    int m = left.rows();
    int n = right.rows();
    boolean full = outputs == KernelOutputs.FULL;
    int pairs = m * n;
    int entries = full ? m * o * n * o : m * n;
    double[] kernel;
    if (into != null && into.length == entries) {
      kernel = into;
      Arrays.fill(kernel, 0.0);
    } else {
      kernel = new double[entries];
    }
    // Every GEMM below overwrites its whole [pairs] or [entries] output (β = 0).
    double[] activationGram = BlockScratch.doubles(0, pairs);
    double[] sensitivityGram = BlockScratch.doubles(1, entries);
    float[] activationGram32 = precision == Precision.FLOAT32 ? BlockScratch.floats(0, pairs) : null;
    float[] sensitivityGram32 = precision == Precision.FLOAT32 ? BlockScratch.floats(1, entries) : null;
    Parameterization param = arch.parameterization();
    double cb = param.biasGradientScale(arch.sigmaB());
    for (int l = 0; l < arch.depth(); l++) {
      int in = arch.width(l);
      int out = arch.width(l + 1);
      double cw = param.weightGradientScale(arch.sigmaW(), in);
      // A: c_W² a_l(I) a_l(J)ᵀ;  D: δ(I) δ(J)ᵀ, [mO × nO] (full) or [m × n] over flattened O·n_{l+1} (trace)
      int dRowsL = full ? m * o : m;
      int dRowsR = full ? n * o : n;
      int dDepth = full ? out : o * out;
      if (precision == Precision.FLOAT64) {
        Blas.get().gemmNT(m, n, in, cw * cw, left.activations()[l], right.activations()[l], 0.0, activationGram);
        Blas.get().gemmNT(dRowsL, dRowsR, dDepth, full ? 1.0 : 1.0 / o, left.sensitivities()[l],
            right.sensitivities()[l], 0.0, sensitivityGram);
      } else {
        Blas.get().sgemm(false, true, m, n, in, (float) (cw * cw), left.activations32()[l], 0, in,
            right.activations32()[l], 0, in, 0f, activationGram32, 0, n);
        Blas.get().sgemm(false, true, dRowsL, dRowsR, dDepth, full ? 1f : 1f / o, left.sensitivities32()[l], 0,
            dDepth, right.sensitivities32()[l], 0, dDepth, 0f, sensitivityGram32, 0, dRowsR);
        for (int i = 0; i < pairs; i++) {
          activationGram[i] = activationGram32[i];
        }
        for (int i = 0; i < entries; i++) {
          sensitivityGram[i] = sensitivityGram32[i];
        }
      }
      double bias = cb * cb;
      if (!full) {
        for (int i = 0; i < entries; i++) {
          kernel[i] += (activationGram[i] + bias) * sensitivityGram[i];
        }
        continue;
      }
      int cols = n * o;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double g = activationGram[i * n + j] + bias;
          for (int a = 0; a < o; a++) {
            int row = (i * o + a) * cols + j * o;
            for (int b = 0; b < o; b++) {
              kernel[row + b] += g * sensitivityGram[row + b];
            }
          }
        }
      }
    }
    return kernel;
  }

  /** Numbers kept per sample: Σ_l (n_l + O·n_{l+1}). */
  public long floatsPerSample() {
    Architecture arch = mlp.architecture();
    long s = 0;
    for (int l = 0; l < arch.depth(); l++) {
      s += arch.width(l) + (long) arch.outputs() * arch.width(l + 1);
    }
    return s;
  }

  @Override
  public long preparedBytes(int rows) {
    return (precision == Precision.FLOAT64 ? 8L : 4L) * rows * floatsPerSample();
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    Architecture arch = mlp.architecture();
    int o = arch.outputs();
    double perPair = 0;
    for (int l = 0; l < arch.depth(); l++) {
      perPair += arch.width(l) + (outputs == KernelOutputs.FULL ? (double) o * o : o) * arch.width(l + 1);
    }
    return (double) leftRows * rightRows * perPair;
  }

  @Override
  public String describe() {
    return "empirical NTK (structured, " + outputs.configName() + ", " + precision.configName() + ") of "
        + mlp.architecture();
  }
}
