package org.sparkntk.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one-pass block product against plain loops, for float64 and float32 entries, at sizes
 * around its steps (four rows, one vector of columns) with tails of every size, at offsets, and
 * with either term alone. Tolerance: the loops and the pass add the same products in different
 * orders, so they agree to within n·ε times the sum of the products' magnitudes (Higham, "Accuracy
 * and Stability of Numerical Algorithms", 2nd ed., §3.1, for a sum of n products).
 *
 * <p>The tests' JVM has the module (surefire's argLine); a child JVM without it checks that the
 * Vector API's classes are then never loaded.
 */
class BlockProductsTest {
  @Test
  void theTestsRunTheVectorPath() {
    assertTrue(VectorModule.present(), "the tests' JVM lacks --add-modules=jdk.incubator.vector");
    assertEquals(VectorWidths.worthwhile(), BlockProducts.VECTORISED);
    assertTrue(BlockProducts.VECTORISED, "the CPU's vectors are narrower than 256 bits");
  }

  @ParameterizedTest
  @CsvSource({"1, 1", "3, 7", "4, 8", "5, 9", "8, 16", "9, 17", "33, 1000", "32, 1024", "7, 1031"})
  void bothTermsEqualPlainLoops(int rows, int cols) {
    for (boolean float32 : new boolean[] {false, true}) {
      for (int terms = 1; terms <= 3; terms++) {
        check(rows, cols, float32, (terms & 1) != 0, (terms & 2) != 0, new Random(rows * 1000L + cols + terms));
      }
    }
  }

