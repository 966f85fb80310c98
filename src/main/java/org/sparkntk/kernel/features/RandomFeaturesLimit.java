package org.sparkntk.kernel.features;

import java.io.Serializable;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.RandomFeatures;

/**
 * The P → ∞ limit K of the random-features kernel K̃ = (1/P) Σ_p f_p(x) f_p(x')
 * ({@link RandomFeaturesKernel}), in closed form, ⊗ I_O for {@code full}:
 * <ul>
 *   <li>{@code fourier}: K(x, x') = exp(−2π² σ² ‖x − x'‖²), the Gaussian kernel whose Fourier
 *       transform the frequencies b_p ~ N(0, σ² I_d) sample (Bochner; Rahimi &amp; Recht 2007);</li>
 *   <li>{@code relu}: K(x, x') = (‖x‖‖x'‖/(π d)) (sin θ + (π − θ) cos θ), θ = arccos(xᵀx'/(‖x‖‖x'‖)),
 *       the degree-1 arc-cosine kernel (Cho &amp; Saul 2009) of u = wᵀx/√d, v = wᵀx'/√d:
 *       2 E[relu(u) relu(v)] = 2 · √(k11 k22)(sin θ + (π − θ) cos θ)/(2π) with √(k11 k22) = ‖x‖‖x'‖/d.</li>
 * </ul>
 * A block is one GEMM for the inner products X_I X_Jᵀ, then the formula per entry.
 * ‖x − x'‖² = ‖x‖² + ‖x'‖² − 2xᵀx' is clamped at 0 (its rounding error, ≈ 1e-16·(‖x‖² + ‖x'‖²),
 * moves K by at most that times 2π²σ²); the cosine is clipped to [−1, 1] and a zero row gives
 * K = 0 for relu (f_p(0) = 0), so no input gives a NaN.
 */
public final class RandomFeaturesLimit implements BlockKernel<RandomFeaturesLimit.Prepared> {
  private static final long serialVersionUID = 1L;

  /** The rows (row-major [rows × d]) and their squared norms. */
  public record Prepared(int rows, double[] x, double[] squaredNorms) implements Serializable {}

  private final RandomFeatures.Basis basis;
  private final double scale;
  private final int inputs;
  private final int modelOutputs;
  private final KernelOutputs outputs;

  /** The limit kernel of {@code model}'s basis, scale and dimensions (its feature count, if any, is ignored). */
  public RandomFeaturesLimit(RandomFeatures model, KernelOutputs outputs) {
    this.basis = model.basis();
    this.scale = model.scale();
    this.inputs = model.inputs();
    this.modelOutputs = model.outputs();
    this.outputs = outputs;
  }

  @Override
  public Prepared prepare(double[] x, int rows) {
    if (x.length != (long) rows * inputs) {
      throw new IllegalArgumentException("input has " + x.length + " values, expected rows × inputs = "
          + rows + " × " + inputs);
    }
    return new Prepared(rows, x.clone(), Matrices.rowSquaredNorms(x, rows, inputs));
  }

  @Override
  public int rows(Prepared prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return outputs.rowsPerExample(modelOutputs);
  }

  /** K, row-major [rows(left) × rows(right)]. */
  public double[] scalarBlock(Prepared left, Prepared right) {
    int m = left.rows();
    int n = right.rows();
    double[] nl = left.squaredNorms();
    double[] nr = right.squaredNorms();
    if (basis == RandomFeatures.Basis.FOURIER) {
      double c = 2.0 * Math.PI * Math.PI * scale * scale;
      double[] k = Matrices.squaredDistances(left.x(), nl, m, right.x(), nr, n, inputs);
      for (int e = 0; e < k.length; e++) {
        k[e] = Math.exp(-c * k[e]);
      }
      return k;
    }
    double[] k = new double[m * n];
    Blas.get().gemmNT(m, n, inputs, 1.0, left.x(), right.x(), 0.0, k);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int e = i * n + j;
        k[e] = arcCosine(Math.sqrt(nl[i] * nr[j]), k[e]) / inputs;
      }
    }
    return k;
  }

  /**
   * (norm/π)(sin θ + (π − θ) cos θ) with cos θ = dot/norm, norm = ‖x‖‖x'‖: the degree-1 arc-cosine
   * kernel times d. Zero when either row is zero.
   */
  static double arcCosine(double norm, double dot) {
    if (norm == 0.0) {
      return 0.0;
    }
    double rho = Math.max(-1.0, Math.min(1.0, dot / norm));
    // sin θ = √((1 − ρ)(1 + ρ)): exact (0) at ρ = ±1, where sin(acos ρ) leaves ~1e-16
    return norm / Math.PI * (Math.sqrt((1.0 - rho) * (1.0 + rho)) + (Math.PI - Math.acos(rho)) * rho);
  }

  @Override
  public double[] block(Prepared left, Prepared right) {
    return outputs.expand(scalarBlock(left, right), left.rows(), right.rows(), modelOutputs);
  }

  @Override
  public long preparedBytes(int rows) {
    return 8L * rows * (inputs + 1L);
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    // the inner products, then a few dozen operations per entry (exp, or acos and sin)
    return (double) leftRows * rightRows * (inputs + 30.0);
  }

  @Override
  public String describe() {
    String sigma = basis == RandomFeatures.Basis.FOURIER ? ", σ = " + scale : "";
    String formula = basis == RandomFeatures.Basis.FOURIER ? "exp(−2π²σ²‖x − x'‖²)" : "degree-1 arc-cosine";
    return "random-features kernel P → ∞ (" + formula + "), " + basis.configName() + " basis" + sigma + ", "
        + outputs.configName() + ", " + inputs + " → " + modelOutputs;
  }
}
