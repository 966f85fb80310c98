package org.sparkntk.kernel.empirical;

import java.io.Serializable;
import org.sparkntk.jacobian.ExplicitJacobian;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.Mlp;

/**
 * The empirical NTK by Jacobian contraction, the reference route: Θ(x, x') = J(x) J(x')ᵀ with the
 * explicit per-sample Jacobians. Costs N·O backward passes and N²·O²·P multiply-adds for the full
 * Gram (N²·O·P for the trace, which only needs the O diagonal output blocks).
 */
public final class ExplicitNtk implements BlockKernel<ExplicitNtk.JacobianBlock> {
  private static final long serialVersionUID = 1L;

  /**
   * Per-sample Jacobians of a block of rows, output-major: row-major [O·rows × P], row a·rows + i
   * is ∂f_a(x_i)/∂θ, so that each output's rows are one contiguous matrix for the GEMMs.
   */
  public record JacobianBlock(int rows, double[] jacobian) implements Serializable {}

  private final Mlp mlp;
  private final KernelOutputs outputs;

  public ExplicitNtk(Mlp mlp, KernelOutputs outputs) {
    this.mlp = mlp;
    this.outputs = outputs;
  }

  @Override
  public JacobianBlock prepare(double[] x, int rows) {
    double[] perSample = ExplicitJacobian.of(mlp.factors(x, rows));
    int o = mlp.architecture().outputs();
    int p = Math.toIntExact(mlp.architecture().parameterCount());
    double[] outputMajor = new double[perSample.length];
    for (int i = 0; i < rows; i++) {
      for (int a = 0; a < o; a++) {
        System.arraycopy(perSample, (i * o + a) * p, outputMajor, (a * rows + i) * p, p);
      }
    }
    return new JacobianBlock(rows, outputMajor);
  }

  @Override
  public int rows(JacobianBlock prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return outputs.rowsPerExample(mlp.architecture().outputs());
  }

  @Override
  public double[] block(JacobianBlock left, JacobianBlock right) {
    int o = mlp.architecture().outputs();
    int p = Math.toIntExact(mlp.architecture().parameterCount());
    Blas blas = Blas.get();
    int m = left.rows();
    int n = right.rows();
    if (outputs == KernelOutputs.FULL) {
      // One GEMM in output-major order (a·m + i, b·n + j), then rows and columns to i·O + a, j·O + b.
      double[] byOutput = new double[m * o * n * o];
      blas.gemmNT(m * o, n * o, p, 1.0, left.jacobian(), right.jacobian(), 0.0, byOutput);
      double[] k = new double[byOutput.length];
      for (int a = 0; a < o; a++) {
        for (int i = 0; i < m; i++) {
          int src = (a * m + i) * n * o;
          int dst = (i * o + a) * n * o;
          for (int b = 0; b < o; b++) {
            for (int j = 0; j < n; j++) {
              k[dst + j * o + b] = byOutput[src + b * n + j];
            }
          }
        }
      }
      return k;
    }
    // Trace: (1/O) Σ_a J_a(X_I) J_a(X_J)ᵀ.
    double[] k = new double[m * n];
    for (int a = 0; a < o; a++) {
      blas.gemm(false, true, m, n, p, 1.0 / o, left.jacobian(), a * m * p, p,
          right.jacobian(), a * n * p, p, 1.0, k, 0, n);
    }
    return k;
  }

  @Override
  public long preparedBytes(int rows) {
    return 8L * rows * mlp.architecture().outputs() * mlp.architecture().parameterCount();
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    int o = mlp.architecture().outputs();
    double pairs = (double) leftRows * rightRows * mlp.architecture().parameterCount();
    return outputs == KernelOutputs.FULL ? pairs * o * o : pairs * o;
  }

  @Override
  public String describe() {
    return "empirical NTK (explicit Jacobians, " + outputs.configName() + ") of " + mlp.architecture();
  }
}
