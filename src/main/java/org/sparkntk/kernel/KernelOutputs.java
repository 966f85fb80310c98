package org.sparkntk.kernel;

import org.sparkntk.model.ConfigNamed;

/**
 * Which part of Θ(x, x') ∈ R^{O×O} a kernel returns.
 * <ul>
 *   <li>{@code trace}: the mean over outputs (1/O)·Σ_a Θ_aa(x, x'), one entry per pair of rows,
 *       as neural-tangents' default {@code trace_axes=(-1,)} (the PyTorch tutorial sums instead);</li>
 *   <li>{@code full}: all O×O entries, row index i·O + a.</li>
 * </ul>
 */
public enum KernelOutputs implements ConfigNamed {
  TRACE("trace"),
  FULL("full");

  private final String configName;

  KernelOutputs(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  /** Kernel rows per data row: 1 for trace, O for full. */
  public int rowsPerExample(int outputs) {
    return this == TRACE ? 1 : outputs;
  }

  /**
   * The kernel of an O-output model whose outputs share one scalar kernel k and are uncorrelated,
   * Θ = k ⊗ I_O: {@code scalar} itself for trace (the mean of the O equal diagonal entries), the
   * [m·O × n·O] matrix with entry (i·O + a, j·O + b) = k(x_i, x_j)·δ_ab for full.
   *
   * @param scalar row-major [m × n]
   */
  public double[] expand(double[] scalar, int m, int n, int outputs) {
    if (scalar.length != m * n) {
      throw new IllegalArgumentException("a scalar kernel block of " + m + " × " + n + " has " + m * n
          + " entries, got " + scalar.length);
    }
    if (this == TRACE) {
      return scalar;
    }
    int cols = n * outputs;
    double[] full = new double[m * outputs * cols];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double v = scalar[i * n + j];
        for (int a = 0; a < outputs; a++) {
          full[(i * outputs + a) * cols + j * outputs + a] = v;
        }
      }
    }
    return full;
  }

  public static KernelOutputs fromConfig(String name) {
    return ConfigNamed.parse(KernelOutputs.class, name, "kernel outputs");
  }
}
