package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The FFT products of {@link GridKernelOperator} against the same matrix written out entry by entry,
 * Θ_ij = κ(p_i − q_j), and multiplied naively. κ is random and not symmetric, so a sign or
 * orientation slip in the embedding shows; lattices of odd and even sides (P = 2L − 1 rounded up to
 * a power of two leaves different padding), point sets that repeat, skip and reorder lattice
 * points, and odd column counts (the last column has no partner in the packed transform).
 *
 * <p>Tolerance: each output is a sum of at most L² products; the FFT's rounding error is
 * O(ε log P) relative to ‖κ‖·‖v‖ (Higham, Accuracy and Stability of Numerical Algorithms, §24.1),
 * about 1e-14 here, so 1e-12 of the largest |entry| × ‖v‖∞ × cols leaves a wide margin and still
 * catches any wrong entry, which would be O(1).
 */
class GridKernelOperatorTest {

  @ParameterizedTest
  @CsvSource({"1, 1", "2, 3", "5, 1", "7, 2", "8, 3", "9, 5"})
  void productsEqualTheExplicitMatrix(int side, int c) {
    Random rng = new Random(side * 31L + c);
    int width = 2 * side - 1;
    double[] kappa = rng.doubles((long) width * width, -1, 1).toArray();
    int points = side * side;
    int[] rowPoints = rng.ints(points + 3, 0, points).toArray();
    int[] colPoints = IntStream.range(0, points).map(i -> points - 1 - i).filter(i -> i % 3 != 1).toArray();
    if (colPoints.length == 0) {
      colPoints = new int[] {0};
    }
    GridKernelOperator op = new GridKernelOperator(side, kappa, rowPoints, colPoints);
    double[] v = rng.doubles((long) colPoints.length * c, -1, 1).toArray();
    double[] got = op.apply(v, c);
    assertEquals(rowPoints.length * c, got.length);
    for (int i = 0; i < rowPoints.length; i++) {
      for (int t = 0; t < c; t++) {
        double want = 0;
        for (int j = 0; j < colPoints.length; j++) {
          int dr = rowPoints[i] / side - colPoints[j] / side;
          int dc = rowPoints[i] % side - colPoints[j] % side;
          want += kappa[(dr + side - 1) * width + dc + side - 1] * v[j * c + t];
        }
        assertEquals(want, got[i * c + t], 1e-12 * colPoints.length, "row " + i + ", column " + t);
      }
    }
    assertEquals(1, op.products());
    assertTrue(op.fftSide() >= width && Integer.bitCount(op.fftSide()) == 1, "P = " + op.fftSide());
  }

  @Test
  void aSymmetricKernelOnOneSetOfPointsGivesASymmetricOperator() {
    // κ(d) = κ(−d) on the same points: ⟨u, Θ w⟩ = ⟨Θ u, w⟩, what CG and Lanczos assume.
    int side = 6;
    int width = 2 * side - 1;
    double[] kappa = new double[width * width];
    for (int dr = -(side - 1); dr < side; dr++) {
      for (int dc = -(side - 1); dc < side; dc++) {
        kappa[(dr + side - 1) * width + dc + side - 1] = Math.exp(-(dr * dr + dc * dc) / 7.0) + 0.1 * Math.cos(dr * dc);
      }
    }
    int[] all = IntStream.range(0, side * side).toArray();
    GridKernelOperator op = new GridKernelOperator(side, kappa, all, all);
    Random rng = new Random(3);
    double[] u = rng.doubles(all.length, -1, 1).toArray();
    double[] w = rng.doubles(all.length, -1, 1).toArray();
    assertEquals(dot(u, op.apply(w, 1)), dot(op.apply(u, 1), w), 1e-12);
  }

  @Test
  void badShapesAreRefused() {
    double[] kappa = new double[9];
    assertThrows(IllegalArgumentException.class, () -> new GridKernelOperator(2, new double[8], new int[] {0},
        new int[] {0}));
    assertThrows(IllegalArgumentException.class, () -> new GridKernelOperator(2, kappa, new int[] {4}, new int[] {0}));
    double[] nan = kappa.clone();
    nan[4] = Double.NaN;
    assertThrows(IllegalArgumentException.class, () -> new GridKernelOperator(2, nan, new int[] {0}, new int[] {0}));
    GridKernelOperator op = new GridKernelOperator(2, kappa, new int[] {0, 1}, new int[] {2, 3});
    assertThrows(IllegalArgumentException.class, () -> op.apply(new double[3], 1));
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
