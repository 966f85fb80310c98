package org.sparkntk.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkntk.linalg.Blas;

/**
 * The random-features model (docs/THEORY.md §10; Rahimi &amp; Recht 2007):
 *
 * <pre>f(x) = (1/√P) Σ_p θ_p f_p(x) ∈ R^O,   θ_p ∈ R^O trainable, drawn N(0, I_O)</pre>
 *
 * with P fixed random basis functions f_p: R^d → R. Since ∂f_a/∂θ_pb = δ_ab f_p(x)/√P, its NTK is
 * K̃(x, x')·I_O with K̃ = (1/P) Σ_p f_p(x) f_p(x'), which does not depend on θ and tends to a
 * limit K as P → ∞ (law of large numbers; the relative error of K̃ is of order 1/√P). Bases:
 * <ul>
 *   <li>{@code fourier}: f_p(x) = √2 cos(2π b_pᵀx + c_p), b_p ~ N(0, σ² I_d), c_p ~ U[0, 2π);
 *       K(x, x') = E[2 cos(2π bᵀx + c) cos(2π bᵀx' + c)] = E[cos 2π bᵀ(x − x')]
 *       = exp(−2π² σ² ‖x − x'‖²) (Rahimi &amp; Recht's random Fourier features of a Gaussian kernel;
 *       Tancik et al.'s Gaussian mapping with a random phase instead of the sin/cos pair).</li>
 *   <li>{@code relu}: f_p(x) = √2 relu(w_pᵀx/√d), w_p ~ N(0, I_d); with u = wᵀx/√d and
 *       v = wᵀx'/√d jointly Gaussian of variances ‖x‖²/d, ‖x'‖²/d,
 *       K(x, x') = 2 E[relu(u) relu(v)] = (‖x‖‖x'‖/(π d)) (sin θ + (π − θ) cos θ), θ the angle
 *       between x and x' (the arc-cosine kernel of degree 1, Cho &amp; Saul 2009).</li>
 * </ul>
 * The √2 makes K(x, x) = 1 (fourier) and ‖x‖²/d (relu), the scale of the network kernels.
 *
 * <p>Every draw is a pure function of the seed ({@link SeededDraws}: b_p or w_p, c_p and θ_p each
 * from their own stream), and the first P' draws of a model with P ≥ P' features are those of the
 * model with P' features: for one seed the models are nested. The draws are not serialised but
 * drawn again where they are needed, so an executor receives a few numbers instead of P·(d + O).
 *
 * <p>The P → ∞ model ({@link #limit}) has no draws. Its f_0 is taken as 0: the limit of f_0 is
 * not a function but a Gaussian process of covariance K (a new sample for each θ), and 0 is its
 * mean, the usual starting point of kernel regression.
 */
public final class RandomFeatures implements Model {
  private static final long serialVersionUID = 1L;

  /** Stream numbers of the draws, apart from the network's (tensor t of an MLP is stream t). */
  private static final long DIRECTION_STREAM = 1L << 32;
  private static final long PHASE_STREAM = DIRECTION_STREAM + 1;
  private static final long THETA_STREAM = DIRECTION_STREAM + 2;

  /** The random basis functions. */
  public enum Basis implements ConfigNamed {
    FOURIER("fourier"),
    RELU("relu");

    private final String configName;

    Basis(String configName) {
      this.configName = configName;
    }

    @Override
    public String configName() {
      return configName;
    }

    public static Basis fromConfig(String name) {
      return ConfigNamed.parse(Basis.class, name, "basis");
    }
  }

  /** b_p or w_p, row-major [P × d]; c_p (fourier only); θ, row-major [P × O]. */
  private record Draws(double[] directions, double[] phases, double[] theta) {}

  private final Basis basis;
  /** P, or 0 for the P → ∞ model. */
  private final int features;
  private final double scale;
  private final int inputs;
  private final int outputs;
  private final long seed;
  private transient volatile Draws draws;

