package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

/** Random arrays, row products and the closeness assertion of the solver tests. */
final class SolverArrays {
  private SolverArrays() {}

  /** {@code count} draws of N(0, scale²). */
  static double[] gaussian(Random r, int count, double scale) {
    double[] x = new double[count];
    for (int i = 0; i < count; i++) {
      x[i] = scale * r.nextGaussian();
    }
    return x;
  }

  /** Row i of a · row j of b, both with {@code width} columns. */
  static double dot(double[] a, int i, double[] b, int j, int width) {
    double s = 0;
    for (int q = 0; q < width; q++) {
      s += a[i * width + q] * b[j * width + q];
    }
    return s;
  }

  /** Asserts max |actual − expected| ≤ rel · max |expected|; returns the relative difference. */
  static double assertClose(double[] expected, double[] actual, double rel, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    double diff = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(diff <= rel * scale, what + ": max difference " + diff + " > " + rel + " × " + scale);
    return diff / scale;
  }
}
