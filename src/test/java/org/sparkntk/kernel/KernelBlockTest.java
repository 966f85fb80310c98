package org.sparkntk.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A block stored in row chunks (several of them here: 1000 columns make 32-row chunks) gives back
 * its entries unchanged and adds Θ_IJ V_J and Θ_IJᵀ V_I exactly as plain loops over the entries
 * it holds do. Tolerance: the loops and BLAS sum the same products in different orders, so they
 * agree to within (terms)·ε times the sum of the products' magnitudes, at most cols² ε here.
 */
class KernelBlockTest {
  @ParameterizedTest
  // "40, 50, …, float32" after the 1000-column float32 cases: the thread's widening buffer is then
  // longer than a chunk, and only the chunk's part may be read
  @CsvSource({"70, 1000, 1, float64", "70, 1000, 3, float64", "70, 1000, 1, float32", "33, 1000, 4, float32",
      "40, 50, 1, float32", "40, 50, 2, float32", "5, 7, 2, float64", "64, 512, 1, float64"})
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
    block.multiplyInto(v, vRowI, vRowJ, c, outI, outJ, true);
    double tolerance = cols * Math.ulp(1.0) * cols;
    for (int i = 0; i < outI.length; i++) {
      assertTrue(Math.abs(expectedI[i] - outI[i]) <= tolerance, "Θ_IJ V_J entry " + i);
    }
    for (int j = 0; j < outJ.length; j++) {
      assertTrue(Math.abs(expectedJ[j] - outJ[j]) <= rows * Math.ulp(1.0) * rows + tolerance, "Θ_IJᵀ V_I entry " + j);
    }
    // Without the mirror term only out_I changes.
    double[] untouched = outJ.clone();
    block.multiplyInto(v, vRowI, vRowJ, c, outI, outJ, false);
    assertArrayEquals(untouched, outJ);
  }
}
