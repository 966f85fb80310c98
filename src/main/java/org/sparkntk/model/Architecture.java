package org.sparkntk.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * The fully connected network family of docs/THEORY.md §1: layer widths n_0 (inputs), hidden
 * widths, n_L = O (outputs); φ between layers and none after the last; σ_w, σ_b and where they
 * live ({@link Parameterization}).
 */
public record Architecture(int[] widths, Activation activation, Parameterization parameterization,
                           double sigmaW, double sigmaB) implements Serializable {

  public Architecture {
    widths = widths.clone();
    if (widths.length < 2) {
      throw new IllegalArgumentException("a network needs at least an input and an output width, got "
          + Arrays.toString(widths));
    }
    for (int i = 0; i < widths.length; i++) {
      if (widths[i] <= 0) {
        throw new IllegalArgumentException("layer widths must be positive, got " + Arrays.toString(widths)
            + " (width " + i + " is " + widths[i] + ")");
      }
    }
    if (!(sigmaW > 0) || !Double.isFinite(sigmaW)) {
      throw new IllegalArgumentException("sigmaW must be a positive finite number, got " + sigmaW);
    }
    if (!(sigmaB >= 0) || !Double.isFinite(sigmaB)) {
      throw new IllegalArgumentException("sigmaB must be a non-negative finite number, got " + sigmaB);
    }
  }

  /** Input width n_0, hidden widths, output count: the constructor for the usual case. */
  public static Architecture of(int inputs, int[] hidden, int outputs, Activation activation,
                                Parameterization parameterization, double sigmaW, double sigmaB) {
    int[] w = new int[hidden.length + 2];
    w[0] = inputs;
    System.arraycopy(hidden, 0, w, 1, hidden.length);
    w[w.length - 1] = outputs;
    return new Architecture(w, activation, parameterization, sigmaW, sigmaB);
  }

  @Override
  public int[] widths() {
    return widths.clone();
  }

  /** n_l. */
  public int width(int layer) {
    return widths[layer];
  }

  /** Number of dense layers L. */
  public int depth() {
    return widths.length - 1;
  }

  public int inputs() {
    return widths[0];
  }

  public int outputs() {
    return widths[widths.length - 1];
  }

  /** Hidden widths n_1 … n_{L−1}. */
  public int[] hidden() {
    return Arrays.copyOfRange(widths, 1, widths.length - 1);
  }

  /** P = Σ_l (n_l n_{l+1} + n_{l+1}). */
  public long parameterCount() {
    long p = 0;
    for (int l = 0; l < depth(); l++) {
      p += (long) widths[l] * widths[l + 1] + widths[l + 1];
    }
    return p;
  }

  /** Offset of W_l in θ = (W_0, b_0, W_1, b_1, …), W_l flattened row-major; b_l follows W_l. */
  public long weightOffset(int layer) {
    long p = 0;
    for (int l = 0; l < layer; l++) {
      p += (long) widths[l] * widths[l + 1] + widths[l + 1];
    }
    return p;
  }

  /** σ_w/√n_l: the forward-pass factor of W_l a_l (both parameterisations). */
  public double forwardWeightScale(int layer) {
    return sigmaW / Math.sqrt(widths[layer]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Architecture a && Arrays.equals(widths, a.widths) && activation.equals(a.activation)
        && parameterization == a.parameterization && Double.compare(sigmaW, a.sigmaW) == 0
        && Double.compare(sigmaB, a.sigmaB) == 0;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(widths) * 31 + Objects.hash(activation, parameterization, sigmaW, sigmaB);
  }

  @Override
  public String toString() {
    return "MLP" + Arrays.toString(widths) + " " + activation.configName() + " "
        + parameterization.configName() + " σw=" + sigmaW + " σb=" + sigmaB;
  }
}
