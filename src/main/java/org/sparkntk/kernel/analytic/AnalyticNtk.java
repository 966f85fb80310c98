package org.sparkntk.kernel.analytic;

import java.io.Serializable;
import java.util.Arrays;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockScratch;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.linalg.VectorModule;
import org.sparkntk.linalg.VectorWidths;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Parameterization;

/**
 * The infinite-width kernels of the MLP family (docs/THEORY.md §3–§4; Jacot et al. 2018, Thm 1;
 * neural-tangents {@code stax.Dense(W_std=σ_w, b_std=σ_b)}): the NNGP kernel Σ_L or the NTK Θ_L,
 * by the recursion
 *
 * <pre>
 * Σ_0(x, x') = xᵀx'/n_0,   Σ_1 = σ_w² Σ_0 + σ_b²,   Θ_1 = g_0 Σ_0 + c_b²
 * for l = 1 … L−1, (u, v) ~ N(0, [[Σ_l(x,x), Σ_l(x,x')], [Σ_l(x,x'), Σ_l(x',x')]]):
 *   Σ̂_l = E[φ(u)φ(v)],  Σ̇_l = E[φ'(u)φ'(v)]
 *   Σ_{l+1} = σ_w² Σ̂_l + σ_b²,   Θ_{l+1} = σ_w² Σ̇_l Θ_l + g_l Σ̂_l + c_b²
 * </pre>
 *
 * The last two terms are the large-width value of layer l+1's parameter block of J Jᵀ,
 * (c_W² ⟨a_l, a_l'⟩ + c_b²)·⟨δ, δ'⟩ with ⟨a_l, a_l'⟩ → n_l Σ̂_l ({@link StructuredNtk}), so
 * g_l = c_W² n_l with the {@link Parameterization}'s gradient factors:
 * <ul>
 *   <li>{@code ntk}: c_W² = σ_w²/n_l, c_b = σ_b, so g_l = σ_w² and Θ_{l+1} = σ_w² Σ̇_l Θ_l + Σ_{l+1},
 *       the form of docs/THEORY.md §3. The hidden widths drop out: this is the infinite-width limit.</li>
 *   <li>{@code standard}: c_W = c_b = 1, so g_l = n_l and the kernel grows with the widths (no
 *       finite limit without rescaling). The result is the large-width mean of the empirical NTK
 *       at the model's widths, as neural-tangents computes for {@code parameterization='standard'};
 *       the empirical kernel's relative distance to it still shrinks like 1/√width.</li>
 * </ul>
 * The NNGP Σ_L is the same in both (the network function is). The empirical NTK of
 * {@link StructuredNtk} converges to Θ_L ⊗ I_O as every hidden width grows. {@code trace} returns
 * Θ_L (the mean over outputs of Θ_L ⊗ I_O); {@code full} returns Θ_L ⊗ I_O, row index i·O + a.
 *
 * <p>Expectations in closed form for identity, the ReLU family (relu, leaky_relu, abs), erf
 * (Williams 1997), gelu and sin — see the methods below. Other activations (tanh) by quadrature of
 * the 2-D Gaussian integral: by default the variance-scaled trapezoidal rule of
 * {@link NormalTrapezoid} (≈ 1e-10 relative at any variance), or an n-point Gauss–Hermite tensor
 * rule (neural-tangents' ElementwiseNumerical) when n is given ({@code kernel.quadrature = n}); the
 * Gauss–Hermite error grows with the variance (tanh, 64 points: E[tanh'²] off by 2e-7 at variance 1
 * and 4e-3 at variance 4). The larger variance is factored first so the Gram is exactly symmetric.
 *
 * <p>Degenerate inputs: k12 is clamped to |k12| ≤ √(k11 k22), and the closed forms use the gap
 * k11 k22 − k12² computed exactly to rounding and atan2 angles, never arccos ρ (see
 * {@link #expectations}); a zero variance (a zero row with σ_b = 0) gives the value the empirical
 * network computes (e.g. for relu Σ̂ = Σ̇ = 0, as relu'(0) = 0). No NaN arises on finite inputs.
 *
 * <p>Diagonal: in a block of a row block with itself the layer-0 diagonal is taken from the row
 * norms of {@link #prepare} (not the GEMM's, which rounds differently), so k12 = k11 = k22 there and
 * the diagonal equals the diagonal recursion bit for bit. Equal rows that meet in different blocks
 * (or in a cross kernel) get their k12 from the GEMM: its rounding (~1e-16 relative) is a genuine
 * input error of a function whose angle is ill-conditioned at ρ = 1 (θ ≈ √(2ε)), so such pairs are
 * exact for the k12 they are given, not for the pair of rows.
 *
 * <p>float64 throughout.
 *
 * <p>Over 400 lines because the layer recursion and the closed form of each activation it calls
 * (arc-cosine, erf, the quadrature fallback) are one derivation, docs/THEORY.md §3–§4, read together.
 */
