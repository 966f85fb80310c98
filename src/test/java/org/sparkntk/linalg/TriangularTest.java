package org.sparkntk.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The triangular routines Nyström regression uses, against loops over a random upper triangular
 * factor C (column-major, as {@link Lapack#choleskyUpper} returns it): C X = B and Cᵀ X = B by
 * {@link Blas#solveUpperRowMajor}, checked by multiplying back, and C Cᵀ by
 * {@link Lapack#upperTimesTransposeOverwriting}. C's diagonal is kept in [1, 2] so that the
 * solves are well conditioned; rounding is a few ulps of the row sums, hence 1e-12.
 */
class TriangularTest {
  private static final int N = 23;
  private static final int C = 3;

  /** C[row][col] of the column-major array. */
  private static double at(double[] upper, int row, int col) {
    return row <= col ? upper[col * N + row] : 0.0;
  }

  private static double[] randomUpper(Random r) {
    double[] u = new double[N * N];
    for (int col = 0; col < N; col++) {
      for (int row = 0; row <= col; row++) {
        u[col * N + row] = row == col ? 1 + r.nextDouble() : r.nextGaussian() * 0.3;
      }
    }
    return u;
  }

  @Test
  void solvesWithTheFactorAndItsTranspose() {
    Random r = new Random(3);
    double[] upper = randomUpper(r);
    for (boolean transpose : new boolean[] {false, true}) {
      double[] b = r.doubles(N * C, -1, 1).toArray();
      double[] x = b.clone();
      Blas.get().solveUpperRowMajor(transpose, N, C, upper, x);
      for (int i = 0; i < N; i++) {
        for (int j = 0; j < C; j++) {
          double s = 0;
          for (int q = 0; q < N; q++) {
            s += (transpose ? at(upper, q, i) : at(upper, i, q)) * x[q * C + j];
          }
          assertEquals(b[i * C + j], s, 1e-12, (transpose ? "Cᵀ" : "C") + " X = B at " + i + ", " + j);
        }
      }
    }
  }

  @Test
  void upperTimesTransposeIsCCt() {
    double[] upper = randomUpper(new Random(4));
    double[] product = upper.clone();
    Lapack.get().upperTimesTransposeOverwriting(product, N);
    for (int col = 0; col < N; col++) {
      for (int row = 0; row <= col; row++) {
        double s = 0;
        for (int q = 0; q < N; q++) {
          s += at(upper, row, q) * at(upper, col, q);
        }
        assertEquals(s, product[col * N + row], 1e-12, "(C Cᵀ)[" + row + "][" + col + "]");
      }
    }
  }
}
