package org.sparkntk.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * A fixed (not trained) input mapping γ placed before the MLP (Tancik et al. 2020; docs/THEORY.md §9),
 * from d input coordinates v to n_0 = {@link #outputs()} network inputs:
 * <ul>
 *   <li>{@code none}: γ(v) = v;</li>
 *   <li>{@code basic}: γ(v) = [cos 2πv, sin 2πv] elementwise (2d);</li>
 *   <li>{@code positional}: γ(v) = [cos 2πσ^{j/m} v, sin 2πσ^{j/m} v], j = 0 … m−1 (2md; entry
 *       j·d + k of each half is coordinate k at frequency σ^{j/m});</li>
 *   <li>{@code gaussian}: γ(v) = [cos 2πBv, sin 2πBv] with B ∈ R^{m×d}, B_ij ~ N(0, σ²) drawn from
 *       the seed (2m).</li>
 * </ul>
 * Since cos a cos a' + sin a sin a' = cos(a − a'), γ(v)ᵀγ(v') = Σ_j cos(2π b_jᵀ(v − v')) and
 * ‖γ(v)‖² is constant: the infinite-width kernels, functions of inner products and norms, depend on
 * v − v' only (stationary); a finite network's empirical NTK is so only in distribution over its
 * initialisation (docs/THEORY.md §9). For the Gaussian mapping the
 * normalised input Gram γ(v)ᵀγ(v')/n_0 = (1/2m) Σ_j cos(2π b_jᵀ(v − v')) tends, as m → ∞, to
 * ½·E[cos(2π bᵀΔ)] = ½·exp(−2π²σ²‖Δ‖²) (the characteristic function of N(0, σ²I)); {@link
 * #gaussianLimit} is that m = ∞ mapping, which has no finite feature vector and is used only by
 * the analytic kernel through {@link #limitInputKernel}.
 */
public final class InputMapping implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final double TWO_PI = 2.0 * Math.PI;
  /** Tensor index of B in the seed's streams, apart from the network's tensors 0 … 2L−1. */
  private static final long B_TENSOR = 0x4655_5249_4552L;

  /** The mapping families of docs/THEORY.md §9. */
  public enum Kind implements ConfigNamed {
    NONE, BASIC, POSITIONAL, GAUSSIAN;

    @Override
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind fromConfig(String name) {
      return ConfigNamed.parse(Kind.class, name, "input mapping");
    }
  }

  private final Kind kind;
  private final int inputs;
  private final double scale;
  /** m (positional: frequencies; gaussian: features); 0 for the Gaussian m → ∞ limit. */
  private final int features;
  /** gaussian: B row-major [m × d]; positional: the m frequencies σ^{j/m}; else empty. */
  private final double[] frequencies;

  private InputMapping(Kind kind, int inputs, double scale, int features, double[] frequencies) {
    if (inputs < 1) {
      throw new IllegalArgumentException("an input mapping needs at least one input coordinate, got " + inputs);
    }
    this.kind = kind;
    this.inputs = inputs;
    this.scale = scale;
    this.features = features;
    this.frequencies = frequencies;
  }

  public static InputMapping none(int inputs) {
    return new InputMapping(Kind.NONE, inputs, 1.0, 0, new double[0]);
  }

  public static InputMapping basic(int inputs) {
    return new InputMapping(Kind.BASIC, inputs, 1.0, 0, new double[0]);
  }

  public static InputMapping positional(int inputs, double scale, int frequencies) {
    checkScale(scale);
    checkFeatures(frequencies);
    double[] f = new double[frequencies];
    for (int j = 0; j < frequencies; j++) {
      f[j] = Math.pow(scale, (double) j / frequencies);
    }
    return new InputMapping(Kind.POSITIONAL, inputs, scale, frequencies, f);
  }

  /** B_ij = σ·z_ij with z from the seed's own stream (a pure function of seed, m and d). */
  public static InputMapping gaussian(int inputs, double scale, int features, long seed) {
    checkScale(scale);
    checkFeatures(features);
    double[] b = SeededDraws.gaussians(seed, B_TENSOR, Math.multiplyExact(features, inputs));
    for (int i = 0; i < b.length; i++) {
      b[i] *= scale;
    }
    return new InputMapping(Kind.GAUSSIAN, inputs, scale, features, b);
  }

  /** A Gaussian mapping with a given B (row-major [m × d]), as saved with a model. */
  public static InputMapping gaussian(int inputs, double scale, double[] b) {
    checkScale(scale);
    if (b.length == 0 || b.length % inputs != 0) {
      throw new IllegalArgumentException("B must hold m × " + inputs + " values, got " + b.length);
    }
    return new InputMapping(Kind.GAUSSIAN, inputs, scale, b.length / inputs, b.clone());
  }

  /** The m → ∞ Gaussian mapping: only its input kernel exists. */
  public static InputMapping gaussianLimit(int inputs, double scale) {
    checkScale(scale);
    return new InputMapping(Kind.GAUSSIAN, inputs, scale, 0, new double[0]);
  }

  private static void checkScale(double scale) {
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("the mapping scale σ must be a positive finite number, got " + scale);
    }
  }

  private static void checkFeatures(int m) {
    if (m < 1) {
      throw new IllegalArgumentException("the mapping needs at least one frequency/feature, got " + m);
    }
  }

  public Kind kind() {
    return kind;
  }

  /** d, the number of input coordinates. */
  public int inputs() {
    return inputs;
  }

  public double scale() {
    return scale;
  }

  /** m; 0 for the Gaussian limit and for none/basic. */
  public int features() {
    return features;
  }

  /** False only for the Gaussian m → ∞ limit. */
  public boolean isFinite() {
    return !(kind == Kind.GAUSSIAN && features == 0);
  }

  /** The Gaussian mapping's B, row-major [m × d] (a copy). */
  public double[] gaussianMatrix() {
    if (kind != Kind.GAUSSIAN || features == 0) {
      throw new IllegalStateException("only a finite Gaussian mapping has a matrix B");
    }
    return frequencies.clone();
  }

  /** n_0, the width of γ(v) that the network sees. */
  public int outputs() {
    return switch (kind) {
      case NONE -> inputs;
      case BASIC -> 2 * inputs;
      case POSITIONAL -> Math.multiplyExact(2 * features, inputs);
      case GAUSSIAN -> {
        if (features == 0) {
          throw new IllegalStateException("the Gaussian m → ∞ mapping has no finite feature vector");
        }
        yield 2 * features;
      }
    };
  }

  /** γ of each row: x row-major [rows × d] → [rows × n_0]. The identity returns x itself. */
  public double[] apply(double[] x, int rows) {
    if (x.length < (long) rows * inputs) {
      throw new IllegalArgumentException("expected " + rows + " rows of " + inputs + " inputs, got " + x.length);
    }
    if (kind == Kind.NONE) {
      return x;
    }
    int n0 = outputs();
    int half = n0 / 2;
    double[] out = new double[Math.multiplyExact(rows, n0)];
    double[] phase = new double[half];
    for (int r = 0; r < rows; r++) {
      int xo = r * inputs;
      switch (kind) {
        case BASIC -> {
          for (int k = 0; k < inputs; k++) {
            phase[k] = TWO_PI * x[xo + k];
          }
        }
        case POSITIONAL -> {
          for (int j = 0; j < features; j++) {
            for (int k = 0; k < inputs; k++) {
              phase[j * inputs + k] = TWO_PI * frequencies[j] * x[xo + k];
            }
          }
        }
        default -> {
          for (int j = 0; j < features; j++) {
            double s = 0;
            for (int k = 0; k < inputs; k++) {
              s += frequencies[j * inputs + k] * x[xo + k];
            }
            phase[j] = TWO_PI * s;
          }
        }
      }
      int o = r * n0;
      for (int p = 0; p < half; p++) {
        out[o + p] = Math.cos(phase[p]);
        out[o + half + p] = Math.sin(phase[p]);
      }
    }
    return out;
  }

  /**
   * The Gaussian limit's normalised input kernel lim γ(v)ᵀγ(v')/n_0 = ½·exp(−2π²σ²‖v − v'‖²),
   * given ‖v − v'‖² (clamped at 0 against rounding).
   */
  public double limitInputKernel(double squaredDistance) {
    if (kind != Kind.GAUSSIAN) {
      throw new IllegalStateException("only the Gaussian mapping has an m → ∞ input kernel");
    }
    return 0.5 * Math.exp(-2.0 * Math.PI * Math.PI * scale * scale * Math.max(0.0, squaredDistance));
  }

  /** For logs and metrics, e.g. {@code gaussian(σ=10, m=256)}. */
  public String describe() {
    return switch (kind) {
      case NONE -> "none";
      case BASIC -> "basic";
      case POSITIONAL -> "positional(σ=" + scale + ", m=" + features + ")";
      case GAUSSIAN -> "gaussian(σ=" + scale + ", m=" + (features == 0 ? "∞" : features) + ")";
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputMapping m && kind == m.kind && inputs == m.inputs
        && Double.compare(scale, m.scale) == 0 && features == m.features
        && Arrays.equals(frequencies, m.frequencies);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(frequencies) * 31 + Objects.hash(kind, inputs, scale, features);
  }

  @Override
  public String toString() {
    return describe();
  }
}