  private RandomFeatures(Basis basis, int features, double scale, int inputs, int outputs, long seed) {
    if (inputs < 1 || outputs < 1) {
      throw new IllegalArgumentException("a random-features model needs at least one input and one output, got "
          + inputs + " and " + outputs);
    }
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("the scale σ must be a positive finite number, got " + scale);
    }
    if (basis == Basis.RELU && scale != 1.0) {
      throw new IllegalArgumentException("the relu basis has no scale (w_p ~ N(0, I_d)), got σ = " + scale);
    }
    Math.multiplyExact(features, Math.max(inputs, outputs)); // the draws must fit in one array
    this.basis = basis;
    this.features = features;
    this.scale = scale;
    this.inputs = inputs;
    this.outputs = outputs;
    this.seed = seed;
  }

  /**
   * The model with P = {@code features} basis functions and its θ, drawn from {@code seed}.
   *
   * @param scale σ of the Fourier frequencies b_p ~ N(0, σ² I_d); must be 1 for relu
   */
  public static RandomFeatures initialise(Basis basis, int features, double scale, int inputs, int outputs,
                                          long seed) {
    if (features < 1) {
      throw new IllegalArgumentException("a random-features model needs at least one feature, got " + features);
    }
    return new RandomFeatures(basis, features, scale, inputs, outputs, seed);
  }

  /** The P → ∞ model: kernel K, f_0 = 0 (see the class comment). */
  public static RandomFeatures limit(Basis basis, double scale, int inputs, int outputs) {
    return new RandomFeatures(basis, 0, scale, inputs, outputs, 0);
  }

  public Basis basis() {
    return basis;
  }

  /** Whether this is the P → ∞ model. */
  public boolean isLimit() {
    return features == 0;
  }

  /** P; the P → ∞ model has no feature count. */
  public int features() {
    if (isLimit()) {
      throw new IllegalStateException("the P → ∞ random-features model has no finite feature count");
    }
    return features;
  }

  public double scale() {
    return scale;
  }

  public long seed() {
    return seed;
  }

  @Override
  public int inputs() {
    return inputs;
  }

  @Override
  public int outputs() {
    return outputs;
  }

  private Draws draws() {
    Draws d = draws;
    if (d == null) {
      int p = features();
      double[] directions = SeededDraws.gaussians(seed, DIRECTION_STREAM, p * inputs);
      double[] phases = null;
      if (basis == Basis.FOURIER) {
        for (int i = 0; i < directions.length; i++) {
          directions[i] *= scale;
        }
        phases = SeededDraws.uniforms(seed, PHASE_STREAM, p);
        for (int i = 0; i < p; i++) {
          phases[i] *= 2.0 * Math.PI;
        }
      }
      d = new Draws(directions, phases, SeededDraws.gaussians(seed, THETA_STREAM, p * outputs));
      draws = d; // a race only draws the same numbers twice
    }
    return d;
  }

  /** The directions b_p (fourier, σ applied) or w_p (relu), row-major [P × d] (a copy). */
  public double[] directions() {
    return draws().directions().clone();
  }

  /** The phases c_p ∈ [0, 2π) of the Fourier basis (a copy); null for relu. */
  public double[] phases() {
    double[] c = draws().phases();
    return c == null ? null : c.clone();
  }

  /** θ, row-major [P × O] (a copy). */
  public double[] theta() {
    return draws().theta().clone();
  }

  /**
   * The basis functions of every row, Φ_ip = f_p(x_i), row-major [rows × P]: one GEMM for the
   * projections (2π X Bᵀ or X Wᵀ/√d), then the nonlinearity.
   */
  public double[] features(double[] x, int rows) {
    checkRows(x, rows);
    int p = features();
    Draws d = draws();
    double[] phi = new double[Math.multiplyExact(rows, p)];
    double sqrt2 = Math.sqrt(2.0);
    if (basis == Basis.FOURIER) {
      Blas.get().gemmNT(rows, p, inputs, 2.0 * Math.PI, x, d.directions(), 0.0, phi);
      double[] c = d.phases();
      for (int i = 0; i < rows; i++) {
        for (int k = 0; k < p; k++) {
          int e = i * p + k;
          phi[e] = sqrt2 * Math.cos(phi[e] + c[k]);
        }
      }
    } else {
      Blas.get().gemmNT(rows, p, inputs, 1.0 / Math.sqrt(inputs), x, d.directions(), 0.0, phi);
      for (int e = 0; e < phi.length; e++) {
        phi[e] = phi[e] > 0 ? sqrt2 * phi[e] : 0.0;
      }
    }
    return phi;
  }

  /** f_0(x) = (1/√P) Σ_p θ_p f_p(x) for every row, [rows × O]; 0 for the P → ∞ model. */
  @Override
  public double[] outputs(double[] x, int rows) {
    checkRows(x, rows);
    double[] f = new double[Math.multiplyExact(rows, outputs)];
    if (isLimit()) {
      return f;
    }
    Blas.get().gemm(rows, outputs, features, 1.0 / Math.sqrt(features), features(x, rows), draws().theta(), 0.0, f);
    return f;
  }

  private void checkRows(double[] x, int rows) {
    if (x.length != (long) rows * inputs) {
      throw new IllegalArgumentException("input has " + x.length + " values, expected rows × inputs = "
          + rows + " × " + inputs);
    }
  }

  /** P (trainable parameters: P·O, or inf), O, then model, basis, features, scale, seed. */
  @Override
  public Map<String, Object> summary() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("P", isLimit() ? "inf" : (Object) ((long) features * outputs));
    s.put("O", outputs);
    s.put("model", "randomfeatures");
    s.put("basis", basis.configName());
    s.put("features", isLimit() ? "inf" : (Object) features);
    if (basis == Basis.FOURIER) {
      s.put("scale", scale);
    }
    if (!isLimit()) {
      s.put("seed", seed);
    }
    return s;
  }

  @Override
  public String describe() {
    String sigma = basis == Basis.FOURIER ? ", σ = " + scale : "";
    return isLimit()
        ? "random features, " + basis.configName() + " basis, P → ∞" + sigma + ", f_0 = 0, " + inputs + " → " + outputs
        : "random features, " + basis.configName() + " basis, P = " + features + sigma + ", seed " + seed + ", "
            + inputs + " → " + outputs + ", " + (long) features * outputs + " parameters";
  }
}
