package org.sparkntk.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkntk.linalg.Blas;

/**
 * A fully connected network of docs/THEORY.md §1 (Jacot et al. 2018, §2) with its raw N(0, 1) parameters:
 * z_{l+1} = (σ_w/√n_l)·W_l a_l + σ_b·b_l, a_{l+1} = φ(z_{l+1}), f(x) = z_L.
 *
 * <p>Immutable; plain Java over row-major arrays, no Spark. Batches of rows are row-major
 * {@code double[rows × n_0]}.
 */
public final class Mlp implements Model {
  private static final long serialVersionUID = 1L;

  private final Architecture architecture;
  /** Raw W_l, row-major [n_{l+1} × n_l]. */
  private final double[][] weights;
  /** Raw b_l, [n_{l+1}]. */
  private final double[][] biases;

  public Mlp(Architecture architecture, double[][] weights, double[][] biases) {
    int depth = architecture.depth();
    if (weights.length != depth || biases.length != depth) {
      throw new IllegalArgumentException("a depth-" + depth + " network needs " + depth
          + " weight and bias tensors, got " + weights.length + " and " + biases.length);
    }
    for (int l = 0; l < depth; l++) {
      long w = (long) architecture.width(l + 1) * architecture.width(l);
      if (weights[l].length != w) {
        throw new IllegalArgumentException("W" + l + " has " + weights[l].length + " entries, expected "
            + architecture.width(l + 1) + " × " + architecture.width(l));
      }
      if (biases[l].length != architecture.width(l + 1)) {
        throw new IllegalArgumentException("b" + l + " has " + biases[l].length + " entries, expected "
            + architecture.width(l + 1));
      }
    }
    this.architecture = architecture;
    this.weights = weights;
    this.biases = biases;
  }

  /**
   * A fresh initialisation, a pure function of {@code seed}: tensor t of θ = (W_0, b_0, W_1, …)
   * is filled from stream t of {@link SeededDraws}, SplitMix64 turned into N(0, 1) draws by
   * Box–Muller. Nothing depends on partitions, executors or the JDK's Gaussian algorithm.
   */
  public static Mlp initialise(Architecture architecture, long seed) {
    int depth = architecture.depth();
    double[][] w = new double[depth][];
    double[][] b = new double[depth][];
    for (int l = 0; l < depth; l++) {
      long entries = (long) architecture.width(l + 1) * architecture.width(l);
      if (entries > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("W" + l + " of " + architecture + " would have " + architecture.width(l + 1)
            + " × " + architecture.width(l) + " = " + entries + " entries, more than one Java array holds");
      }
      int size = (int) entries;
      w[l] = SeededDraws.gaussians(seed, 2L * l, size);
      b[l] = SeededDraws.gaussians(seed, 2L * l + 1, architecture.width(l + 1));
    }
    return new Mlp(architecture, w, b);
  }

  public Architecture architecture() {
    return architecture;
  }

  /** Raw W_l (not a copy: callers must not modify it). */
  public double[] weight(int layer) {
    return weights[layer];
  }

  /** Raw b_l (not a copy: callers must not modify it). */
  public double[] bias(int layer) {
    return biases[layer];
  }

  /**
   * The trainable parameters θ = (W_0, b_0, W_1, b_1, …) of the parameterisation, W_l row-major, at
   * {@link Architecture#weightOffset}: the raw draws (ntk) or W' = (σ_w/√n_l)·W, b' = σ_b·b (standard).
   * This is the θ that {@link org.sparkntk.jacobian.ExplicitJacobian} differentiates by. A fresh copy.
   */
  public double[] parameters() {
    double[] theta = new double[parameterArrayLength(architecture)];
    Parameterization p = architecture.parameterization();
    double cb = p.trainableBiasScale(architecture.sigmaB());
    for (int l = 0; l < architecture.depth(); l++) {
      int offset = (int) architecture.weightOffset(l);
      double cw = p.trainableWeightScale(architecture.sigmaW(), architecture.width(l));
      double[] w = weights[l];
      for (int k = 0; k < w.length; k++) {
        theta[offset + k] = cw * w[k];
      }
      double[] b = biases[l];
      for (int j = 0; j < b.length; j++) {
        theta[offset + w.length + j] = cb * b[j];
      }
    }
    return theta;
  }

