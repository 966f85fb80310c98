package org.sparkntk.kernel.analytic;

import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.EmpiricalNtkContract;
import org.sparkntk.kernel.empirical.StructuredNtk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/** The infinite-width NNGP/NTK: closed forms, the check value, the large-width limit, PSD. */
class AnalyticNtkTest {

  private static Architecture arch(Activation act, int[] widths, double sw, double sb) {
    return new Architecture(widths, act, Parameterization.NTK, sw, sb);
  }

  private static double[] gram(AnalyticNtk k, double[] x, int n) {
    AnalyticNtk.Prepared p = k.prepare(x, n);
    return k.block(p, p);
  }

  /** Random covariance triples (k11, k12, k22), a third of them degenerate. */
  private static List<double[]> covariances() {
    Random rnd = new Random(11);
    List<double[]> out = new ArrayList<>();
    for (int t = 0; t < 60; t++) {
      double k11 = t % 12 == 0 ? 0.0 : 0.05 + 3 * rnd.nextDouble();
      double k22 = t % 12 == 1 ? 0.0 : 0.05 + 3 * rnd.nextDouble();
      double bound = Math.sqrt(k11 * k22);
      double k12 = switch (t % 6) {
        case 2 -> bound;
        case 3 -> -bound;
        default -> bound * (2 * rnd.nextDouble() - 1);
      };
      out.add(new double[] {k11, k12, k22});
    }
    return out;
  }

  /**
   * Closed forms against 2-D Gauss–Hermite quadrature (200 points per dimension) of the
   * definitions E[φ(u)φ(v)], E[φ'(u)φ'(v)], on 60 covariance triples with variances up to ≈ 3,
   * a third of them degenerate (k11 = 0 or k22 = 0, k12 = ±√(k11 k22)).
   * <ul>
   *   <li>identity, erf, gelu and sin are smooth (entire): the quadrature converges geometrically
   *       (measured error at 200 points ≤ 1e-13), tolerance 1e-10 relative to 1 + k11 + k22;</li>
   *   <li>relu and abs have a kink (φ) and a jump (φ') along lines through the origin that the
   *       tensor rule does not align with, so it converges only algebraically (O(1/n) for the
   *       jump). Measured worst errors at 200 points: relu ≈ 1.2e-4·(1 + k11 + k22) for Σ̂ and
   *       ≈ 8.3e-3 for Σ̇; abs (two kinks, a jump of height 2) ≈ 4.8e-4 and ≈ 3.3e-2. Tolerances
   *       relu 3e-4 / 2.5e-2, abs 1.5e-3 / 0.1 leave a factor ≈ 2.5–3 over the measurement yet
   *       catch a wrong formula (errors of order 0.1–1 over these triples). leaky_relu(0.2) has a
   *       kink of size 0.8 and gets relu's tolerances.</li>
   * </ul>
   * For k11 = 0 the quadrature gives φ'(0)·E[φ'(v)] (0 for relu and abs, α(1 + α)/2 for leaky
   * relu, 1/4 for gelu), which the closed forms reproduce.
   */
  static List<Activation> closedForms() {
    return Activation.examples().stream().filter(AnalyticNtk::hasClosedForm).toList();
  }

