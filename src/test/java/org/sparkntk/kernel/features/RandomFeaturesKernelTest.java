package org.sparkntk.kernel.features;

import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.analytic.GaussHermite;
import org.sparkntk.kernel.empirical.EmpiricalNtkContract;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.model.RandomFeatures.Basis;

/**
 * The random-features kernel K̃ = (1/P) Σ_p f_p(x) f_p(x') and its P → ∞ limit K: each against
 * an independent route, and K̃ → K at the law-of-large-numbers rate.
 */
class RandomFeaturesKernelTest {
  static final int D = 3;

  private static double scaleOf(Basis basis) {
    return basis == Basis.FOURIER ? 0.7 : 1.0;
  }

  private static RandomFeatures model(Basis basis, int features, int outputs, long seed) {
    return RandomFeatures.initialise(basis, features, scaleOf(basis), D, outputs, seed);
  }

  private static double[] data(long seed, int rows) {
    return new Random(seed).doubles(rows * D, -1, 1).toArray();
  }

  /** {@code x} with row 0 zero, row 2 a duplicate of row 1 and row 3 its negative (θ = 0 and π). */
  private static double[] edgeRows(double[] x) {
    Arrays.fill(x, 0, D, 0.0);
    System.arraycopy(x, D, x, 2 * D, D);
    for (int c = 0; c < D; c++) {
      x[3 * D + c] = -x[D + c];
    }
    return x;
  }

  /** f_p(x) from the definition, one feature at a time. */
  private static double feature(RandomFeatures rf, double[] dirs, double[] phases, int p, double[] x, int i) {
    double dot = 0;
    for (int k = 0; k < D; k++) {
      dot += dirs[p * D + k] * x[i * D + k];
    }
    if (rf.basis() == Basis.FOURIER) {
      return Math.sqrt(2) * Math.cos(2 * Math.PI * dot + phases[p]);
    }
    return Math.sqrt(2) * Math.max(0.0, dot / Math.sqrt(D));
  }

  private static <F extends java.io.Serializable> double[] block(BlockKernel<F> k, double[] a, int m, double[] b,
                                                               int n) {
    return k.block(k.prepare(a, m), k.prepare(b, n));
  }

  /**
   * K̃ (trace and full = K̃ ⊗ I_O) and f_0 against plain loops over p from the model's own draws,
   * on rows with a zero row: 1e-12 relative (the same float64 products; only the summation order
   * differs, ~P·ε = 4e-14 for P = 200).
   */
  @ParameterizedTest
  @EnumSource(Basis.class)
  void kernelAndOutputsMatchTheDefinition(Basis basis) {
    int p = 200;
    int o = 2;
    int m = 7;
    int n = 5;
    RandomFeatures rf = model(basis, p, o, 42);
    double[] x = data(1, m);
    Arrays.fill(x, 3 * D, 4 * D, 0.0);
    double[] y = data(2, n);
    double[] dirs = rf.directions();
    double[] phases = rf.phases();
    double[] theta = rf.theta();
    double[] expected = new double[m * n];
    double[] f0 = new double[m * o];
    for (int i = 0; i < m; i++) {
      for (int q = 0; q < p; q++) {
        double fi = feature(rf, dirs, phases, q, x, i);
        for (int j = 0; j < n; j++) {
          expected[i * n + j] += fi * feature(rf, dirs, phases, q, y, j) / p;
        }
        for (int a = 0; a < o; a++) {
          f0[i * o + a] += theta[q * o + a] * fi / Math.sqrt(p);
        }
      }
    }
    double[] trace = block(new RandomFeaturesKernel(rf, KernelOutputs.TRACE), x, m, y, n);
    double rel = Matrices.maxRelativeDifference(trace, expected);
    assertTrue(rel < 1e-12, basis + ": K̃ differs from the loops by " + rel);
    double[] full = block(new RandomFeaturesKernel(rf, KernelOutputs.FULL), x, m, y, n);
    for (int i = 0; i < m * o; i++) {
      for (int j = 0; j < n * o; j++) {
        double want = i % o == j % o ? trace[(i / o) * n + j / o] : 0.0;
        assertEquals(want, full[i * n * o + j], 0.0, "full (" + i + ", " + j + ")");
      }
    }
    double relF = Matrices.maxRelativeDifference(rf.outputs(x, m), f0);
    assertTrue(relF < 1e-12, basis + ": f_0 differs from the loops by " + relF);
    System.out.printf("RandomFeaturesKernelTest %s: K̃ vs loops %.2e, f_0 vs loops %.2e%n", basis, rel, relF);
  }

