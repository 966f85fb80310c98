package org.sparkntk.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.linalg.BlockProducts;

/**
 * A block stored in row chunks (several of them here: 1000 columns make 32-row chunks) gives back
 * its entries unchanged and adds Θ_IJ V_J and Θ_IJᵀ V_I exactly as plain loops over the entries
 * it holds do, on both routes (two BLAS calls per chunk, and one pass with the Vector API).
 * Tolerance: the loops and each route sum the same products in different orders, so they agree to
 * within (terms)·ε times the sum of the products' magnitudes, at most cols² ε here.
 */
class KernelBlockTest {
  @ParameterizedTest
  // "40, 50, …, float32" after the 1000-column float32 cases: the thread's widening buffer is then
  // longer than a chunk, and only the chunk's part may be read
  @CsvSource({"70, 1000, 1, float64", "70, 1000, 3, float64", "70, 1000, 1, float32", "33, 1000, 4, float32",
      "40, 50, 1, float32", "40, 50, 2, float32", "5, 7, 2, float64", "64, 512, 1, float64",
      // fewer rows than the one-pass route takes at a time (4), and columns not a multiple of its vectors
      "3, 13, 1, float64", "3, 13, 10, float32", "1, 1, 1, float64", "1, 1, 3, float32", "37, 1023, 10, float64"})
  void chunkedProductsEqualPlainLoops(int rows, int cols, int c, String precisionName) {
    Precision precision = Precision.fromConfig(precisionName);
    Random r = new Random(rows * 31 + cols + c);
    double[] data = r.doubles((long) rows * cols, -1, 1).toArray();
    KernelBlock block = KernelBlock.of(2, 5, rows, cols, data, precision);
    double[] stored = block.toDoubles();
    for (int i = 0; i < data.length; i++) {
      assertEquals(precision == Precision.FLOAT64 ? data[i] : (double) (float) data[i], stored[i], "entry " + i);
    }
    if (precision == Precision.FLOAT64) {
      assertArrayEquals(data, block.f64());
      assertNull(block.f32());
    } else {
      assertNull(block.f64());
      assertEquals(data.length, block.f32().length);
    }
    assertEquals((precision == Precision.FLOAT64 ? 8L : 4L) * rows * cols, block.bytes());

    for (Route route : Route.values()) {
      if (route == Route.ONE_PASS && !BlockProducts.VECTORISED) {
        continue; // theTestsRunTheOnePassRoute fails in this case
      }
      productsEqualPlainLoops(block, stored, rows, cols, c, route, new Random(r.nextLong()));
    }
  }

  /** The two routes of {@link KernelBlock#multiplyInto}. */
  enum Route {
    ONE_PASS, BLAS;

    void multiply(KernelBlock b, double[] v, int vRowI, int vRowJ, int c, double[] outI, double[] outJ, boolean mirror) {
      if (this == ONE_PASS) {
        b.multiplyInOnePass(v, vRowI, vRowJ, c, outI, outJ, mirror);
      } else {
        b.multiplyByBlas(v, vRowI, vRowJ, c, outI, outJ, mirror);
      }
    }
  }

  @Test
  void theTestsRunTheOnePassRoute() {
    // The tests' JVM has --add-modules=jdk.incubator.vector (surefire's argLine) and the CPUs here
    // have 256-bit vectors or wider; BlockProductsTest checks the route without the module.
    assertTrue(BlockProducts.VECTORISED, "the one-pass route is off in the tests' JVM");
  }

  private static void productsEqualPlainLoops(KernelBlock block, double[] stored, int rows, int cols, int c,
                                              Route route, Random r) {
    // V holds the block's row rows at 3 … 3 + rows and its column rows at 3 + rows + 2 ….
    int vRowI = 3;
    int vRowJ = 3 + rows + 2;
    double[] v = r.doubles((long) (vRowJ + cols + 1) * c, -1, 1).toArray();
    double[] outI = r.doubles((long) rows * c).toArray();
    double[] outJ = r.doubles((long) cols * c).toArray();
    double[] expectedI = outI.clone();
    double[] expectedJ = outJ.clone();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double a = stored[i * cols + j];
        for (int k = 0; k < c; k++) {
          expectedI[i * c + k] += a * v[(vRowJ + j) * c + k];
          expectedJ[j * c + k] += a * v[(vRowI + i) * c + k];
        }
      }
    }
    double[] onlyMirror = outJ.clone();
    route.multiply(block, v, vRowI, vRowJ, c, outI, outJ, true);
    double tolerance = cols * Math.ulp(1.0) * cols;
    for (int i = 0; i < outI.length; i++) {
      assertTrue(Math.abs(expectedI[i] - outI[i]) <= tolerance, route + ": Θ_IJ V_J entry " + i);
    }
    double mirrorTolerance = rows * Math.ulp(1.0) * rows + tolerance;
    for (int j = 0; j < outJ.length; j++) {
      assertTrue(Math.abs(expectedJ[j] - outJ[j]) <= mirrorTolerance, route + ": Θ_IJᵀ V_I entry " + j);
    }
    // Without the mirror term only out_I changes.
    double[] untouched = outJ.clone();
    route.multiply(block, v, vRowI, vRowJ, c, outI, outJ, false);
    assertArrayEquals(untouched, outJ, route.toString());
    // Without out_I (Θᵀ U alone) only out_J changes, by the mirror term; U may then hold only the
    // block's rows, as the transposed and normal products pass it.
    double[] u = Arrays.copyOfRange(v, vRowI * c, (vRowI + rows) * c);
    route.multiply(block, u, 0, 0, c, null, onlyMirror, true);
    for (int j = 0; j < outJ.length; j++) {
      assertTrue(Math.abs(expectedJ[j] - onlyMirror[j]) <= mirrorTolerance, route + ": Θ_IJᵀ V_I alone, entry " + j);
    }
  }
}
