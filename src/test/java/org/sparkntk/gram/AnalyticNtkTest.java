package org.sparkntk.gram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkntk.linalg.Lapack;
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
   *   <li>identity and erf are smooth (entire): the quadrature converges geometrically (measured
   *       erf error at 200 points ≤ 1e-13), tolerance 1e-10 relative to 1 + k11 + k22;</li>
   *   <li>relu and abs have a kink (φ) and a jump (φ') along lines through the origin that the
   *       tensor rule does not align with, so it converges only algebraically (O(1/n) for the
   *       jump). Measured worst errors at 200 points: relu ≈ 1.2e-4·(1 + k11 + k22) for Σ̂ and
   *       ≈ 8.3e-3 for Σ̇; abs (two kinks, a jump of height 2) ≈ 4.8e-4 and ≈ 3.3e-2. Tolerances
   *       relu 3e-4 / 2.5e-2, abs 1.5e-3 / 0.1 leave a factor ≈ 2.5–3 over the measurement yet
   *       catch a wrong formula (errors of order 0.1–1 over these triples).</li>
   * </ul>
   * For k11 = 0 the quadrature gives φ'(0)·E[φ'(v)] = 0 (relu'(0) = abs'(0) = 0), which the
   * closed forms reproduce.
   */
  @ParameterizedTest
  @EnumSource(value = Activation.class, names = {"RELU", "ABS", "ERF", "IDENTITY"})
  void closedFormsMatchQuadrature(Activation act) {
    AnalyticNtk k = new AnalyticNtk(arch(act, new int[] {2, 5, 1}, 1, 0), KernelOutputs.TRACE, true);
    GaussHermite gh = GaussHermite.of(200);
    double tolValue = act == Activation.RELU ? 3e-4 : act == Activation.ABS ? 1.5e-3 : 1e-10;
    double tolSlope = act == Activation.RELU ? 2.5e-2 : act == Activation.ABS ? 0.1 : 1e-10;
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

  /** NTK-NOTES §3: ReLU, L = 4, σ_w = 1, σ_b = 0.1, n_0 = 2, x_0 = (1, 0): Θ(x_0, x_0) = 0.2825. */
  @Test
  void checkValue() {
    Architecture a = arch(Activation.RELU, new int[] {2, 100, 100, 100, 1}, 1.0, 0.1);
    double[] theta = gram(new AnalyticNtk(a, KernelOutputs.TRACE, true), new double[] {1, 0}, 1);
    assertEquals(0.2825, theta[0], 5e-5);
    // Σ_4 = 0.08125 by the same recursion (NNGP)
    double[] sigma = gram(new AnalyticNtk(a, KernelOutputs.TRACE, false), new double[] {1, 0}, 1);
    assertEquals(0.08125, sigma[0], 1e-15);
  }

  @Test
  void standardParameterisationIsRefused() {
    Architecture a = new Architecture(new int[] {2, 3, 1}, Activation.RELU, Parameterization.STANDARD, 1, 0);
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
        () -> new AnalyticNtk(a, KernelOutputs.TRACE, true));
    assertTrue(e.getMessage().contains("'ntk'"));
  }

  /**
   * The empirical NTK (trace, mean over outputs) of {@code seeds} random networks 3 → 2048 → 2048 → 2
   * against Θ_L. Fluctuations are O(1/√width) per network, so the mean over seeds has a standard
   * error we measure; the test allows 4 standard errors plus a bias allowance of 1% of the largest
   * entry for the O(1/width) finite-width bias of the mean (relative ≈ depth/width ≈ 1e-3 here).
   */
  @ParameterizedTest
  @EnumSource(value = Activation.class, names = {"RELU", "ERF", "TANH"})
  void empiricalNtkApproachesAnalyticAtLargeWidth(Activation act) {
    int n0 = 3;
    int rows = 6;
    int width = 2048;
    int seeds = 6;
    Architecture a = arch(act, new int[] {n0, width, width, 2}, 1.5, 0.2);
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
      assertTrue(diff <= 4 * se + 0.01 * max, act + " entry " + e + ": empirical mean " + mean + " ± " + se
          + " vs analytic " + analytic[e]);
    }
    System.out.printf("%s: worst |mean − analytic|/se = %.2f, max Θ = %.4f%n", act, worstZ, max);
  }

  /** The Gram is symmetric and PSD (λ_min ≥ −1e-12 λ_max) on random data with a zero row; no NaN. */
  @ParameterizedTest
  @EnumSource(Activation.class)
  void gramIsSymmetricPsdAndFinite(Activation act) {
    int n0 = 4;
    int rows = 12;
    double[] x = new Random(act.ordinal()).doubles(rows * n0, -2, 2).toArray();
    for (int k = 0; k < n0; k++) {
      x[5 * n0 + k] = 0.0; // a zero row
    }
    x[7 * n0] = 1e-300;
    for (double sb : new double[] {0.0, 0.3}) {
      for (boolean ntk : new boolean[] {true, false}) {
        Architecture a = arch(act, new int[] {n0, 8, 8, 8, 2}, 1.3, sb);
        for (KernelOutputs outputs : KernelOutputs.values()) {
          AnalyticNtk kernel = new AnalyticNtk(a, outputs, ntk, 24);
          double[] g = gram(kernel, x, rows);
          int n = rows * kernel.rowsPerExample();
          assertEquals((long) n * n, g.length);
          double asym = 0;
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
              assertTrue(Double.isFinite(g[i * n + j]), act + " " + kernel.describe());
              asym = Math.max(asym, Math.abs(g[i * n + j] - g[j * n + i]));
            }
          }
          double[] values = Lapack.get().symmetricEigen(g, n).values();
          double lmax = values[n - 1];
          assertTrue(asym <= 1e-13 * lmax, "asymmetry " + asym);
          assertTrue(values[0] >= -1e-12 * lmax, act + " sb=" + sb + " ntk=" + ntk + " λmin " + values[0]
              + " λmax " + lmax);
        }
      }
    }
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