  /**
   * A pure function of the seed, and nested: the model with 50 features uses the first 50 draws of
   * the one with 300 (directions, phases and θ), so its features are the first 50 columns.
   */
  @ParameterizedTest
  @EnumSource(Basis.class)
  void drawsAreReproducibleAndNested(Basis basis) {
    double[] x = data(3, 4);
    RandomFeatures small = model(basis, 50, 2, 9);
    RandomFeatures big = model(basis, 300, 2, 9);
    assertArrayEquals(small.features(x, 4), model(basis, 50, 2, 9).features(x, 4), 0.0);
    double[] fs = small.features(x, 4);
    double[] fb = big.features(x, 4);
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(Arrays.copyOfRange(fs, i * 50, i * 50 + 50), Arrays.copyOfRange(fb, i * 300, i * 300 + 50),
          0.0);
    }
    assertArrayEquals(small.theta(), Arrays.copyOf(big.theta(), 100), 0.0);
    assertTrue(Arrays.stream(model(basis, 50, 2, 10).theta()).noneMatch(v -> Arrays.stream(small.theta())
        .anyMatch(w -> w == v)), "another seed draws other numbers");
  }

  /**
   * The Fourier limit against exp(−2π²σ²‖x − x'‖²) with the difference formed coordinate by
   * coordinate: the block forms ‖x‖² + ‖x'‖² − 2xᵀx', whose rounding (≤ ~4·3·ε·(‖x‖² + ‖x'‖²) ≈
   * 2e-14 here, rows in [−1, 1]³) moves K by that times 2π²σ² ≈ 9.7 relatively: 1e-12 relative
   * per entry is a bound with margin, and per entry it also covers the tiny values of far pairs.
   */
  @Test
  void fourierLimitIsTheGaussianKernel() {
    int n = 12;
    double[] x = data(4, n);
    System.arraycopy(x, 0, x, D, D); // a duplicate row: K = 1
    Arrays.fill(x, 2 * D, 3 * D, 0.0);
    double sigma = 0.7;
    RandomFeaturesLimit limit = new RandomFeaturesLimit(RandomFeatures.limit(Basis.FOURIER, sigma, D, 1),
        KernelOutputs.TRACE);
    double[] k = block(limit, x, n, x, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double d2 = 0;
        for (int c = 0; c < D; c++) {
          double diff = x[i * D + c] - x[j * D + c];
          d2 += diff * diff;
        }
        double want = Math.exp(-2 * Math.PI * Math.PI * sigma * sigma * d2);
        worst = Math.max(worst, Math.abs(k[i * n + j] - want) / want);
      }
    }
    assertEquals(1.0, k[1], 1e-15, "a duplicate row");
    assertTrue(worst < 1e-12, "worst relative difference " + worst);
    System.out.printf("RandomFeaturesKernelTest fourier limit vs direct Gaussian: %.2e relative%n", worst);
  }

  /**
   * The ReLU limit against 2 E[relu(u) relu(v)] integrated numerically. With the Cholesky factor
   * (u, v) = (a z₁, b z₁ + c z₂) and z = r(cos φ, sin φ), relu(u) relu(v) is homogeneous of degree
   * 2 in r, and r² (E r² = 2) is independent of φ ~ U[0, 2π), so
   * K = 2 E[relu(u) relu(v)] = (2/π) ∫₀^{2π} relu(a cos φ) relu(b cos φ + c sin φ) dφ.
   * The integrand is periodic and piecewise smooth with at most 4 kinks; the midpoint rule with
   * M = 10⁵ cells errs by at most J h²/8 per kink (J ≤ ‖x‖‖x'‖/d, the slope jump) plus the smooth
   * part's h²/24 ∫|h''| ≤ h²·2π/24·‖x‖‖x'‖/d: in all ≤ 1.3e-9 · ‖x‖‖x'‖/d, h = 2π/M. Tolerance
   * 2e-9 of that scale. Pairs include a zero row (K = 0), a duplicate row (θ = 0), x and −x (θ = π)
   * and near-parallel rows (the clipped cosine).
   */
  @Test
  void reluLimitIsTheIntegralOfItsDefinition() {
    int n = 9;
    double[] x = edgeRows(data(5, n));
    for (int c = 0; c < D; c++) {
      x[4 * D + c] = x[D + c] * (1 + 1e-9);
    }
    RandomFeaturesLimit limit = new RandomFeaturesLimit(RandomFeatures.limit(Basis.RELU, 1.0, D, 1),
        KernelOutputs.TRACE);
    double[] k = block(limit, x, n, x, n);
    int cells = 100_000;
    double h = 2 * Math.PI / cells;
    double worst = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double k11 = 0;
        double k12 = 0;
        double k22 = 0;
        for (int c = 0; c < D; c++) {
          k11 += x[i * D + c] * x[i * D + c] / D;
          k12 += x[i * D + c] * x[j * D + c] / D;
          k22 += x[j * D + c] * x[j * D + c] / D;
        }
        double[] f = GaussHermite.cholesky2(k11, k12, k22);
        double sum = 0;
        for (int t = 0; t < cells; t++) {
          double phi = (t + 0.5) * h;
          double u = f[0] * Math.cos(phi);
          double v = f[1] * Math.cos(phi) + f[2] * Math.sin(phi);
          sum += Math.max(u, 0) * Math.max(v, 0);
        }
        double want = 2 / Math.PI * sum * h;
        double scale = Math.sqrt(k11 * k22);
        double err = Math.abs(k[i * n + j] - want);
        assertTrue(Double.isFinite(k[i * n + j]));
        assertTrue(err <= 2e-9 * scale + 1e-15, "(" + i + ", " + j + "): " + k[i * n + j] + " vs integral " + want);
        if (scale > 0) {
          worst = Math.max(worst, err / scale);
        }
      }
    }
    assertEquals(0.0, k[0], 0.0, "zero row");
    assertEquals(0.0, k[n + 3], 0.0, "x and −x: relu(u) relu(−u) = 0");
    System.out.printf("RandomFeaturesKernelTest relu limit vs polar integral: %.2e of ‖x‖‖x'‖/d%n", worst);
  }

  /**
   * K̃_P → K: the relative Frobenius distance on 16 rows, averaged over 6 seeds, at
   * P = 100, 1600, 25600. K̃_P − K is the mean of P independent zero-mean matrices, so
   * E‖K̃_P − K‖²_F = c²/P exactly and the mean distance falls like P^{−1/2}. Each P gets its own
   * seeds (the models of one seed are nested), so the three means are independent. The
   * least-squares slope over log P is (ȳ₃ − ȳ₁)/(2 ln 16). Measured over 60 repetitions of this
   * test with other seeds: one distance spreads by 7 % (fourier) and 28 % (relu) of its mean, and
   * the slope by 0.006 and 0.030 around −0.499 and −0.506. The test asks for a fall at every step
   * and −0.5 ± 0.12 (4 standard deviations for relu); a kernel off by a constant factor, e.g. a
   * missing √2, would level off at a fixed distance (slope ≈ 0).
   */
  @ParameterizedTest
  @EnumSource(Basis.class)
  void kernelConvergesToItsLimitAtTheLawOfLargeNumbersRate(Basis basis) {
    int n = 16;
    double[] x = data(6, n);
    RandomFeaturesLimit limit = new RandomFeaturesLimit(RandomFeatures.limit(basis, scaleOf(basis), D, 1),
        KernelOutputs.TRACE);
    double[] k = block(limit, x, n, x, n);
    double norm = Matrices.frobenius(k);
    int[] ps = {100, 1600, 25600};
    int seeds = 6;
    double[] means = new double[ps.length];
    for (int a = 0; a < ps.length; a++) {
      for (int s = 0; s < seeds; s++) {
        RandomFeaturesKernel kt = new RandomFeaturesKernel(model(basis, ps[a], 1, 1000L * a + s), KernelOutputs.TRACE);
        double[] g = block(kt, x, n, x, n);
        double d = 0;
        for (int e = 0; e < g.length; e++) {
          d += (g[e] - k[e]) * (g[e] - k[e]);
        }
        means[a] += Math.sqrt(d) / norm / seeds;
      }
    }
    double slope = (Math.log(means[2]) - Math.log(means[0])) / (Math.log(ps[2]) - Math.log(ps[0]));
    System.out.printf("RandomFeaturesKernelTest %s: mean ‖K̃ − K‖/‖K‖ at P = 100, 1600, 25600: %.4g, %.4g, %.4g;"
        + " slope %.3f%n", basis, means[0], means[1], means[2], slope);
    assertTrue(means[1] < means[0] && means[2] < means[1], Arrays.toString(means));
    assertTrue(Math.abs(slope + 0.5) < 0.12, "slope " + slope);
  }

  /**
   * All four kernels give symmetric PSD Grams (λ_min ≥ −1e-12 λ_max) with finite entries on rows
   * with a zero row, a duplicate, an antipodal pair and a row of 1e-300.
   */
  @ParameterizedTest
  @EnumSource(Basis.class)
  void gramsAreSymmetricPsdAndFinite(Basis basis) {
    int n = 14;
    double[] x = edgeRows(data(7, n));
    x[4 * D] = 1e-300;
    x[4 * D + 1] = 0.0;
    x[4 * D + 2] = 0.0;
    for (KernelOutputs outputs : KernelOutputs.values()) {
      for (BlockKernel<?> kernel : java.util.List.<BlockKernel<?>>of(
          new RandomFeaturesKernel(model(basis, 40, 2, 3), outputs),
          new RandomFeaturesLimit(RandomFeatures.limit(basis, scaleOf(basis), D, 2), outputs))) {
        EmpiricalNtkContract.assertSymmetricPsdAndFinite(gram(kernel, x, n), n * kernel.rowsPerExample(), 1e-14,
            kernel.describe());
      }
    }
  }

  private static double[] gram(BlockKernel<?> kernel, double[] x, int n) {
    return EmpiricalNtkContract.gram(kernel, x, n, x, n);
  }

  @Test
  void theLimitHasNoFeaturesAndStartsFromZero() {
    RandomFeatures limit = RandomFeatures.limit(Basis.FOURIER, 1.0, D, 2);
    assertTrue(limit.isLimit());
    assertArrayEquals(new double[8], limit.outputs(data(8, 4), 4), 0.0);
    assertThrows(IllegalArgumentException.class, () -> new RandomFeaturesKernel(limit, KernelOutputs.TRACE));
    assertThrows(IllegalArgumentException.class, () -> RandomFeatures.initialise(Basis.RELU, 10, 2.0, D, 1, 0));
  }
}
