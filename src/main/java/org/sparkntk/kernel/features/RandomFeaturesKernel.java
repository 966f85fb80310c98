package org.sparkntk.kernel.features;

import java.io.Serializable;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.RandomFeatures;

/**
 * The NTK of the random-features model f(x) = (1/√P) Σ_p θ_p f_p(x) ({@link RandomFeatures};
 * docs/THEORY.md §10): K̃(x, x') ⊗ I_O with
 *
 * <pre>K̃(x, x') = (1/P) Σ_p f_p(x) f_p(x')</pre>
 *
 * An executor computes the feature matrix Φ = [f_p(x_i)] of a block of rows once ({@link #prepare},
 * [rows × P]); a Gram block is one GEMM, K̃(X_I, X_J) = Φ_I Φ_Jᵀ / P. {@code trace} returns K̃ (the
 * mean of the O equal diagonal entries), {@code full} K̃ ⊗ I_O, row index i·O + a. Its P → ∞ limit
 * is {@link RandomFeaturesLimit}. float64 throughout.
 */
public final class RandomFeaturesKernel implements BlockKernel<RandomFeaturesKernel.Prepared> {
  private static final long serialVersionUID = 1L;

  /** The basis functions of a block of rows, Φ row-major [rows × P]. */
  public record Prepared(int rows, double[] features) implements Serializable {}

  private final RandomFeatures model;
  private final KernelOutputs outputs;

  public RandomFeaturesKernel(RandomFeatures model, KernelOutputs outputs) {
    if (model.isLimit()) {
      throw new IllegalArgumentException("the P → ∞ random-features model has no feature matrix: "
          + "use RandomFeaturesLimit");
    }
    this.model = model;
    this.outputs = outputs;
  }

  public RandomFeatures model() {
    return model;
  }

  @Override
  public Prepared prepare(double[] x, int rows) {
    return new Prepared(rows, model.features(x, rows));
  }

  @Override
  public int rows(Prepared prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return outputs.rowsPerExample(model.outputs());
  }

  /** K̃ = Φ_L Φ_Rᵀ / P, row-major [rows(left) × rows(right)]. */
  public double[] scalarBlock(Prepared left, Prepared right) {
    int p = model.features();
    double[] k = new double[left.rows() * right.rows()];
    Blas.get().gemmNT(left.rows(), right.rows(), p, 1.0 / p, left.features(), right.features(), 0.0, k);
    return k;
  }

  @Override
  public double[] block(Prepared left, Prepared right) {
    return outputs.expand(scalarBlock(left, right), left.rows(), right.rows(), model.outputs());
  }

  @Override
  public long preparedBytes(int rows) {
    return 8L * rows * model.features();
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    return (double) leftRows * rightRows * model.features();
  }

  @Override
  public String describe() {
    return "random-features kernel (1/P) Σ f_p f_p', " + outputs.configName() + ", of " + model.describe();
  }
}
