package org.sparkntk.gram;

import java.io.Serializable;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Parameterization;

/**
 * The infinite-width kernels of the MLP family (NTK-NOTES.md §3; Jacot et al. 2018, Thm 1;
 * neural-tangents {@code stax.Dense(W_std=σ_w, b_std=σ_b, parameterization='ntk')}): the NNGP
 * kernel Σ_L or the NTK Θ_L, by the recursion
 *
 * <pre>
 * Σ_0(x, x') = xᵀx'/n_0,   Σ_1 = σ_w² Σ_0 + σ_b²,   Θ_1 = Σ_1
 * for l = 1 … L−1, (u, v) ~ N(0, [[Σ_l(x,x), Σ_l(x,x')], [Σ_l(x,x'), Σ_l(x',x')]]):
 *   Σ̂_l = E[φ(u)φ(v)],  Σ̇_l = E[φ'(u)φ'(v)]
 *   Σ_{l+1} = σ_w² Σ̂_l + σ_b²,   Θ_{l+1} = σ_w² Σ̇_l Θ_l + Σ_{l+1}
 * </pre>
 *
 * <p>Only the hidden widths' limit matters: the kernel depends on the architecture through n_0,
 * the depth L, φ, σ_w and σ_b. The empirical NTK of {@link StructuredNtk} converges to Θ_L ⊗ I_O
 * as every hidden width → ∞. {@code trace} returns Θ_L (the mean over outputs of Θ_L ⊗ I_O);
 * {@code full} returns Θ_L ⊗ I_O, row index i·O + a. The NNGP is treated the same way with Σ_L.
 *
 * <p>Expectations: closed forms for relu (arc-cosine kernel, Cho &amp; Saul 2009), abs (as
 * relu(x) + relu(−x)), erf (Williams 1997) and identity; every other activation (tanh, sin, gelu)
 * by {@link GaussHermite} quadrature with {@link #DEFAULT_QUADRATURE_POINTS} points per dimension
 * (as neural-tangents' ElementwiseNumerical), factoring on the larger variance first so the Gram
 * is exactly symmetric. The rule is exact for polynomials of degree ≤ 2n − 1 and converges
 * geometrically for smooth φ, more slowly as the variances grow: measured for tanh at 64 points
 * (against scipy adaptive quadrature, scripts/golden/make_analytic_golden.py), the error of
 * E[tanh²] is 3e-9 at variance 1, 1e-6 at 2, 2e-5 at 3, 9e-5 at 4, and that of E[tanh'²] — which
 * multiplies into Θ — 1e-7, 2e-5, 2e-4, 9e-4. The analytic golden test sees 3e-6 relative on Θ
 * with σ_w = 1 and 8e-4 with σ_w = 1.5 (3 layers). Pass more points to the constructor for large σ_w or deep networks. Each
 * quadrature entry costs n² evaluations of φ and φ' per hidden layer (≈ 8·10³ at n = 64), far
 * more than a closed form.
 *
 * <p>Degenerate inputs: correlations are clipped to [−1, 1] before arccos/arcsin; a zero variance
 * (a zero row with σ_b = 0) gives Σ̂ = Σ̇ = 0 for relu (u ≡ 0 and relu'(0) = 0, as the empirical
 * network computes it), and the quadrature value φ(0)·E[φ(v)] for the others. No NaN arises on
 * finite inputs.
 *
 * <p>float64 throughout. Only the 'ntk' parameterisation is supported.
 */
public final class AnalyticNtk implements BlockKernel<AnalyticNtk.Prepared> {
  private static final long serialVersionUID = 1L;

  /** Gauss–Hermite points per dimension for activations without a closed form. */
  public static final int DEFAULT_QUADRATURE_POINTS = 64;

  /**
   * A prepared block: the rows (row-major [rows × n_0]) and the diagonal recursion values
   * {@code diagonal[l − 1][i] = Σ_l(x_i, x_i)} for l = 1 … L (those for l ≤ L − 1 are the
   * k11/k22 of the hidden layers' expectations).
   */
  public record Prepared(int rows, double[] x, double[][] diagonal) implements Serializable {}

  private final Architecture arch;
  private final KernelOutputs outputs;
  private final boolean ntk;
  private final GaussHermite rule;

  /** The NTK ({@code ntk = true}) or NNGP kernel with the default quadrature. */
  public AnalyticNtk(Architecture arch, KernelOutputs outputs, boolean ntk) {
    this(arch, outputs, ntk, DEFAULT_QUADRATURE_POINTS);
  }

