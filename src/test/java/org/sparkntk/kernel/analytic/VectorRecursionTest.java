package org.sparkntk.kernel.analytic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Parameterization;

/**
 * The ReLU family's NTK recursion in groups of entries on the Vector API gives exactly the bits of
 * the scalar recursion: blocks of every width around the vector length (full groups and tails),
 * rows that meet at every angle, including the ranges the groups leave to the scalar code (θ near
 * π, zero rows), equal rows (the exact diagonal) and negated rows.
 */
class VectorRecursionTest {

  @Test
  void theTestsJvmTakesTheVectorRoute() {
    assertTrue(AnalyticNtk.VECTORISED, "the tests' JVM should have jdk.incubator.vector and 256-bit vectors");
  }

  static Stream<Arguments> cases() {
    return Stream.of(Activation.fromConfig("relu"), Activation.leakyRelu(0.2), Activation.fromConfig("abs"))
        .flatMap(a -> Stream.of(Arguments.of(a, 0.0), Arguments.of(a, 0.3)));
  }

  @ParameterizedTest(name = "{0}, σ_b = {1}")
  @MethodSource("cases")
  void groupsGiveTheScalarBits(Activation act, double sigmaB) {
    Architecture arch = new Architecture(new int[] {5, 16, 16, 16, 1}, act, Parameterization.NTK, 1.4, sigmaB);
    AnalyticNtk kernel = new AnalyticNtk(arch, KernelOutputs.TRACE, true);
    Random rnd = new Random(3);
    for (int cols : new int[] {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64}) {
      int rows = 13;
      double[] left = rows(rows, rnd);
      double[] right = rows(cols, rnd);
      // right rows equal to, negated from and nearly opposite to left rows, and a zero row
      System.arraycopy(left, 0, right, 0, Math.min(5, cols * 5));
      if (cols > 2) {
        for (int c = 0; c < 5; c++) {
          right[2 * 5 + c] = -left[5 + c];
        }
      }
      if (cols > 4) {
        for (int c = 0; c < 5; c++) {
          right[4 * 5 + c] = -left[2 * 5 + c] + 1e-9 * c;
        }
      }
      if (cols > 6) {
        java.util.Arrays.fill(right, 6 * 5, 7 * 5, 0.0);
      }
      AnalyticNtk.Prepared l = kernel.prepare(left, rows);
      AnalyticNtk.Prepared r = kernel.prepare(right, cols);
      assertArrayEquals(kernel.scalarBlock(l, r, false, null), kernel.scalarBlock(l, r, true, null),
          "cross block " + cols);
      if (cols == rows || cols >= 9) {
        AnalyticNtk.Prepared self = kernel.prepare(right, cols);
        double[] scalar = kernel.scalarBlock(self, self, false, null);
        double[] grouped = kernel.scalarBlock(self, self, true, null);
        assertArrayEquals(scalar, grouped, "diagonal block " + cols);
        double[] diagonal = diagonalRecursion(kernel, right, cols);
        for (int i = 0; i < cols; i++) {
          assertEquals(diagonal[i], grouped[i * cols + i], 0.0, "the diagonal is the diagonal recursion's, row " + i);
        }
      }
    }
  }

  /**
   * A group with one entry at θ near π (k12 = −0.99 √(k11 k22)) or with a zero variance is left
   * unchanged and its start reported; the other groups and the tail beyond the last full group
   * are as documented (changed, and unchanged).
   */
  @Test
  void groupsOutsideTheTwoRangesAreLeftToTheScalarCode() {
    int lanes = VectorArcCosine.lanes();
    int n = 3 * lanes + 2;
    double[] k22 = new double[n];
    double[] sigma = new double[n];
    java.util.Arrays.fill(k22, 2.0);
    for (int j = 0; j < n; j++) {
      sigma[j] = 0.5 * Math.sqrt(2.0) * ((j % 3) - 1);
    }
    sigma[lanes + 1] = -0.99 * Math.sqrt(2.0);
    k22[2 * lanes + 3] = 0.0;
    double[] theta = sigma.clone();
    double[] sigmaBefore = sigma.clone();
    int[] skipped = new int[4];
    int count = VectorArcCosine.ntkLayer(1.0, k22, sigma, theta, 0, n, 2.0, 0.0, 1 / (2 * Math.PI), 0.5, 0.25,
        Atan.ATAN_HEAD, Atan.ATAN_TAIL, skipped, new int[lanes]);
    assertEquals(2, count);
    assertEquals(lanes, skipped[0]);
    assertEquals(2 * lanes, skipped[1]);
    for (int j = 0; j < n; j++) {
      boolean left = j >= lanes && j < 3 * lanes || j >= 3 * lanes;
      assertEquals(left, sigma[j] == sigmaBefore[j] && theta[j] == sigmaBefore[j], "entry " + j);
    }
  }

  /** Θ(x, x) of each row alone, a 1 × 1 block, by the scalar route. */
  private static double[] diagonalRecursion(AnalyticNtk kernel, double[] x, int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double[] row = java.util.Arrays.copyOfRange(x, i * 5, i * 5 + 5);
      AnalyticNtk.Prepared p = kernel.prepare(row, 1);
      out[i] = kernel.scalarBlock(p, p, false, null)[0];
    }
    return out;
  }

  /** Rows of 5 features with norms over three orders of magnitude. */
  private static double[] rows(int n, Random rnd) {
    double[] x = new double[n * 5];
    for (int i = 0; i < n; i++) {
      double scale = Math.pow(10, rnd.nextInt(3) - 1);
      for (int c = 0; c < 5; c++) {
        x[i * 5 + c] = scale * rnd.nextGaussian();
      }
    }
    return x;
  }

  /**
   * Many random blocks (about 40,000 calls of the grouped layer, far past C2's compile
   * thresholds): the groups agree bit for bit after C2 has compiled them too.
   */
  @Test
  void groupsGiveTheScalarBitsOnceCompiled() {
    Architecture arch = new Architecture(new int[] {20, 64, 64, 1}, Activation.fromConfig("relu"),
        Parameterization.NTK, Math.sqrt(2), 0.0);
    AnalyticNtk kernel = new AnalyticNtk(arch, KernelOutputs.TRACE, true);
    Random rnd = new Random(5);
    for (int t = 0; t < 1600; t++) {
      int m = 1 + rnd.nextInt(24);
      int n = 1 + rnd.nextInt(70);
      double[] a = new double[m * 20];
      double[] b = new double[n * 20];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextGaussian();
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = rnd.nextGaussian() + (i % 20 == 0 ? 2 : 0);
      }
      AnalyticNtk.Prepared l = kernel.prepare(a, m);
      AnalyticNtk.Prepared r = kernel.prepare(b, n);
      double[] scalar = kernel.scalarBlock(l, r, false, null);
      double[] grouped = kernel.scalarBlock(l, r, true, null);
      assertArrayEquals(scalar, grouped, "block " + t + " (" + m + " × " + n + ")");
    }
  }
}
