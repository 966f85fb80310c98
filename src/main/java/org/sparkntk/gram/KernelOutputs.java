package org.sparkntk.gram;

import java.util.Locale;

/**
 * Which part of Θ(x, x') ∈ R^{O×O} a kernel returns.
 * <ul>
 *   <li>{@code trace}: the mean over outputs (1/O)·Σ_a Θ_aa(x, x'), one entry per pair of rows,
 *       as neural-tangents' default {@code trace_axes=(-1,)} (the PyTorch tutorial sums instead);</li>
 *   <li>{@code full}: all O×O entries, row index i·O + a.</li>
 * </ul>
 */
public enum KernelOutputs {
  TRACE("trace"),
  FULL("full");

  private final String configName;

  KernelOutputs(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Kernel rows per data row: 1 for trace, O for full. */
  public int rowsPerExample(int outputs) {
    return this == TRACE ? 1 : outputs;
  }

  public static KernelOutputs fromConfig(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (KernelOutputs k : values()) {
      if (k.configName.equals(n)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown kernel outputs '" + name + "'; expected trace or full");
  }
}