  /**
   * The network of the same architecture with trainable parameters θ (layout of {@link #parameters()});
   * this network is unchanged. In the standard parameterisation the raw tensors become θ divided by
   * σ_w/√n_l and σ_b (exact to rounding); with σ_b = 0 a raw bias cannot express b' ≠ 0, which is refused.
   */
  public Mlp withParameters(double[] theta) {
    int size = parameterArrayLength(architecture);
    if (theta.length != size) {
      throw new IllegalArgumentException("parameter vector has " + theta.length + " entries, "
          + architecture + " has P = " + size);
    }
    Parameterization p = architecture.parameterization();
    double cb = p.trainableBiasScale(architecture.sigmaB());
    int depth = architecture.depth();
    double[][] w = new double[depth][];
    double[][] b = new double[depth][];
    for (int l = 0; l < depth; l++) {
      int offset = (int) architecture.weightOffset(l);
      double cw = p.trainableWeightScale(architecture.sigmaW(), architecture.width(l));
      w[l] = new double[weights[l].length];
      for (int k = 0; k < w[l].length; k++) {
        w[l][k] = theta[offset + k] / cw;
      }
      b[l] = new double[biases[l].length];
      for (int j = 0; j < b[l].length; j++) {
        double v = theta[offset + w[l].length + j];
        if (cb == 0.0 && v != 0.0) {
          throw new IllegalArgumentException("bias b'_" + l + "[" + j + "] = " + v + " cannot be represented: "
              + "in the standard parameterisation with σ_b = 0 the stored raw bias b gives b' = σ_b·b = 0; "
              + "use σ_b > 0 or the ntk parameterisation");
        }
        b[l][j] = cb == 0.0 ? 0.0 : v / cb;
      }
    }
    return new Mlp(architecture, w, b);
  }

  private static int parameterArrayLength(Architecture architecture) {
    long p = architecture.parameterCount();
    if (p > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(architecture + " has P = " + p
          + " parameters, more than one Java array holds");
    }
    return (int) p;
  }

  @Override
  public int inputs() {
    return architecture.inputs();
  }

  @Override
  public int outputs() {
    return architecture.outputs();
  }

  /** f(x) for every row: row-major [rows × O]. */
  @Override
  public double[] outputs(double[] x, int rows) {
    return forward(x, rows, false).outputs();
  }