public final class AnalyticNtk implements BlockKernel<AnalyticNtk.Prepared> {
  private static final long serialVersionUID = 1L;

  /** {@code quadraturePoints} value selecting the variance-scaled trapezoidal rule (the default). */
  public static final int ADAPTIVE_QUADRATURE = KernelSpec.ADAPTIVE_QUADRATURE;

  /**
   * A prepared block: the rows (row-major [rows × n_0]) and the diagonal recursion values
   * {@code diagonal[l − 1][i] = Σ_l(x_i, x_i)} for l = 1 … L (those for l ≤ L − 1 are the
   * k11/k22 of the hidden layers' expectations).
   */
  public record Prepared(int rows, double[] x, double[][] diagonal) implements Serializable {}

  /**
   * Whether the ReLU family's NTK recursion takes groups of entries on the Vector API
   * ({@code VectorArcCosine}): where this JVM has the module jdk.incubator.vector (Spark 4's
   * launcher and this project's JVM flags add it) and vectors of 256 bits or more, unless the
   * system property {@value #VECTOR_SWITCH} is false. Otherwise no Vector API class is loaded.
   * Measured on one core, one 1024 × 1024 block with two hidden layers: see docs/BENCHMARKS.md.
   */
  public static final boolean VECTORISED = VectorModule.present()
      && Boolean.parseBoolean(System.getProperty(AnalyticNtk.VECTOR_SWITCH, "true")) && VectorWidths.worthwhile();

  /** The system property that turns the Vector API recursion off. */
  public static final String VECTOR_SWITCH = "org.sparkntk.vectorRecursion";

  static {
    if (VECTORISED) {
      Thread warmUp = new Thread(AnalyticNtk::warmUpVectorRecursion, "spark-ntk-vector-warm-up");
      warmUp.setDaemon(true);
      warmUp.setPriority(Thread.MIN_PRIORITY);
      warmUp.start();
    }
  }

  /**
   * Calls the grouped layer on a small row until C2 has compiled it, in the background when this
   * class is loaded (a job loads it when it builds or receives the kernel, before the first
   * block). Until C2 has compiled it, the Vector API runs as plain Java that allocates an object
   * per operation, over a hundred times slower: without this the first 1024 × 1024 block of a JVM
   * took 1–2 s instead of 50 ms. C2 compiles a method after some thousands of calls, more while its
   * queue is long (a JVM starting Spark compiles a lot), so the calls go on in batches until a
   * batch runs at compiled speed, at most {@value #WARM_UP_BATCHES} batches. The row has
   * {@value #WARM_UP_GROUPS} groups, one of them outside the two ranges every few calls: C2 compiles
   * for the branches and loop lengths it has seen, and code compiled on one-group rows was thrown
   * away at the first real row (its loop had never gone round twice). The results are discarded.
   */
  static void warmUpVectorRecursion() {
    int lanes = VectorArcCosine.lanes();
    int n = WARM_UP_GROUPS * lanes;
    double[] k22 = new double[n];
    double[] sigma = new double[n];
    double[] theta = new double[n];
    int[] skipped = new int[WARM_UP_GROUPS];
    int[] index = new int[lanes];
    for (int batch = 0; batch < WARM_UP_BATCHES; batch++) {
      long t0 = System.nanoTime();
      for (int call = 0; call < 50; call++) {
        for (int j = 0; j < n; j++) {
          k22[j] = 1.0 + j % 7;
          // both ranges (ρ = ±0.4, 0); ρ = −0.8 in one group every third call
          sigma[j] = (j % 3 - 1) * 0.4 * Math.sqrt(k22[j]);
          theta[j] = sigma[j];
        }
        if (call % 3 == 0) {
          sigma[lanes * (call % WARM_UP_GROUPS)] = -0.8 * Math.sqrt(k22[0]);
        }
        VectorArcCosine.ntkLayer(1.0, k22, sigma, theta, 0, n, 2.0, 0.0, 1 / (2 * Math.PI), 0.5, 0.25,
            Atan.ATAN_HEAD, Atan.ATAN_TAIL, skipped, index);
      }
      if (System.nanoTime() - t0 < 50L * WARM_UP_GROUPS * COMPILED_GROUP_NANOS) {
        return;
      }
    }
  }

