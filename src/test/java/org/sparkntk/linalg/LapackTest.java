package org.sparkntk.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The in-place shifted Cholesky solve leaves A as it was, bit for bit, and its solution satisfies
 * (A + shift·I) X = B to rounding: the residual relative to ‖A + shift·I‖·‖X‖ + ‖B‖ stays within
 * n·ε (Cholesky is backward stable), checked against the product formed independently by loops.
 */
public class LapackTest {
  /** G Gᵀ for a random n × (n + 3) matrix G with entries uniform in [−1, 1): symmetric positive definite. */
  public static double[] spd(int n, long seed) {
    Random r = new Random(seed);
    double[] g = r.doubles((long) n * (n + 3), -1, 1).toArray();
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int q = 0; q < n + 3; q++) {
          s += g[i * (n + 3) + q] * g[j * (n + 3) + q];
        }
        a[i * n + j] = s;
      }
    }
    return a;
  }

  @ParameterizedTest
  @CsvSource({"1, 1, 0.5", "7, 3, 0.0", "64, 2, 1e-3", "129, 5, 0.1", "200, 1, 10"})
  void shiftedSolveRestoresTheMatrixAndSolves(int n, int nrhs, double shift) {
    double[] a = spd(n, n);
    double[] before = a.clone();
    Random r = new Random(7);
    double[] b = r.doubles((long) n * nrhs, -1, 1).toArray();
    double[] x = Lapack.get().shiftedCholeskySolveRestoring(a, n, shift, b, nrhs);
    assertArrayEquals(before, a, "A after the solve");
    double worst = 0;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < nrhs; c++) {
        double s = shift * x[i * nrhs + c];
        double scale = Math.abs(s) + Math.abs(b[i * nrhs + c]);
        for (int j = 0; j < n; j++) {
          s += before[i * n + j] * x[j * nrhs + c];
          scale += Math.abs(before[i * n + j] * x[j * nrhs + c]);
        }
        worst = Math.max(worst, Math.abs(s - b[i * nrhs + c]) / scale);
      }
    }
    assertTrue(worst < n * 2.3e-16 * 4, "relative residual " + worst);
    // and the same solution as the solve on a shifted copy
    double[] shifted = before.clone();
    for (int i = 0; i < n; i++) {
      shifted[i * n + i] += shift;
    }
    double[] y = Lapack.get().choleskySolve(shifted, n, b, nrhs);
    for (int i = 0; i < x.length; i++) {
      assertTrue(Math.abs(x[i] - y[i]) <= 1e-10 * (1 + Math.abs(y[i])), "x[" + i + "] " + x[i] + " vs " + y[i]);
    }
  }

  @ParameterizedTest
  @CsvSource({"5", "70"})
  void aMatrixThatIsNotPositiveDefiniteIsRefusedAndRestored(int n) {
    double[] a = spd(n, 3);
    for (int i = 0; i < n; i++) {
      a[i * n + i] -= 1e6; // far from positive definite
    }
    double[] before = a.clone();
    assertThrows(Lapack.NotPositiveDefiniteException.class,
        () -> Lapack.get().shiftedCholeskySolveRestoring(a, n, 0.0, new double[n], 1));
    assertArrayEquals(before, a, "A after the failed factorisation");
  }

  /**
   * A kernel is symmetric only to rounding (a GEMM's diagonal block need not equal its transpose
   * bit for bit): entries of the triangle dpotrf overwrites that differ from their mirror are put
   * back as they were, and the solution is the one of the same solve on a copy, to the bit. With
   * more such entries than the record allows, the matrix is copied instead, with the same result.
   */
  @ParameterizedTest
  @CsvSource({"40, 7", "150, 1", "150, 3000"})
  void aNearlySymmetricMatrixIsRestoredBitForBit(int n, int perturbed) {
    double[] a = spd(n, 21);
    Random r = new Random(perturbed);
    for (int e = 0; e < perturbed; e++) {
      int i = 1 + r.nextInt(n - 1);
      int j = r.nextInt(i);
      a[i * n + j] = Math.nextUp(a[i * n + j]); // the row-major lower triangle, one ulp off its mirror
    }
    double[] before = a.clone();
    double[] b = r.doubles(n * 2L, -1, 1).toArray();
    double[] x = Lapack.get().shiftedCholeskySolveRestoring(a, n, 0.25, b, 2);
    assertArrayEquals(before, a, "A after the solve");
    double[] shifted = before.clone();
    for (int i = 0; i < n; i++) {
      shifted[i * n + i] += 0.25;
    }
    assertArrayEquals(Lapack.get().choleskySolve(shifted, n, b, 2), x, "solution against a solve on a copy");
  }

  /**
   * The blocked factorisation by panels across threads against LAPACK's dpotrf on the same SPD
   * matrix (X Xᵀ/d + I, condition number about 2): both are backward stable, so the factors agree
   * to a small multiple of n·ε (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
   * Thm 10.3); the strict lower triangle (column-major) is untouched by both. Orders that are and
   * are not multiples of the panel, one panel, panels too narrow to split (one slice), four slices.
   */
  @ParameterizedTest
  @CsvSource({"700, 64, 2", "640, 64, 3", "50, 64, 2", "257, 16, 5", "900, 128, 4"})
  void theBlockedFactorEqualsLapacks(int n, int panel, int threads) {
    double[] a = wellConditionedSpd(n, new Random(n + panel));
    double[] byLapack = a.clone();
    double[] blocked = a.clone();
    Lapack lapack = Lapack.get();
    assertEquals(0, lapack.factorUpperByLapack(byLapack, n));
    assertEquals(0, lapack.factorUpperBlocked(blocked, n, panel, threads));
    double tolerance = 64 * n * Math.ulp(1.0);
    for (int col = 0; col < n; col++) {
      for (int row = 0; row < n; row++) {
        int at = col * n + row;
        if (row <= col) {
          assertEquals(byLapack[at], blocked[at], tolerance * Math.sqrt(a[col * n + col]),
              "C[" + row + ", " + col + "]");
        } else {
          assertEquals(Double.doubleToRawLongBits(a[at]), Double.doubleToRawLongBits(blocked[at]),
              "strict lower triangle, (" + row + ", " + col + ")");
        }
      }
    }
  }

  /** A leading minor that is not positive definite is reported with the same order as dpotrf's. */
  @ParameterizedTest
  @CsvSource({"300, 64, 0", "300, 64, 130", "300, 64, 128", "300, 64, 299"})
  void theBlockedFactorReportsTheSameMinorAsLapack(int n, int panel, int singularAt) {
    double[] a = wellConditionedSpd(n, new Random(singularAt));
    // A negative diagonal entry at singularAt: its pivot is negative whatever came before, so the
    // leading minor of order singularAt + 1 is the first that is not positive definite.
    a[singularAt * n + singularAt] = -1.0;
    int byLapack = Lapack.get().factorUpperByLapack(a.clone(), n);
    int blocked = Lapack.get().factorUpperBlocked(a.clone(), n, panel, 2);
    assertEquals(singularAt + 1, byLapack);
    assertEquals(byLapack, blocked);
  }

  /**
   * X Xᵀ / d + I for X n×d with d = 2n: symmetric positive definite with a condition number about 2
   * (unlike {@link #spd}, whose G Gᵀ is nearly square and ill conditioned), so that the factors of
   * two routes agree to n·ε.
   */
  private static double[] wellConditionedSpd(int n, Random r) {
    int d = 2 * n;
    double[] x = r.doubles((long) n * d, -1, 1).toArray();
    double[] a = new double[n * n];
    Blas.get().gemmNT(n, n, d, 1.0 / d, x, x, 0.0, a);
    for (int i = 0; i < n; i++) {
      a[i * n + i] += 1.0;
    }
    return a;
  }
}