  public AnalyticNtk(Architecture arch, KernelOutputs outputs, boolean ntk, int quadraturePoints) {
    if (arch.parameterization() != Parameterization.NTK) {
      throw new UnsupportedOperationException("the analytic (infinite-width) kernel is implemented for the "
          + "'ntk' parameterisation only; got '" + arch.parameterization().configName()
          + "' (in the 'standard' parameterisation the NTK's weight terms scale with the hidden widths "
          + "and have no finite limit without rescaling)");
    }
    this.arch = arch;
    this.outputs = outputs;
    this.ntk = ntk;
    this.rule = hasClosedForm(arch.activation()) ? null : GaussHermite.of(quadraturePoints);
  }

  static boolean hasClosedForm(Activation a) {
    return a == Activation.RELU || a == Activation.ERF || a == Activation.IDENTITY || a == Activation.ABS;
  }

  public Architecture architecture() {
    return arch;
  }

  public boolean isNtk() {
    return ntk;
  }

  @Override
  public Prepared prepare(double[] x, int rows) {
    int n0 = arch.inputs();
    if (x.length < (long) rows * n0) {
      throw new IllegalArgumentException("expected " + rows + " rows of " + n0 + " inputs, got " + x.length + " values");
    }
    int depth = arch.depth();
    double sw2 = arch.sigmaW() * arch.sigmaW();
    double sb2 = arch.sigmaB() * arch.sigmaB();
    double[][] diagonal = new double[depth][rows];
    double[] out = new double[2];
    for (int i = 0; i < rows; i++) {
      double dot = 0;
      for (int k = 0; k < n0; k++) {
        double v = x[i * n0 + k];
        dot += v * v;
      }
      double s = sw2 * dot / n0 + sb2;
      diagonal[0][i] = s;
      for (int l = 1; l < depth; l++) {
        expectations(s, s, s, false, out);
        s = sw2 * out[0] + sb2;
        diagonal[l][i] = s;
      }
    }
    double[] copy = java.util.Arrays.copyOf(x, rows * n0);
    return new Prepared(rows, copy, diagonal);
  }

  @Override
  public int rows(Prepared prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return outputs.rowsPerExample(arch.outputs());
  }