  private static final int WARM_UP_GROUPS = 16;
  private static final int WARM_UP_BATCHES = 400;

  /**
   * A group once C2 has compiled the layer takes well under a microsecond (about 0.06 µs here);
   * before, tens of microseconds, in the interpreter and in C1's code alike.
   */
  private static final long COMPILED_GROUP_NANOS = 1000;

  private final Architecture arch;
  private final KernelOutputs outputs;
  private final boolean ntk;
  /** Gauss–Hermite rule, or null for the trapezoidal rule or a closed form. */
  private final GaussHermite rule;
  /** The Gaussian Fourier-feature mapping's m → ∞ limit applied to the raw inputs, or null. */
  private final InputMapping inputLimit;
  /**
   * The piecewise-linear activations' constants of {@link #abRelu}, computed once rather than per
   * entry and layer (NaN for other activations): the slope α, (1 − α)²/(2π), (1 + α²)/2 and
   * (1 + α)²/4.
   */
  private final double alpha;
  private final double kink;
  private final double diagonalSlope;
  private final double orthogonalSlope;

  /** The NTK ({@code ntk = true}) or NNGP kernel with the default quadrature. */
  public AnalyticNtk(Architecture arch, KernelOutputs outputs, boolean ntk) {
    this(arch, outputs, ntk, ADAPTIVE_QUADRATURE);
  }

  /**
   * {@code quadraturePoints}: {@link #ADAPTIVE_QUADRATURE} for the trapezoidal rule, n ≥ 1 for the
   * n-point Gauss–Hermite rule; used only by activations without a closed form.
   */
  public AnalyticNtk(Architecture arch, KernelOutputs outputs, boolean ntk, int quadraturePoints) {
    this(arch, outputs, ntk, quadraturePoints, null);
  }

  /**
   * The kernel of the network composed with the Gaussian Fourier-feature mapping in its m → ∞
   * limit ({@link InputMapping#gaussianLimit}): Σ_0(v, v') = ½ exp(−2π²σ²‖v − v'‖²) replaces
   * xᵀx'/n_0, and {@code arch.inputs()} is the number of raw coordinates d. With a finite mapping
   * pass the mapped rows and {@code inputLimit = null}: Σ_0 = γ(v)ᵀγ(v')/n_0 is then the dot product.
   */
  public AnalyticNtk(Architecture arch, KernelOutputs outputs, boolean ntk, int quadraturePoints,
                     InputMapping inputLimit) {
    if (inputLimit != null) {
      if (inputLimit.isFinite()) {
        throw new IllegalArgumentException("a finite input mapping is applied to the rows before the kernel; "
            + "only the Gaussian m → ∞ limit enters the analytic kernel itself");
      }
      if (inputLimit.inputs() != arch.inputs()) {
        throw new IllegalArgumentException("the input mapping takes " + inputLimit.inputs()
            + " coordinates but the architecture has " + arch.inputs() + " inputs");
      }
      if (arch.parameterization() == Parameterization.STANDARD && ntk) {
        throw new IllegalArgumentException("the standard-parameterisation NTK scales with n_0 = 2m, which is "
            + "infinite for the m → ∞ Gaussian mapping; use model.parameterization = ntk or a finite input.features");
      }
    }
    this.inputLimit = inputLimit;
    if (quadraturePoints < 0) {
      throw new IllegalArgumentException("quadrature points must be ≥ 1 (or 0 for the adaptive rule), got "
          + quadraturePoints);
    }
    this.arch = arch;
    this.outputs = outputs;
    this.ntk = ntk;
    this.rule = hasClosedForm(arch.activation()) || quadraturePoints == ADAPTIVE_QUADRATURE ? null
        : GaussHermite.of(quadraturePoints);
    Activation.Kind kind = arch.activation().kind();
    boolean piecewiseLinear = kind == Activation.Kind.RELU || kind == Activation.Kind.LEAKY_RELU
        || kind == Activation.Kind.ABS;
    double a = piecewiseLinear ? arch.activation().negativeSlope() : Double.NaN;
    this.alpha = a;
    this.kink = (1.0 - a) * (1.0 - a) / (2.0 * Math.PI);
    this.diagonalSlope = 0.5 * (1.0 + a * a);
    this.orthogonalSlope = 0.25 * (1.0 + a) * (1.0 + a);
  }