  /**
   * Enough calls for C2 to compile the pass (the Vector API runs as plain Java until then): every
   * call gives the first call's bits, as the lanes are added in a fixed order.
   */
  @Test
  void theCompiledPathGivesTheSameBitsAsTheFirstCall() {
    int rows = 13;
    int cols = 211;
    Random r = new Random(5);
    double[] a = r.doubles((long) rows * cols, -1, 1).toArray();
    float[] a32 = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      a32[i] = (float) a[i];
    }
    double[] vJ = r.doubles(cols, -1, 1).toArray();
    double[] vI = r.doubles(rows, -1, 1).toArray();
    // Per case (both terms, direct alone, mirror alone) and precision: out_I then out_J.
    double[][] first = null;
    for (int call = 0; call < 3000; call++) {
      double[][] out = new double[12][];
      for (int precision = 0; precision < 2; precision++) {
        for (int terms = 0; terms < 3; terms++) {
          double[] outI = terms == 2 ? null : new double[rows];
          double[] outJ = terms == 1 ? null : new double[cols];
          if (precision == 0) {
            BlockProducts.accumulate(a, 0, rows, cols, vJ, 0, vI, 0, outI, 0, outJ, 0);
          } else {
            BlockProducts.accumulate(a32, 0, rows, cols, vJ, 0, vI, 0, outI, 0, outJ, 0);
          }
          out[6 * precision + 2 * terms] = outI;
          out[6 * precision + 2 * terms + 1] = outJ;
        }
      }
      if (call == 0) {
        first = out;
      } else {
        for (int k = 0; k < out.length; k++) {
          assertArrayEquals(first[k], out[k], "call " + call + ", result " + k);
        }
      }
    }
  }

  @Test
  void aCallOutOfRangeThrowsBeforeWriting() {
    double[] a = new double[12];
    Arrays.fill(a, 1.0);
    double[] v = new double[10];
    double[] outI = new double[3];
    double[] outJ = new double[4];
    // A has 12 entries, not 3 × 5.
    assertThrows(IndexOutOfBoundsException.class,
        () -> BlockProducts.accumulate(a, 0, 3, 5, v, 0, v, 0, outI, 0, outJ, 0));
    // out_J has 4 entries, not 4 from offset 1.
    assertThrows(IndexOutOfBoundsException.class,
        () -> BlockProducts.accumulate(a, 0, 3, 4, v, 0, v, 0, outI, 0, outJ, 1));
    // v_J runs past v's end.
    assertThrows(IndexOutOfBoundsException.class,
        () -> BlockProducts.accumulate(new float[12], 0, 3, 4, v, 7, v, 0, outI, 0, null, 0));
    assertArrayEquals(new double[3], outI);
    assertArrayEquals(new double[4], outJ);
  }

  /** Without --add-modules=jdk.incubator.vector the path is off and the Vector API's class never loaded. */
  @Test
  void withoutTheModuleThePathIsOffAndTheVectorClassIsNeverLoaded() throws Exception {
    String classPath = String.join(File.pathSeparator,
        Path.of(BlockProducts.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
        Path.of(WithoutVectorModule.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(java.toString(), "-Xmx128m", "-Xlog:class+load=info", "-cp", classPath,
        WithoutVectorModule.class.getName()).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not exit");
    assertEquals(0, child.exitValue(), output);
    assertTrue(output.contains(WithoutVectorModule.DONE), output);
    assertFalse(output.contains(VectorBlockProducts.class.getName()), "loaded without the module: " + output);
    assertFalse(output.contains("jdk.incubator.vector."), "a Vector API class was loaded: " + output);
  }

  /** The child JVM's program. */
  static final class WithoutVectorModule {
    static final String DONE = "the one-pass path is off and refuses calls";

    public static void main(String[] args) {
      if (VectorModule.present() || BlockProducts.VECTORISED) {
        System.out.println("the child JVM has the module jdk.incubator.vector");
        System.exit(2);
      }
      try {
        BlockProducts.accumulate(new double[4], 0, 2, 2, new double[2], 0, new double[2], 0, new double[2], 0, null, 0);
        System.out.println("a call went through without the module");
        System.exit(1);
      } catch (IllegalStateException expected) {
        System.out.println(DONE);
      }
    }
  }

  private static void check(int rows, int cols, boolean float32, boolean direct, boolean mirror, Random r) {
    int offset = 5;
    double[] a = new double[offset + rows * cols + 3];
    float[] a32 = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      a32[i] = (float) r.nextGaussian();
      a[i] = float32 ? a32[i] : r.nextGaussian();
    }
    int vJAt = 2;
    int vIAt = vJAt + cols + 1;
    double[] v = r.doubles(vIAt + rows + 4, -1, 1).toArray();
    double[] outI = direct ? r.doubles(rows + 6, -1, 1).toArray() : null;
    double[] outJ = mirror ? r.doubles(cols + 2, -1, 1).toArray() : null;
    double[] expectedI = direct ? outI.clone() : null;
    double[] expectedJ = mirror ? outJ.clone() : null;
    double[] boundI = new double[rows];
    double[] boundJ = new double[cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double x = a[offset + i * cols + j];
        if (direct) {
          expectedI[3 + i] += x * v[vJAt + j];
        }
        if (mirror) {
          expectedJ[1 + j] += x * v[vIAt + i];
        }
        boundI[i] += Math.abs(x * v[vJAt + j]);
        boundJ[j] += Math.abs(x * v[vIAt + i]);
      }
    }
    if (float32) {
      BlockProducts.accumulate(a32, offset, rows, cols, v, vJAt, v, vIAt, outI, 3, outJ, 1);
    } else {
      BlockProducts.accumulate(a, offset, rows, cols, v, vJAt, v, vIAt, outI, 3, outJ, 1);
    }
    String what = rows + " × " + cols + (float32 ? " float32" : " float64");
    if (direct) {
      for (int i = 0; i < outI.length; i++) {
        double tolerance = i < 3 || i >= 3 + rows ? 0 : (cols + 2) * Math.ulp(1.0) * (boundI[i - 3] + 2);
        assertEquals(expectedI[i], outI[i], tolerance, what + ", out_I entry " + i);
      }
    }
    if (mirror) {
      for (int j = 0; j < outJ.length; j++) {
        double tolerance = j < 1 || j >= 1 + cols ? 0 : (rows + 2) * Math.ulp(1.0) * (boundJ[j - 1] + 2);
        assertEquals(expectedJ[j], outJ[j], tolerance, what + ", out_J entry " + j);
      }
    }
  }
}