  /** The scalar kernel Σ_L or Θ_L, row-major [rows(left) × rows(right)]. */
  public double[] scalarBlock(Prepared left, Prepared right) {
    int m = left.rows();
    int n = right.rows();
    int n0 = arch.inputs();
    int depth = arch.depth();
    double sw2 = arch.sigmaW() * arch.sigmaW();
    double sb2 = arch.sigmaB() * arch.sigmaB();
    double[] sigma = new double[m * n];
    Blas.get().gemmNT(m, n, n0, sw2 / n0, left.x(), right.x(), 0.0, sigma);
    for (int e = 0; e < sigma.length; e++) {
      sigma[e] += sb2;
    }
    double[] theta = ntk ? sigma.clone() : null;
    double[] out = new double[2];
    for (int l = 1; l < depth; l++) {
      double[] dl = left.diagonal()[l - 1];
      double[] dr = right.diagonal()[l - 1];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int e = i * n + j;
          expectations(dl[i], sigma[e], dr[j], ntk, out);
          sigma[e] = sw2 * out[0] + sb2;
          if (ntk) {
            theta[e] = sw2 * out[1] * theta[e] + sigma[e];
          }
        }
      }
    }
    return ntk ? theta : sigma;
  }

  @Override
  public double[] block(Prepared left, Prepared right) {
    double[] k = scalarBlock(left, right);
    if (outputs == KernelOutputs.TRACE) {
      return k;
    }
    int m = left.rows();
    int n = right.rows();
    int o = arch.outputs();
    int cols = n * o;
    double[] full = new double[m * o * cols];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double v = k[i * n + j];
        for (int a = 0; a < o; a++) {
          full[(i * o + a) * cols + j * o + a] = v;
        }
      }
    }
    return full;
  }

  /**
   * out[0] = Σ̂ = E[φ(u)φ(v)], and if {@code derivative} out[1] = Σ̇ = E[φ'(u)φ'(v)], for
   * (u, v) ~ N(0, [[k11, k12], [k12, k22]]).
   */
  void expectations(double k11, double k12, double k22, boolean derivative, double[] out) {
    double v1 = k11 > 0 ? k11 : 0.0;
    double v2 = k22 > 0 ? k22 : 0.0;
    double norm = Math.sqrt(v1 * v2);
    Activation act = arch.activation();
    switch (act) {
      case IDENTITY -> {
        out[0] = Math.max(-norm, Math.min(norm, k12));
        out[1] = 1.0;
      }
      case RELU, ABS -> {
        // u ≡ 0 or v ≡ 0 gives 0 for both (relu(0) = relu'(0) = abs(0) = abs'(0) = 0).
        if (norm == 0.0) {
          out[0] = 0.0;
          out[1] = 0.0;
          return;
        }
        double rho = Math.max(-1.0, Math.min(1.0, k12 / norm));
        double theta = Math.acos(rho);
        double relu = Math.sin(theta) + (Math.PI - theta) * rho; // 2π·Σ̂_relu/√(k11 k22)
        if (act == Activation.RELU) {
          out[0] = norm * relu / (2.0 * Math.PI);
          out[1] = (Math.PI - theta) / (2.0 * Math.PI);
        } else {
          // |x| = relu(x) + relu(−x): Σ̂ = 2·(R(ρ) + R(−ρ)), R(−ρ) by θ → π − θ, ρ → −ρ;
          // Σ̇ = E[sign u · sign v] = 1 − 2θ/π.
          double mirrored = Math.sin(theta) - theta * rho;
          out[0] = norm * (relu + mirrored) / Math.PI;
          out[1] = 1.0 - 2.0 * theta / Math.PI;
        }
      }
      case ERF -> {
        double r = Math.max(-norm, Math.min(norm, k12));
        double d1 = 1.0 + 2.0 * v1;
        double d2 = 1.0 + 2.0 * v2;
        double arg = Math.max(-1.0, Math.min(1.0, 2.0 * r / Math.sqrt(d1 * d2)));
        out[0] = (2.0 / Math.PI) * Math.asin(arg);
        // (1+2k11)(1+2k22) − 4k12² ≥ 1 + 2k11 + 2k22 ≥ 1 once |k12| ≤ √(k11 k22)
        out[1] = (4.0 / Math.PI) / Math.sqrt(Math.max(1.0, d1 * d2 - 4.0 * r * r));
      }
      // The tensor rule is not symmetric under u ↔ v; factor on the larger variance first so that
      // K(x, x') and K(x', x) take exactly the same path and the Gram stays symmetric.
      default -> {
        if (v1 >= v2) {
          quadrature(act, v1, k12, v2, derivative, out);
        } else {
          quadrature(act, v2, k12, v1, derivative, out);
        }
      }
    }
  }

  private void quadrature(Activation act, double k11, double k12, double k22, boolean derivative, double[] out) {
    double[] f = GaussHermite.cholesky2(k11, k12, k22);
    double a = f[0];
    double b = f[1];
    double c = f[2];
    double[] x = rule.nodesView();
    double[] w = rule.weightsView();
    int n = x.length;
    double value = 0;
    double slope = 0;
    for (int i = 0; i < n; i++) {
      double u = a * x[i];
      double gu = act.value(u);
      double du = derivative ? act.derivative(u) : 0.0;
      double base = b * x[i];
      double sv = 0;
      double sd = 0;
      if (c == 0.0) {
        sv = act.value(base);
        sd = derivative ? act.derivative(base) : 0.0;
      } else {
        for (int j = 0; j < n; j++) {
          double v = base + c * x[j];
          sv += w[j] * act.value(v);
          if (derivative) {
            sd += w[j] * act.derivative(v);
          }
        }
      }
      value += w[i] * gu * sv;
      slope += w[i] * du * sd;
    }
    out[0] = value;
    out[1] = derivative ? slope : 0.0;
  }

  @Override
  public long preparedBytes(int rows) {
    return 8L * rows * ((long) arch.inputs() + arch.depth());
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    double perPair = arch.inputs();
    int hidden = arch.depth() - 1;
    if (hidden > 0) {
      int q = rule == null ? 1 : rule.points();
      // closed forms: a few dozen operations; quadrature: n² evaluations of φ (and φ')
      perPair += hidden * (rule == null ? 30.0 : (ntk ? 2.0 : 1.0) * q * q);
    }
    return (double) leftRows * rightRows * perPair;
  }

  @Override
  public String describe() {
    String how = rule == null ? "closed form" : rule.points() + "-point Gauss–Hermite";
    return "analytic " + (ntk ? "NTK" : "NNGP") + " (infinite width, " + how + ", " + outputs.configName()
        + ") of " + arch;
  }
}