  @ParameterizedTest
  @MethodSource("closedForms")
  void closedFormsMatchQuadrature(Activation act) {
    AnalyticNtk k = new AnalyticNtk(arch(act, new int[] {2, 5, 1}, 1, 0), KernelOutputs.TRACE, true);
    GaussHermite gh = GaussHermite.of(200);
    // piecewise linear: the kink's size is |1 − α| (relu 1, leaky 0.8, abs 2), errors scale with it
    boolean kinked = act.kind() == Activation.Kind.RELU || act.kind() == Activation.Kind.LEAKY_RELU
        || act.kind() == Activation.Kind.ABS;
    double tolValue = act.kind() == Activation.Kind.ABS ? 1.5e-3 : kinked ? 3e-4 : 1e-10;
    double tolSlope = act.kind() == Activation.Kind.ABS ? 0.1 : kinked ? 2.5e-2 : 1e-10;
    double worstValue = 0;
    double worstSlope = 0;
    double[] out = new double[2];
    for (double[] c : covariances()) {
      k.expectations(c[0], c[1], c[2], true, out);
      double value = gh.expectation(c[0], c[1], c[2], act::value, act::value);
      double slope = gh.expectation(c[0], c[1], c[2], act::derivative, act::derivative);
      double scale = 1 + c[0] + c[2];
      assertTrue(Double.isFinite(out[0]) && Double.isFinite(out[1]));
      worstValue = Math.max(worstValue, Math.abs(out[0] - value) / scale);
      worstSlope = Math.max(worstSlope, Math.abs(out[1] - slope));
    }
    System.out.printf("%s: worst |closed − quadrature|: value %.3g, slope %.3g%n", act, worstValue, worstSlope);
    assertTrue(worstValue <= tolValue, act + " value error " + worstValue);
    assertTrue(worstSlope <= tolSlope, act + " slope error " + worstSlope);
  }

  /** The check value of docs/THEORY.md §3: ReLU, L = 4, σ_w = 1, σ_b = 0.1, n_0 = 2, x_0 = (1, 0): Θ(x_0, x_0) = 0.2825. */
  @Test
  void checkValue() {
    Architecture a = arch(Activation.RELU, new int[] {2, 100, 100, 100, 1}, 1.0, 0.1);
    double[] theta = gram(new AnalyticNtk(a, KernelOutputs.TRACE, true), new double[] {1, 0}, 1);
    assertEquals(0.2825, theta[0], 5e-5);
    // Σ_4 = 0.08125 by the same recursion (NNGP)
    double[] sigma = gram(new AnalyticNtk(a, KernelOutputs.TRACE, false), new double[] {1, 0}, 1);
    assertEquals(0.08125, sigma[0], 1e-15);
  }

  /**
   * The 'standard' parameterisation: the NNGP equals the 'ntk' parameterisation's (the network
   * function is the same), and Θ is affine in the hidden width n_1 — only layer 2's weight term
   * g_1 Σ̂_1 = n_1 Σ̂_1, carried forward by σ_w² Σ̇_2, depends on it — with a non-zero slope.
   */
  @Test
  void standardParameterisationScalesWithWidth() {
    double[] x = new Random(4).doubles(3 * 2, -1, 1).toArray();
    double[][] theta = new double[3][];
    for (int i = 0; i < 3; i++) {
      Architecture a = new Architecture(new int[] {2, 10 + 10 * i, 7, 1}, Activation.GELU,
          Parameterization.STANDARD, 1.2, 0.3);
      theta[i] = gram(new AnalyticNtk(a, KernelOutputs.TRACE, true), x, 3);
      double[] nngp = gram(new AnalyticNtk(a, KernelOutputs.TRACE, false), x, 3);
      double[] nngpNtkParam = gram(new AnalyticNtk(new Architecture(a.widths(), a.activation(), Parameterization.NTK,
          1.2, 0.3), KernelOutputs.TRACE, false), x, 3);
      assertArrayEquals(nngpNtkParam, nngp, 0.0);
    }
    for (int e = 0; e < 9; e++) {
      double d1 = theta[1][e] - theta[0][e];
      double d2 = theta[2][e] - theta[1][e];
      assertTrue(Math.abs(d1) > 1e-3, "Θ must depend on n_1");
      assertEquals(d1, d2, 1e-12 * Math.abs(theta[2][e]), "Θ affine in n_1");
    }
  }

  /**
   * The empirical NTK (trace, mean over outputs) of {@code seeds} random networks 3 → 2048 → 2048 → 2
   * against Θ_L. Fluctuations are O(1/√width) per network, so the mean over seeds has a standard
   * error we measure; the test allows 4 standard errors plus a bias allowance of 1% of the largest
   * entry for the O(1/width) finite-width bias of the mean (relative ≈ depth/width ≈ 1e-3 here).
   */
  static List<Arguments> largeWidthCases() {
    List<Arguments> out = new ArrayList<>();
    for (Activation act : Activation.examples()) {
      out.add(Arguments.of(act, Parameterization.NTK));
    }
    out.add(Arguments.of(Activation.RELU, Parameterization.STANDARD));
    out.add(Arguments.of(Activation.TANH, Parameterization.STANDARD));
    return out;
  }

