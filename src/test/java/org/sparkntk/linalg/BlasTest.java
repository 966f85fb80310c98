package org.sparkntk.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The row-major facade against plain loops, for the implementation in use (native when a system
 * BLAS loads) and for the pure-Java one every machine has. Tolerance: k·ε relative to the sum of
 * magnitudes of an entry's products, the bound on any summation order's rounding.
 */
class BlasTest {

  @ParameterizedTest
  @CsvSource({"false, false", "true, false", "false, true", "true, true"})
  void gemmMatchesLoopsForEveryTransposeInBothImplementations(boolean transA, boolean transB) {
    for (Blas blas : new Blas[] {Blas.get(), Blas.java()}) {
      Random r = new Random(3);
      int m = 7;
      int n = 5;
      int k = 9;
      int lda = (transA ? m : k) + 2;
      int ldb = (transB ? k : n) + 1;
      int ldc = n + 3;
      double[] a = r.doubles(3 + (transA ? k : m) * lda).toArray();
      double[] b = r.doubles(2 + (transB ? n : k) * ldb).toArray();
      double[] c = r.doubles(1 + m * ldc).toArray();
      double[] expected = c.clone();
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int q = 0; q < k; q++) {
            double av = transA ? a[3 + q * lda + i] : a[3 + i * lda + q];
            double bv = transB ? b[2 + j * ldb + q] : b[2 + q * ldb + j];
            s += av * bv;
          }
          expected[1 + i * ldc + j] = 0.5 * s + 2.0 * c[1 + i * ldc + j];
        }
      }
      blas.gemm(transA, transB, m, n, k, 0.5, a, 3, lda, b, 2, ldb, 2.0, c, 1, ldc);
      for (int i = 0; i < c.length; i++) {
        assertEquals(expected[i], c[i], 4 * k * Math.ulp(4.0), blas.implementation() + " entry " + i);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"false", "true"})
  void gemvMatchesLoopsWithOffsetsInBothImplementations(boolean transA) {
    for (Blas blas : new Blas[] {Blas.get(), Blas.java()}) {
      Random r = new Random(5);
      int m = 6;
      int n = 11;
      int lda = n + 2;
      double[] a = r.doubles(4 + m * lda).toArray();
      double[] x = r.doubles(3 + (transA ? m : n)).toArray();
      double[] y = r.doubles(2 + (transA ? n : m) + 1).toArray();
      double[] expected = y.clone();
      for (int i = 0; i < (transA ? n : m); i++) {
        double s = 0;
        for (int q = 0; q < (transA ? m : n); q++) {
          s += (transA ? a[4 + q * lda + i] : a[4 + i * lda + q]) * x[3 + q];
        }
        expected[2 + i] = 0.5 * s + 2.0 * y[2 + i];
      }
      blas.gemv(transA, m, n, 0.5, a, 4, lda, x, 3, 2.0, y, 2);
      for (int i = 0; i < y.length; i++) {
        assertEquals(expected[i], y[i], 4 * n * Math.ulp(4.0), blas.implementation() + " entry " + i);
      }
    }
  }

  @Test
  void sgemmAndSymvAgreeAcrossImplementations() {
    Random r = new Random(4);
    int n = 33;
    float[] a = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextFloat();
    }
    float[] c1 = new float[n * n];
    float[] c2 = new float[n * n];
    Blas.get().sgemm(false, true, n, n, n, 1f, a, 0, n, a, 0, n, 0f, c1, 0, n);
    Blas.java().sgemm(false, true, n, n, n, 1f, a, 0, n, a, 0, n, 0f, c2, 0, n);
    for (int i = 0; i < c1.length; i++) {
      assertEquals(c1[i], c2[i], n * Math.ulp((float) n));
    }
    double[] s = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        s[i * n + j] = s[j * n + i] = r.nextGaussian();
      }
    }
    double[] x = r.doubles(n).toArray();
    double[] y1 = new double[n];
    double[] y2 = new double[n];
    Blas.get().symv(n, 1.0, s, x, 0.0, y1);
    Blas.java().symv(n, 1.0, s, x, 0.0, y2);
    for (int i = 0; i < n; i++) {
      double loop = 0;
      for (int j = 0; j < n; j++) {
        loop += s[i * n + j] * x[j];
      }
      assertEquals(loop, y1[i], 1e-13 * n);
      assertEquals(loop, y2[i], 1e-13 * n);
    }
  }

  @Test
  void wrongSizesAreRefusedWithTheShapesInTheMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Blas.get().gemm(3, 3, 3, 1.0, new double[8], new double[9], 0.0, new double[9]));
    assertTrue(e.getMessage().contains("A is 3×3") && e.getMessage().contains("the array has 8"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Blas.get().gemm(false, false, 2, 2, 2, 1.0, new double[4], 0, 1, new double[4], 0, 2, 0.0,
            new double[4], 0, 2));
    assertTrue(e.getMessage().contains("leading dimension of A is 1"), e.getMessage());
  }

  @Test
  void reportsItsImplementation() {
    assertTrue(Blas.get().implementation().startsWith("dev.ludovic.netlib.blas."));
    assertTrue(!Blas.java().isNative());
  }
}
