package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkntk.linalg.Lapack;

/**
 * Ridge leverage scores against their definition, computed another way (a dense solve of
 * (K + ρI) X = K instead of a triangular solve per row), and the weighted draw of centres.
 */
class RidgeLeverageTest {
  static final int N = 40;

  /** A Gaussian kernel on 40 points of the line, some clustered, so that the scores are uneven. */
  static double[] kernel() {
    Random r = new Random(3);
    double[] x = new double[N];
    for (int i = 0; i < N; i++) {
      x[i] = i < 30 ? r.nextGaussian() * 0.2 : 3 + 2 * r.nextDouble();
    }
    double[] k = new double[N * N];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        k[i * N + j] = Math.exp(-(x[i] - x[j]) * (x[i] - x[j]));
      }
    }
    return k;
  }

  static double[] diagonal(double[] k) {
    double[] d = new double[N];
    for (int i = 0; i < N; i++) {
      d[i] = k[i * N + i];
    }
    return d;
  }

  /**
   * With every row in the subsample (R = n) the estimate is the score itself, [K (K + ρI)⁻¹]_ii,
   * taken here from the diagonal of (K + ρI)⁻¹ K by a Cholesky solve. Both are float64 solves of a
   * system with κ ≈ 1/ρ = 100: 1e-12. The clustered points score far lower than the isolated ones.
   */
  @Test
  void theWholeSubsampleGivesTheExactScores() {
    double[] k = kernel();
    double ridge = 1e-2;
    double[] scores = RidgeLeverage.of(k, N, N, ridge).scores(k.clone(), N, diagonal(k));
    double[] solved = Lapack.get().shiftedCholeskySolveRestoring(k, N, ridge, k.clone(), N);
    for (int i = 0; i < N; i++) {
      assertEquals(solved[i * N + i], scores[i], 1e-12, "row " + i);
    }
    double clustered = Arrays.stream(scores, 0, 30).average().orElseThrow();
    double isolated = Arrays.stream(scores, 30, N).average().orElseThrow();
    assertTrue(isolated > 3 * clustered, "isolated " + isolated + ", clustered " + clustered);
  }

  /**
   * A subsample J of R &lt; n rows: (K_ii − K_iJ (K_JJ + ρ (R/n) I)⁻¹ K_Ji) / ρ clamped to [0, 1],
   * with the inverse applied by a dense solve of the shifted K_JJ. Some rows are clamped, some not.
   */
  @Test
  void aSubsampleGivesTheNystromEstimate() {
    double[] k = kernel();
    double ridge = 0.05;
    int[] j = {0, 4, 9, 17, 25, 31, 33, 38};
    int r = j.length;
    double[] kjj = new double[r * r];
    double[] kxj = new double[N * r];
    for (int a = 0; a < r; a++) {
      for (int b = 0; b < r; b++) {
        kjj[a * r + b] = k[j[a] * N + j[b]];
      }
    }
    for (int i = 0; i < N; i++) {
      for (int b = 0; b < r; b++) {
        kxj[i * r + b] = k[i * N + j[b]];
      }
    }
    double[] scores = RidgeLeverage.of(kjj, r, N, ridge).scores(kxj.clone(), N, diagonal(k));
    // Z = (K_JJ + ρ (R/n) I)⁻¹ K_Jx, R × n
    double[] kjx = new double[r * N];
    for (int i = 0; i < N; i++) {
      for (int b = 0; b < r; b++) {
        kjx[b * N + i] = kxj[i * r + b];
      }
    }
    double[] z = Lapack.get().shiftedCholeskySolveRestoring(kjj, r, ridge * r / N, kjx, N);
    for (int i = 0; i < N; i++) {
      double quadratic = 0;
      for (int b = 0; b < r; b++) {
        quadratic += kxj[i * r + b] * z[b * N + i];
      }
      double expected = Math.min(1, Math.max(0, (k[i * N + i] - quadratic) / ridge));
      assertEquals(expected, scores[i], 1e-12 * Math.max(1, Math.abs(expected)), "row " + i);
    }
    long clamped = Arrays.stream(scores).filter(v -> v == 1.0).count();
    assertTrue(clamped > 0 && clamped < N, clamped + " of " + N + " rows clamped to 1");
  }

  /**
   * One centre drawn from weights 1 : 2 : 3 : 4 comes out with those probabilities (20,000 seeds;
   * the frequencies' standard deviations are at most 0.0035, so 0.015 is over four of them), and
   * larger draws are distinct, ascending and the same for the same seed.
   */
  @Test
  void centresAreDrawnInProportionToTheirScores() {
    double[] weights = {1, 2, 3, 4};
    int[] counts = new int[4];
    int draws = 20_000;
    for (int seed = 0; seed < draws; seed++) {
      counts[(int) RidgeLeverage.sample(weights, 1, seed)[0]]++;
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(weights[i] / 10, counts[i] / (double) draws, 0.015, "row " + i);
    }

    double[] scores = new Random(1).doubles(500, 0, 1).toArray();
    scores[7] = 0;
    scores[8] = -1e-17;
    long[] a = RidgeLeverage.sample(scores, 60, 42);
    assertArrayEquals(a, RidgeLeverage.sample(scores, 60, 42));
    assertEquals(60, Arrays.stream(a).distinct().count());
    for (int i = 1; i < a.length; i++) {
      assertTrue(a[i - 1] < a[i]);
    }
    assertTrue(!Arrays.equals(a, RidgeLeverage.sample(scores, 60, 43)), "another seed, another draw");
    assertArrayEquals(new long[] {0, 1, 2, 3}, RidgeLeverage.sample(weights, 9, 0));
    assertThrows(IllegalArgumentException.class, () -> RidgeLeverage.sample(new double[] {1, Double.NaN}, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> RidgeLeverage.of(new double[] {1}, 1, 5, 0));
  }
}