  @ParameterizedTest
  @MethodSource("largeWidthCases")
  void empiricalNtkApproachesAnalyticAtLargeWidth(Activation act, Parameterization parameterization) {
    int n0 = 3;
    int rows = 6;
    int width = 2048;
    int seeds = 6;
    Architecture a = new Architecture(new int[] {n0, width, width, 2}, act, parameterization, 1.5, 0.2);
    Random rnd = new Random(3);
    double[] x = rnd.doubles(rows * n0, -1.5, 1.5).toArray();
    double[] analytic = gram(new AnalyticNtk(a, KernelOutputs.TRACE, true), x, rows);
    double[] sum = new double[rows * rows];
    double[] sumSq = new double[rows * rows];
    for (int s = 0; s < seeds; s++) {
      StructuredNtk emp = new StructuredNtk(Mlp.initialise(a, 100 + s), KernelOutputs.TRACE, Precision.FLOAT64);
      StructuredNtk.FactorBlock f = emp.prepare(x, rows);
      double[] k = emp.block(f, f);
      for (int e = 0; e < k.length; e++) {
        sum[e] += k[e];
        sumSq[e] += k[e] * k[e];
      }
    }
    double max = 0;
    for (double v : analytic) {
      max = Math.max(max, Math.abs(v));
    }
    double worstZ = 0;
    for (int e = 0; e < sum.length; e++) {
      double mean = sum[e] / seeds;
      double var = Math.max(0, (sumSq[e] - seeds * mean * mean) / (seeds - 1));
      double se = Math.sqrt(var / seeds);
      double diff = Math.abs(mean - analytic[e]);
      worstZ = Math.max(worstZ, diff / (se + 1e-300));
      assertTrue(diff <= 4 * se + 0.01 * max, act + " " + parameterization + " entry " + e + ": empirical mean " + mean + " ± " + se
          + " vs analytic " + analytic[e]);
    }
    System.out.printf("%s %s: worst |mean − analytic|/se = %.2f, max Θ = %.4f%n", act, parameterization.configName(),
        worstZ, max);
  }

  /** The Gram is symmetric and PSD (λ_min ≥ −1e-12 λ_max) on random data with a zero row; no NaN. */
  @ParameterizedTest
  @MethodSource("org.sparkntk.model.Activation#examples")
  void gramIsSymmetricPsdAndFinite(Activation act) {
    int n0 = 4;
    int rows = 12;
    double[] x = new Random(act.configName().hashCode()).doubles(rows * n0, -2, 2).toArray();
    for (int k = 0; k < n0; k++) {
      x[5 * n0 + k] = 0.0; // a zero row
    }
    x[7 * n0] = 1e-300;
    for (double sb : new double[] {0.0, 0.3}) {
      for (boolean ntk : new boolean[] {true, false}) {
        for (Parameterization p : Parameterization.values()) {
        Architecture a = new Architecture(new int[] {n0, 8, 8, 8, 2}, act, p, 1.3, sb);
        for (KernelOutputs outputs : KernelOutputs.values()) {
          AnalyticNtk kernel = new AnalyticNtk(a, outputs, ntk, p == Parameterization.NTK ? 24 : 0);
          EmpiricalNtkContract.assertSymmetricPsdAndFinite(gram(kernel, x, rows), rows * kernel.rowsPerExample(),
              1e-13, act + " " + p + " sb=" + sb + " ntk=" + ntk + " " + kernel.describe());
        }
        }
      }
    }
  }