  /** P, O, the widths, φ, the parameterisation, σ_w and σ_b. */
  @Override
  public Map<String, Object> summary() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("P", architecture.parameterCount());
    s.put("O", architecture.outputs());
    s.put("widths", architecture.widths());
    s.put("activation", architecture.activation().configName());
    s.put("parameterization", architecture.parameterization().configName());
    s.put("sigmaW", architecture.sigmaW());
    s.put("sigmaB", architecture.sigmaB());
    return s;
  }

  @Override
  public String describe() {
    return architecture + ", " + architecture.parameterCount() + " parameters";
  }

  /**
   * Per-sample activations a_0 … a_{L−1} and output sensitivities δ_{l+1}^a = ∂f_a/∂z_{l+1} of
   * every row: all a Jacobian or factorised NTK needs. Back-propagation, for all O outputs at once:
   * Δ_L = I_O, Δ_l = (σ_w/√n_l · Δ_{l+1} W_l) ∘ φ'(z_l).
   */
  public LayerFactors factors(double[] x, int rows) {
    ForwardPass fw = forward(x, rows, true);
    int depth = architecture.depth();
    int o = architecture.outputs();
    double[][] sensitivities = new double[depth][];
    double[] delta = new double[rows * o * o];
    for (int i = 0; i < rows; i++) {
      for (int a = 0; a < o; a++) {
        delta[(i * o + a) * o + a] = 1.0;
      }
    }
    sensitivities[depth - 1] = delta;
    Blas blas = Blas.get();
    for (int l = depth - 1; l >= 1; l--) {
      int out = architecture.width(l + 1);
      int in = architecture.width(l);
      double[] next = new double[rows * o * in];
      blas.gemm(rows * o, in, out, architecture.forwardWeightScale(l), delta, weights[l], 0.0, next);
      double[] z = fw.preActivations()[l];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < in; j++) {
          double d = architecture.activation().derivative(z[i * in + j]);
          for (int a = 0; a < o; a++) {
            next[(i * o + a) * in + j] *= d;
          }
        }
      }
      sensitivities[l - 1] = next;
      delta = next;
    }
    return new LayerFactors(architecture, rows, fw.activations(), sensitivities, fw.outputs());
  }

  /**
   * Everything a forward pass over a block of rows computes, row-major: the layer inputs a_l
   * ([rows × n_l], l = 0 … L−1, a_0 = x), the pre-activations z_l ([rows × n_l], l = 1 … L−1;
   * index 0 is null since a_0 = x has none) and the outputs f = z_L ([rows × O]).
   */
  public record ForwardPass(int rows, double[][] activations, double[][] preActivations, double[] outputs) {}

  /**
   * Σ_i J(x_i)ᵀ g_i, the vector–Jacobian product over a block of rows (one backward pass), with
   * J(x) = ∂f(x)/∂θ of {@link org.sparkntk.jacobian.ExplicitJacobian} and g row-major [rows × O]:
   * G_{L−1} = g, G_{l−1} = (s_l G_l W_l) ∘ φ'(Z_l); the W_l block is c_W(l) G_lᵀ A_l and the b_l
   * block c_b Σ_i (G_l)_i. Returns θ's layout ({@link #parameters()}), added into {@code into}
   * when it is not null.
   */
  public double[] vjp(ForwardPass fw, double[] g, double[] into) {
    int rows = fw.rows();
    int o = architecture.outputs();
    if (g.length != (long) rows * o) {
      throw new IllegalArgumentException("cotangents have " + g.length + " values, expected rows × outputs = "
          + rows + " × " + o);
    }
    double[] out = into != null ? into : new double[parameterArrayLength(architecture)];
    Blas blas = Blas.get();
    Parameterization param = architecture.parameterization();
    double cb = param.biasGradientScale(architecture.sigmaB());
    Activation phi = architecture.activation();
    double[] grad = g;
    for (int l = architecture.depth() - 1; l >= 0; l--) {
      int in = architecture.width(l);
      int width = architecture.width(l + 1);
      int offset = (int) architecture.weightOffset(l);
      blas.gemm(true, false, width, in, rows, param.weightGradientScale(architecture.sigmaW(), in), grad, 0, width,
          fw.activations()[l], 0, in, 1.0, out, offset, in);
      int bias = offset + width * in;
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < width; j++) {
          out[bias + j] += cb * grad[i * width + j];
        }
      }
      if (l == 0) {
        break;
      }
      double[] previous = new double[rows * in];
      blas.gemm(rows, in, width, architecture.forwardWeightScale(l), grad, weights[l], 0.0, previous);
      double[] z = fw.preActivations()[l];
      for (int k = 0; k < previous.length; k++) {
        previous[k] *= phi.derivative(z[k]);
      }
      grad = previous;
    }
    return out;
  }

  /**
   * J(x_i) u for every row of the block, the Jacobian–vector product (one forward-mode pass), with
   * u in θ's layout: dZ_{l+1} = c_W(l) A_l dW_lᵀ + c_b 1 db_lᵀ + s_l dA_l W_lᵀ, dA_l = φ'(Z_l) ∘ dZ_l,
   * dA_0 = 0. Returns row-major [rows × O].
   */
  public double[] jvp(ForwardPass fw, double[] u) {
    if (u.length != architecture.parameterCount()) {
      throw new IllegalArgumentException("a tangent of " + u.length + " values for P = "
          + architecture.parameterCount() + " parameters");
    }
    int rows = fw.rows();
    Blas blas = Blas.get();
    Parameterization param = architecture.parameterization();
    double cb = param.biasGradientScale(architecture.sigmaB());
    Activation phi = architecture.activation();
    double[] dA = null;
    for (int l = 0; ; l++) {
      int in = architecture.width(l);
      int width = architecture.width(l + 1);
      int offset = (int) architecture.weightOffset(l);
      int bias = offset + width * in;
      double[] dZ = new double[rows * width];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < width; j++) {
          dZ[i * width + j] = cb * u[bias + j];
        }
      }
      // c_W A_l dW_lᵀ, dW_l = u[offset …] row-major [width × in]
      blas.gemm(false, true, rows, width, in, param.weightGradientScale(architecture.sigmaW(), in),
          fw.activations()[l], 0, in, u, offset, in, 1.0, dZ, 0, width);
      if (dA != null) {
        blas.gemm(false, true, rows, width, in, architecture.forwardWeightScale(l), dA, 0, in, weights[l], 0, in,
            1.0, dZ, 0, width);
      }
      if (l == architecture.depth() - 1) {
        return dZ;
      }
      double[] z = fw.preActivations()[l + 1];
      for (int k = 0; k < dZ.length; k++) {
        dZ[k] *= phi.derivative(z[k]);
      }
      dA = dZ;
    }
  }

  /** One forward pass keeping every layer's input and pre-activation (what back-propagation needs). */
  public ForwardPass forwardPass(double[] x, int rows) {
    return forward(x, rows, true);
  }

  private ForwardPass forward(double[] x, int rows, boolean keep) {
    int n0 = architecture.inputs();
    if (x.length != (long) rows * n0) {
      throw new IllegalArgumentException("input has " + x.length + " values, expected rows × inputs = "
          + rows + " × " + n0);
    }
    int depth = architecture.depth();
    double[][] activations = keep ? new double[depth][] : null;
    double[][] preActivations = keep ? new double[depth][] : null;
    Blas blas = Blas.get();
    Activation phi = architecture.activation();
    double[] a = x;
    for (int l = 0; ; l++) {
      if (keep) {
        activations[l] = a;
      }
      int in = architecture.width(l);
      int out = architecture.width(l + 1);
      double[] z = new double[rows * out];
      double[] b = biases[l];
      double sb = architecture.sigmaB();
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < out; j++) {
          z[i * out + j] = sb * b[j];
        }
      }
      // Z := s_l · A W_lᵀ + σ_b·1bᵀ
      blas.gemm(false, true, rows, out, in, architecture.forwardWeightScale(l), a, 0, in, weights[l], 0, in,
          1.0, z, 0, out);
      if (l == depth - 1) {
        return new ForwardPass(rows, activations, preActivations, z);
      }
      if (keep) {
        preActivations[l + 1] = z;
      }
      double[] next = new double[z.length];
      for (int k = 0; k < z.length; k++) {
        next[k] = phi.value(z[k]);
      }
      a = next;
    }
  }
}
