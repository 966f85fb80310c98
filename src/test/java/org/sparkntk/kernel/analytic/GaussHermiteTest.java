package org.sparkntk.kernel.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gauss–Hermite rules integrate polynomials of degree ≤ 2n − 1 exactly, in one and two
 * dimensions, including degenerate covariances. Tolerances are 1e-12 relative to the moment's
 * scale: the nodes and weights come from an eigen-decomposition accurate to a few ulps, and the
 * sums have at most n² terms of one sign pattern per moment.
 */
class GaussHermiteTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5, 8, 20, 64})
  void weightsSumToOneAndRuleIsSymmetric(int n) {
    GaussHermite gh = GaussHermite.of(n);
    double[] x = gh.nodes();
    double[] w = gh.weights();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += w[i];
      assertTrue(w[i] >= 0);
      assertEquals(-x[n - 1 - i], x[i], 0.0);
      assertEquals(w[n - 1 - i], w[i], 0.0);
      if (i > 0) {
        assertTrue(x[i] > x[i - 1], "nodes ascending");
      }
    }
    assertEquals(1.0, sum, 1e-14);
  }

  @Test
  void knownSmallRules() {
    // 2 points: ±1, weights ½; 3 points: 0, ±√3, weights 2/3, 1/6
    GaussHermite two = GaussHermite.of(2);
    assertEquals(1.0, two.nodes()[1], 1e-14);
    assertEquals(0.5, two.weights()[0], 1e-14);
    GaussHermite three = GaussHermite.of(3);
    assertEquals(Math.sqrt(3), three.nodes()[2], 1e-14);
    assertEquals(0.0, three.nodes()[1], 0.0);
    assertEquals(2.0 / 3, three.weights()[1], 1e-14);
    assertEquals(1.0 / 6, three.weights()[0], 1e-14);
    assertThrows(IllegalArgumentException.class, () -> GaussHermite.of(0));
  }

  @Test
  void oneDimensionalMomentsAreExact() {
    GaussHermite gh = GaussHermite.of(10); // exact to degree 19
    double var = 1.7;
    double doubleFactorial = 1; // (2k − 1)!!
    for (int k = 0; k <= 9; k++) {
      if (k > 0) {
        doubleFactorial *= 2 * k - 1;
      }
      int p = 2 * k;
      double exact = doubleFactorial * Math.pow(var, k);
      double got = gh.expectation(var, u -> Math.pow(u, p));
      assertEquals(exact, got, 1e-12 * exact, "E[u^" + p + "]");
      assertEquals(0.0, gh.expectation(var, u -> Math.pow(u, p + 1)), 1e-12 * exact);
    }
    assertEquals(Math.exp(0.5 * 0.3 * 0.3 * var), GaussHermite.of(40).expectation(var, u -> Math.exp(0.3 * u)), 1e-14);
  }

  /** Moments of a bivariate normal (Isserlis): E[uv] = k12, E[u²v²] = k11k22 + 2k12², E[u³v] = 3k11k12, … */
  @Test
  void twoDimensionalMomentsAreExactIncludingDegenerateCovariances() {
    GaussHermite gh = GaussHermite.of(6);
    Random rnd = new Random(5);
    double[][] cases = new double[40][];
    for (int t = 0; t < cases.length; t++) {
      double k11 = t % 10 == 0 ? 0.0 : 3 * rnd.nextDouble();
      double k22 = t % 10 == 1 ? 0.0 : 3 * rnd.nextDouble();
      double bound = Math.sqrt(k11 * k22);
      double k12 = switch (t % 5) {
        case 2 -> bound;
        case 3 -> -bound;
        default -> bound * (2 * rnd.nextDouble() - 1);
      };
      cases[t] = new double[] {k11, k12, k22};
    }
    for (double[] k : cases) {
      double k11 = k[0];
      double k12 = k[1];
      double k22 = k[2];
      double scale = 1 + k11 * k11 + k22 * k22;
      String where = "k = " + java.util.Arrays.toString(k);
      assertEquals(k11, gh.expectation(k11, k12, k22, u -> u * u, v -> 1), 1e-12 * scale, where);
      assertEquals(k22, gh.expectation(k11, k12, k22, u -> 1, v -> v * v), 1e-12 * scale, where);
      assertEquals(k12, gh.expectation(k11, k12, k22, u -> u, v -> v), 1e-12 * scale, where);
      assertEquals(k11 * k22 + 2 * k12 * k12, gh.expectation(k11, k12, k22, u -> u * u, v -> v * v),
          1e-12 * scale, where);
      assertEquals(3 * k11 * k12, gh.expectation(k11, k12, k22, u -> u * u * u, v -> v), 1e-12 * scale, where);
      assertEquals(3 * k22 * k22, gh.expectation(k11, k12, k22, u -> 1, v -> v * v * v * v), 1e-12 * scale, where);
      // E[u²v⁴] = 3 k11 k22² + 12 k12² k22
      assertEquals(3 * k11 * k22 * k22 + 12 * k12 * k12 * k22,
          gh.expectation(k11, k12, k22, u -> u * u, v -> v * v * v * v), 1e-12 * scale * scale, where);
      assertEquals(0.0, gh.expectation(k11, k12, k22, u -> u, v -> v * v), 1e-12 * scale, where);
    }
  }

  @Test
  void degenerateAndSlightlyInvalidCovariancesGiveNoNaN() {
    GaussHermite gh = GaussHermite.of(8);
    // |k12| a hair above √(k11 k22) and a negative variance from rounding are clipped
    double[][] cases = {{0, 0, 0}, {0, 0, 2}, {2, 0, 0}, {1, 1 + 1e-15, 1}, {1, -1 - 1e-15, 1}, {-1e-17, 0, 1},
        {1e-300, 1e-300, 1e-300}, {4, 2, 1}};
    for (double[] k : cases) {
      double[] f = GaussHermite.cholesky2(k[0], k[1], k[2]);
      for (double v : f) {
        assertTrue(Double.isFinite(v), java.util.Arrays.toString(k));
      }
      double e = gh.expectation(k[0], k[1], k[2], u -> u * u + 1, v -> v * v + Math.tanh(v));
      assertTrue(Double.isFinite(e), java.util.Arrays.toString(k));
    }
    // perfectly correlated: v = 2u, E[u² v²] = 4 E[u⁴] = 12 for k11 = 1
    assertEquals(12.0, gh.expectation(1, 2, 4, u -> u * u, v -> v * v), 1e-12);
    // anti-correlated
    assertEquals(-2.0, gh.expectation(1, -2, 4, u -> u, v -> v), 1e-12);
    // k11 = 0: u ≡ 0
    assertEquals(3.0 * 2, gh.expectation(0, 0, 2, u -> u + 3, v -> v * v), 1e-12);
  }
}