  /**
   * The analytic NTK of the network behind a Gaussian Fourier-feature mapping with m features (its
   * Σ_0 the dot product of γ(v)/√(2m)) tends to the kernel with the m → ∞ input kernel
   * ½exp(−2π²σ²‖v − v'‖²), as the mapped Gram does (InputMappingTest): relative Frobenius distance
   * over 3 seeds at m = 16, 256, 4096, each 16× step at least halving it (theory 4×).
   */
  @Test
  void gaussianMappingKernelApproachesItsLimit() {
    int d = 2;
    int rows = 8;
    double sigma = 0.5;
    double[] x = new Random(12).doubles(rows * d, -1, 1).toArray();
    org.sparkntk.model.InputMapping limitMap = org.sparkntk.model.InputMapping.gaussianLimit(d, sigma);
    Architecture limitArch = arch(Activation.RELU, new int[] {d, 16, 16, 1}, 1.4, 0.1);
    AnalyticNtk limit = new AnalyticNtk(limitArch, KernelOutputs.TRACE, true, 0, limitMap);
    double[] want = limit.block(limit.prepare(x, rows), limit.prepare(x, rows));
    int[] ms = {16, 256, 4096};
    double[] dist = new double[ms.length];
    for (int t = 0; t < ms.length; t++) {
      for (long seed = 0; seed < 3; seed++) {
        org.sparkntk.model.InputMapping map = org.sparkntk.model.InputMapping.gaussian(d, sigma, ms[t], seed);
        AnalyticNtk k = new AnalyticNtk(arch(Activation.RELU, new int[] {map.outputs(), 16, 16, 1}, 1.4, 0.1),
            KernelOutputs.TRACE, true);
        double[] gx = map.apply(x, rows);
        double[] got = k.block(k.prepare(gx, rows), k.prepare(gx, rows));
        double num = 0;
        double den = 0;
        for (int e = 0; e < want.length; e++) {
          num += (got[e] - want[e]) * (got[e] - want[e]);
          den += want[e] * want[e];
        }
        dist[t] += Math.sqrt(num / den) / 3;
      }
    }
    System.out.printf("analytic NTK behind a gaussian mapping, distance to the m → ∞ kernel at m = 16, 256, 4096: "
        + "%.3g %.3g %.3g%n", dist[0], dist[1], dist[2]);
    assertTrue(dist[1] < dist[0] / 2 && dist[2] < dist[1] / 2, java.util.Arrays.toString(dist));
    assertTrue(limit.describe().contains("m=∞"));
    assertThrows(IllegalArgumentException.class, () -> new AnalyticNtk(new Architecture(new int[] {d, 4, 1},
        Activation.RELU, Parameterization.STANDARD, 1, 0), KernelOutputs.TRACE, true, 0, limitMap));
  }

  /** full = Θ ⊗ I_O; the cross block of two different prepared blocks equals the joint Gram's. */
  @Test
  void fullLayoutAndCrossBlocks() {
    Architecture a = arch(Activation.TANH, new int[] {3, 10, 10, 3}, 1.2, 0.1);
    double[] x = new Random(9).doubles(5 * 3, -1, 1).toArray();
    AnalyticNtk trace = new AnalyticNtk(a, KernelOutputs.TRACE, true, 32);
    AnalyticNtk full = new AnalyticNtk(a, KernelOutputs.FULL, true, 32);
    double[] t = gram(trace, x, 5);
    double[] f = gram(full, x, 5);
    int cols = 15;
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 5; j++) {
        for (int p = 0; p < 3; p++) {
          for (int q = 0; q < 3; q++) {
            assertEquals(p == q ? t[i * 5 + j] : 0.0, f[(i * 3 + p) * cols + j * 3 + q], 0.0);
          }
        }
      }
    }
    double[] left = java.util.Arrays.copyOfRange(x, 0, 2 * 3);
    double[] right = java.util.Arrays.copyOfRange(x, 2 * 3, 5 * 3);
    double[] cross = trace.block(trace.prepare(left, 2), trace.prepare(right, 3));
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        assertEquals(t[i * 5 + 2 + j], cross[i * 3 + j], 1e-14 * Math.abs(t[i * 5 + 2 + j]));
      }
    }
    assertTrue(trace.describe().contains("32-point"));
    assertTrue(trace.blockFlops(2, 3) > 0 && trace.preparedBytes(10) > 0);
  }
}