  static boolean hasClosedForm(Activation a) {
    return a.kind() != Activation.Kind.TANH;
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
      double s = sw2 * (inputLimit != null ? inputLimit.limitInputKernel(0.0) : dot / n0) + sb2;
      diagonal[0][i] = s;
      for (int l = 1; l < depth; l++) {
        expectations(s, s, s, false, out);
        s = sw2 * out[0] + sb2;
        diagonal[l][i] = s;
      }
    }
    double[] copy = Arrays.copyOf(x, rows * n0);
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
    return scalarBlock(left, right, VECTORISED, null);
  }

  /**
   * {@code vectorised}: the NTK of the piecewise-linear activations (ntk parameterisation) takes
   * {@link VectorArcCosine}'s groups of entries where it can; the bits are the same either way.
   * The result goes in {@code into} if it has exactly the block's length.
   */
  double[] scalarBlock(Prepared left, Prepared right, boolean vectorised, double[] into) {
    int m = left.rows();
    int n = right.rows();
    int n0 = arch.inputs();
    int depth = arch.depth();
    double sw2 = arch.sigmaW() * arch.sigmaW();
    double sb2 = arch.sigmaB() * arch.sigmaB();
    int entries = m * n;
    double[] result = into != null && into.length == entries ? into : new double[entries];
    // The NTK returns Θ and only works on Σ: Σ goes in this thread's scratch array (GEMM and the
    // Fourier limit overwrite all its entries). Every entry of the result is written below.
    double[] sigma = ntk ? BlockScratch.doubles(0, entries) : result;
    if (inputLimit == null) {
      Blas.get().gemmNT(m, n, n0, sw2 / n0, left.x(), right.x(), 0.0, sigma);
      for (int e = 0; e < entries; e++) {
        sigma[e] += sb2;
      }
    } else {
      // Σ_0 = ½ exp(−2π²σ²‖v − v'‖²)
      double[] d2 = Matrices.squaredDistances(left.x(), Matrices.rowSquaredNorms(left.x(), m, n0), m, right.x(),
          Matrices.rowSquaredNorms(right.x(), n, n0), n, n0);
      for (int e = 0; e < entries; e++) {
        sigma[e] = sw2 * inputLimit.limitInputKernel(d2[e]) + sb2;
      }
    }
    if (symmetric(left, right)) {
      // The GEMM's diagonal rounds differently from the row norms of prepare(); take the latter so
      // that k12 = k11 = k22 exactly on the diagonal and every layer's angle there is exactly 0.
      double[] d0 = left.diagonal()[0];
      for (int i = 0; i < m; i++) {
        sigma[i * n + i] = d0[i];
      }
    }
    Parameterization p = arch.parameterization();
    boolean standard = p == Parameterization.STANDARD;
    double cb2 = p.biasGradientScale(arch.sigmaB()) * p.biasGradientScale(arch.sigmaB());
    double[] theta = null;
    if (ntk) {
      if (standard) {
        // Θ_1 = c_W² ⟨x, x'⟩ + c_b² = xᵀx' + 1
        theta = result;
        Blas.get().gemmNT(m, n, n0, 1.0, left.x(), right.x(), 0.0, theta);
        for (int e = 0; e < entries; e++) {
          theta[e] += cb2;
        }
      } else {
        theta = result;
        System.arraycopy(sigma, 0, theta, 0, entries);
      }
    }
    double[] out = new double[2];
    boolean groups = vectorised && ntk && !standard && !Double.isNaN(alpha);
    int lanes = groups ? VectorArcCosine.lanes() : 1;
    int[] skipped = groups ? new int[n / lanes + 1] : null;
    int[] index = groups ? new int[lanes] : null;
    for (int l = 1; l < depth; l++) {
      double[] dl = left.diagonal()[l - 1];
      double[] dr = right.diagonal()[l - 1];
      double g = arch.width(l); // standard: g_l = n_l
      for (int i = 0; i < m; i++) {
        int scalarFrom = 0;
        if (groups) {
          int count = VectorArcCosine.ntkLayer(dl[i], dr, sigma, theta, i * n, n, sw2, sb2, kink, diagonalSlope,
              orthogonalSlope, Atan.ATAN_HEAD, Atan.ATAN_TAIL, skipped, index);
          for (int c = 0; c < count; c++) {
            layer(dl[i], dr, sigma, theta, i * n, skipped[c], skipped[c] + lanes, sw2, sb2, g, cb2, standard, out);
          }
          scalarFrom = n - n % lanes;
        }
        layer(dl[i], dr, sigma, theta, i * n, scalarFrom, n, sw2, sb2, g, cb2, standard, out);
      }
    }
    return ntk ? theta : sigma;
  }

  /**
   * One layer of the recursion for entries [from, to) of the row starting at {@code offset}, whose
   * own variance is k11 ({@code theta} null for the NNGP kernel).
   */
  private void layer(double k11, double[] k22s, double[] sigma, double[] theta, int offset, int from, int to,
                     double sw2, double sb2, double g, double cb2, boolean standard, double[] out) {
    for (int j = from; j < to; j++) {
      int e = offset + j;
      expectations(k11, sigma[e], k22s[j], theta != null, out);
      sigma[e] = sw2 * out[0] + sb2;
      if (theta != null) {
        // ntk parameterisation: g_l Σ̂_l + c_b² = Σ_{l+1}
        theta[e] = sw2 * out[1] * theta[e] + (standard ? g * out[0] + cb2 : sigma[e]);
      }
    }
  }

  /**
   * Whether the block pairs a row block with itself (I = J): the same object, or the same rows (a
   * deserialised copy). Its diagonal pairs each row with itself.
   */
  static boolean symmetric(Prepared left, Prepared right) {
    return left == right || (left.rows() == right.rows() && Arrays.equals(left.x(), right.x()));
  }

  @Override
  public double[] block(Prepared left, Prepared right) {
    return outputs.expand(scalarBlock(left, right), left.rows(), right.rows(), arch.outputs());
  }

  /** With trace outputs the scalar block is the block, and it goes in {@code out}. */
  @Override
  public double[] block(Prepared left, Prepared right, double[] out) {
    if (outputs != KernelOutputs.TRACE) {
      return block(left, right);
    }
    return scalarBlock(left, right, VECTORISED, out);
  }

  /**
   * out[0] = Σ̂ = E[φ(u)φ(v)], and if {@code derivative} out[1] = Σ̇ = E[φ'(u)φ'(v)], for
   * (u, v) ~ N(0, [[k11, k12], [k12, k22]]).
   *
   * <p>The closed forms use k12 clamped to |k12| ≤ √(k11 k22) and the gap k11 k22 − k12² computed
   * to full relative precision ({@link #gap}), never ρ = k12/√(k11 k22) and arccos ρ: angles come
   * from atan2 of the gap's square root and k12, so where k12² = k11 k22 (the diagonal) the gap is
   * exactly 0 and the angle exactly 0 or π, and near ρ = ±1 nothing cancels.
   */
  void expectations(double k11, double k12, double k22, boolean derivative, double[] out) {
    double v1 = k11 > 0 ? k11 : 0.0;
    double v2 = k22 > 0 ? k22 : 0.0;
    double norm = Math.sqrt(v1 * v2);
    double r = Math.max(-norm, Math.min(norm, k12));
    Activation act = arch.activation();
    switch (act.kind()) {
      case IDENTITY -> {
        out[0] = r;
        out[1] = 1.0;
      }
      case RELU, LEAKY_RELU, ABS -> abRelu(act, v1, v2, norm, r, gap(v1, v2, r), out);
      case ERF -> {
        // (1+2k11)(1+2k22) − 4k12² = 1 + 2(k11 + k22) + 4(k11 k22 − k12²) ≥ 1, a sum of
        // non-negative terms; arcsin(2k12/√((1+2k11)(1+2k22))) = atan2(2k12, √det)
        double det = 1.0 + 2.0 * (v1 + v2) + 4.0 * gap(v1, v2, r);
        double root = Math.sqrt(det);
        // atan2 rather than arcsin even where both are well conditioned: on JDK 17 Math.asin (a JNI
        // call into fdlibm) measured 175 ns against 40 ns for Math.atan2, and Atan.atan2 is faster
        // still; the kernel calls one per entry and layer
        out[0] = (2.0 / Math.PI) * Atan.atan2(2.0 * r, root);
        out[1] = (4.0 / Math.PI) / root;
      }
      case GELU -> gelu(v1, v2, r, gap(v1, v2, r), out);
      case SIN -> sin(v1, v2, r, out);
      // The rules are not symmetric under u ↔ v; put the larger variance first so that K(x, x')
      // and K(x', x) take exactly the same path and the Gram stays symmetric.
      default -> {
        if (v1 >= v2) {
          quadrature(act, v1, k12, v2, derivative, out);
        } else {
          quadrature(act, v2, k12, v1, derivative, out);
        }
      }
    }
  }

  /**
   * k11 k22 − k12² (clamped to ≥ 0) to a few ulps of itself even when it is much smaller than
   * k11 k22: both products are split exactly into value + rounding error with fma, and the two
   * leading values, within a factor of 2 of each other when the gap is small, subtract exactly
   * (Sterbenz). Exactly 0 when k12² = k11 k22 holds in floating point (k12 = k11 = k22 on the
   * diagonal). Symmetric in k11, k22.
   */
  static double gap(double k11, double k22, double k12) {
    double p = k11 * k22;
    double pe = Math.fma(k11, k22, -p);
    double q = k12 * k12;
    double qe = Math.fma(k12, k12, -q);
    double d = (p - q) + (pe - qe);
    return d > 0.0 ? d : 0.0;
  }

  /**
   * Coefficients c_n = 2^{2n}|B_{2n}|/(2n)! of 1 − φ cot φ = Σ_{n≥1} c_n φ^{2n} (B = Bernoulli
   * numbers); 17 terms reach 1e-19 relative for φ ≤ π/4.
   */
  private static final double[] ONE_MINUS_PHI_COT = {
      0.3333333333333333, 0.022222222222222223, 0.0021164021164021165, 0.00021164021164021165,
      2.1377799155576935e-05, 2.1644042808063972e-06, 2.1925947851873778e-07, 2.2214608789979678e-08,
      2.2507846516808994e-09, 2.2805151204592183e-10, 2.3106432599002624e-11, 2.3411706819824882e-12,
      2.3721017400233653e-13, 2.4034415333307705e-14, 2.4351954029183367e-15, 2.4673688045172075e-16,
      2.499967277122081e-17};

  /**
   * 1 − atan(t)/t = Σ_{n≥1} (−1)^{n+1} t^{2n}/(2n + 1) as a function of z = t² ≤ 1/16 (alternating,
   * each term at most z·(2n+1)/(2n+3) of the last: 15 terms reach 1e-19 relative). Taking z from the
   * exact gap rather than an angle avoids doubling the angle's rounding error in the φ² factor.
   */
  static double oneMinusAtanRatio(double z) {
    double acc = 0.0;
    for (int n = 15; n >= 1; n--) {
      acc = 1.0 / (2 * n + 1) - z * acc;
    }
    return acc * z;
  }

  /** 1 − φ cot φ for 0 ≤ φ ≤ π/4, by its series (no cancellation: every term is positive). */
  static double oneMinusPhiCot(double phi) {
    double z = phi * phi;
    double acc = 0.0;
    for (int i = ONE_MINUS_PHI_COT.length - 1; i >= 0; i--) {
      acc = acc * z + ONE_MINUS_PHI_COT[i];
    }
    return acc * z;
  }

  /**
   * φ = α·min(x, 0) + max(x, 0) (relu α = 0, abs α = −1, leaky relu), neural-tangents' ABRelu with
   * a = α, b = 1. With θ the angle between the inputs (cos θ = ρ = k12/√(k11 k22)), splitting
   * φ(u) = relu(u) − α·relu(−u) and using the arc-cosine kernel
   * E[relu(u) relu(v)] = √(k11 k22)(sin θ + (π − θ)ρ)/(2π) (Cho &amp; Saul 2009) for the pairs (±u, ±v):
   * <pre>
   *   Σ̂ = (1 − α)²/(2π) · √(k11 k22 − k12²) + Σ̇ · k12
   *   Σ̇ = (1 + α²)/2 − (1 − α)² θ/(2π)          (P(u, v same sign) = 1 − θ/π)
   * </pre>
   * With s = √(k11 k22 − k12²) (exact gap), each range of θ uses the angle that is small there,
   * so the constant and the angle term never cancel:
   * <ul>
   *   <li>θ ≤ π/4 (k12 ≥ s): θ = atan2(s, k12), Σ̇ = (1 + α²)/2 − (1 − α)² θ/(2π);</li>
   *   <li>θ ≥ 3π/4 (−k12 ≥ s): φ = π − θ = atan2(s, −k12), Σ̇ = α + (1 − α)² φ/(2π), and
   *       Σ̂ = (1 − α)²/(2π) · s·(1 − φ cot φ) + α k12, because s + φ k12 = s(1 − φ cot φ) ≈ sφ²/3
   *       would otherwise be a difference of two nearly equal terms (relu's Σ̂ → 0 as ρ → −1);</li>
   *   <li>otherwise ψ = π/2 − θ = arcsin ρ (|ρ| &lt; 1/√2, well conditioned),
   *       Σ̇ = (1 + α)²/4 + (1 − α)² ψ/(2π).</li>
   * </ul>
   * At ρ = 1 exactly (the diagonal): θ = 0, Σ̇ = (1 + α²)/2 and Σ̂ = (1 + α²)/2 · k12 exactly to
   * rounding; at ρ = −1: Σ̇ = α, Σ̂ = α k12.
   * A zero variance (u ≡ 0) gives Σ̂ = 0 and Σ̇ = φ'(0)·E[φ'(v)], with the empirical network's
   * convention for φ'(0) (relu'(0) = abs'(0) = 0, leaky'(0) = α) and E[φ'(v)] = (1 + α)/2, or φ'(0)
   * again if v ≡ 0 too.
   */
  private void abRelu(Activation act, double v1, double v2, double norm, double r, double gap, double[] out) {
    if (norm == 0.0) {
      double d0 = act.derivative(0.0);
      out[0] = 0.0;
      out[1] = d0 * (v1 == 0.0 && v2 == 0.0 ? d0 : 0.5 * (1.0 + alpha));
      return;
    }
    double s = Math.sqrt(gap);
    if (r >= s) {
      double theta = Atan.atan2(s, r);
      double slope = diagonalSlope - kink * theta;
      out[0] = kink * s + slope * r;
      out[1] = slope;
    } else if (-r >= s) {
      double phi = Atan.atan2(s, -r);
      // s(1 − φ cot φ) with tan φ = s/|k12|: for tan²φ = gap/k12² ≤ 1/16 by the series in tan²φ
      double z = gap / (r * r);
      double g = z <= 0.0625 ? oneMinusAtanRatio(z) : oneMinusPhiCot(phi);
      out[0] = kink * (s * g) + alpha * r;
      out[1] = alpha + kink * phi;
    } else {
      // |ρ| < 1/√2: ψ = arcsin ρ = atan2(k12, s), well conditioned here (atan2 rather than asin: see Atan)
      double psi = Atan.atan2(r, s);
      double slope = orthogonalSlope + kink * psi;
      out[0] = kink * s + slope * r;
      out[1] = slope;
    }
  }

  /**
   * GELU, φ(x) = x·Φ(x) (Tsuchida et al. 2021, arXiv:2002.08517; neural-tangents Gelu). With
   * q = k12, P = k11 k22, P₁ = (1 + k11)(1 + k22), Δ = √(P₁ − q²) ≥ √(1 + k11 + k22) and
   * β = arcsin(q/√P₁):
   * <pre>
   *   Σ̂ = q/4 + (q² + P Δ²)/(2π P₁ Δ) + q β/(2π)
   *   Σ̇ = 1/4 + β/(2π) + q/(2π Δ) · (1 + 1/Δ² + (1 − P)/P₁)
   * </pre>
   * (checked against 2-D Gauss–Hermite quadrature to 1e-15 in AnalyticNtkTest). Δ² is computed as
   * 1 + k11 + k22 + (k11 k22 − q²) from the exact gap, and β = atan2(q, Δ).
   */
  private static void gelu(double v1, double v2, double q, double gap, double[] out) {
    double p = v1 * v2;
    double p1 = (1.0 + v1) * (1.0 + v2);
    double sum = 1.0 + (v1 + v2); // P₁ − P
    double delta2 = sum + gap;
    double delta = Math.sqrt(delta2);
    // 1 + 1/Δ² + (1 − P)/P₁ = (2 + k11 + k22)/P₁ + 1/Δ², a sum of positive terms
    double inner = (1.0 + sum) / p1 + 1.0 / delta2;
    double z = delta2 / (q * q); // w² = Δ²/q² (+∞ at q = 0)
    if (q >= 0.0 || z > 1.0) {
      // no cancellation for q ≥ 0; for q < 0 with |q| < Δ the term q/4 dominates the two small
      // positive ones
      // β = arcsin(q/√P₁) = atan2(q, Δ) (atan2 for speed, see expectations, ERF)
      double beta = Atan.atan2(q, delta);
      out[0] = 0.25 * q + (q * q + p * delta2) / (2.0 * Math.PI * p1 * delta) + q * beta / (2.0 * Math.PI);
      out[1] = 0.25 + beta / (2.0 * Math.PI) + q / (2.0 * Math.PI * delta) * inner;
      return;
    }
    // q < 0, |q| ≥ Δ: π/2 + β = γ = atan2(Δ, −q), so q/4 + qβ/(2π) = qγ/(2π) = −Δ·B/(2π) with w = Δ/|q|,
    // B = atan(w)/w, and (q² + PΔ²)/(P₁Δ) = Δ·A, A = 1 − (P₁ − P − q²/Δ²)/P₁ = 1 − ((P₁−P)Δ² − q²)/(P₁Δ²):
    // Σ̂ = Δ((1 − B) − (1 − A))/(2π), where the large terms q/4, qβ/(2π) and Δ·A no longer cancel
    // (relu-like cancellation for large variances near ρ = −1).
    double gamma = Atan.atan2(delta, -q);
    double oneMinusB = z <= 0.0625 ? oneMinusAtanRatio(z) : oneMinusPhiCot(gamma);
    double oneMinusA = (sum * delta2 - q * q) / (p1 * delta2);
    out[0] = delta * (oneMinusB - oneMinusA) / (2.0 * Math.PI);
    out[1] = (gamma + q / delta * inner) / (2.0 * Math.PI);
  }

  /**
   * sin: E[sin u sin v] = ½(E cos(u − v) − E cos(u + v)) with E cos w = e^{−Var(w)/2}, so
   * Σ̂ = e^{−(k11+k22)/2} sinh k12 and likewise Σ̇ = E[cos u cos v] = e^{−(k11+k22)/2} cosh k12.
   * For very large variances the product form would give 0·∞; the difference of exponentials
   * e^{±k12 − (k11+k22)/2}, each ≤ 1 since |k12| ≤ (k11 + k22)/2, is used there instead.
   */
  private static void sin(double v1, double v2, double q, double[] out) {
    double half = 0.5 * (v1 + v2);
    if (half < 700.0) {
      // e^{−k11/2}·e^{−k22/2}: exp of the rounded sum (k11 + k22)/2 would carry its rounding error
      // times |k11 + k22|/2 (≈ 250 ulps at k11 + k22 = 1000)
      double e = Math.exp(-0.5 * v1) * Math.exp(-0.5 * v2);
      out[0] = e * Math.sinh(q);
      out[1] = e * Math.cosh(q);
    } else {
      double plus = Math.exp(q - half);
      double minus = Math.exp(-q - half);
      out[0] = 0.5 * (plus - minus);
      out[1] = 0.5 * (plus + minus);
    }
  }

  private void quadrature(Activation act, double k11, double k12, double k22, boolean derivative, double[] out) {
    if (rule == null) {
      NormalTrapezoid.expectations(act, k11, k12, k22, derivative, out);
      return;
    }
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
      // closed forms: a few dozen operations; quadrature: n² evaluations of φ (and φ'), the
      // trapezoidal rule at least 61² (unit variance; more for larger variances)
      int q = rule != null ? rule.points() : NormalTrapezoid.points(1.0);
      perPair += hidden * (hasClosedForm(arch.activation()) ? 30.0 : (ntk ? 2.0 : 1.0) * q * q);
    }
    return (double) leftRows * rightRows * perPair;
  }

  @Override
  public String describe() {
    String how = hasClosedForm(arch.activation()) ? "closed form"
        : rule == null ? "variance-scaled trapezoidal rule" : rule.points() + "-point Gauss–Hermite";
    String limit = arch.parameterization() == Parameterization.STANDARD && ntk
        ? "large-width mean at the model's widths" : "infinite width";
    return "analytic " + (ntk ? "NTK" : "NNGP") + " (" + limit + ", " + how + ", " + outputs.configName()
        + ") of " + (inputLimit == null ? "" : inputLimit.describe() + " → ") + arch;
  }
}
