package org.sparkntk.model;

import java.io.Serializable;

/**
 * What back-propagation leaves per sample for a block of rows: the layer inputs a_l and the
 * output sensitivities δ_{l+1}^a = ∂f_a/∂z_{l+1}. Every Jacobian entry is a product of the two
 * (docs/THEORY.md §2): ∂f_a/∂W_l = c_W(l)·δ_{l+1}^a ⊗ a_l, ∂f_a/∂b_l = c_b·δ_{l+1}^a.
 *
 * <p>Layouts (row-major): {@code activation(l)} is [rows × n_l] (a_0 = x);
 * {@code sensitivity(l)} is δ_{l+1}, [rows·O × n_{l+1}] with row i·O + a;
 * {@code outputs()} is f, [rows × O].
 */
public final class LayerFactors implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Architecture architecture;
  private final int rows;
  private final double[][] activations;
  private final double[][] sensitivities;
  private final double[] outputs;

  public LayerFactors(Architecture architecture, int rows, double[][] activations,
                      double[][] sensitivities, double[] outputs) {
    this.architecture = architecture;
    this.rows = rows;
    this.activations = activations;
    this.sensitivities = sensitivities;
    this.outputs = outputs;
  }

  public Architecture architecture() {
    return architecture;
  }

  public int rows() {
    return rows;
  }

  /** a_l, [rows × n_l]. */
  public double[] activation(int layer) {
    return activations[layer];
  }

  /** δ_{l+1}, [rows·O × n_{l+1}], row i·O + a. */
  public double[] sensitivity(int layer) {
    return sensitivities[layer];
  }

  /** f(x), [rows × O]. */
  public double[] outputs() {
    return outputs;
  }
}
