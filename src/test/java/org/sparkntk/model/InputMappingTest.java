package org.sparkntk.model;

import org.sparkntk.io.ModelStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.io.Npy;

/** The Fourier-feature mappings of docs/THEORY.md §9 against direct computations, and the m → ∞ limit. */
class InputMappingTest {
  private static final double TWO_PI = 2 * Math.PI;

  private static double[] rows(int rows, int d, long seed) {
    return new Random(seed).doubles((long) rows * d, -1, 1).toArray();
  }

  @Test
  void basicIsCosAndSinOfEveryCoordinate() {
    double[] x = rows(5, 3, 1);
    double[] g = InputMapping.basic(3).apply(x, 5);
    assertEquals(5 * 6, g.length);
    for (int r = 0; r < 5; r++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(Math.cos(TWO_PI * x[r * 3 + k]), g[r * 6 + k], 0.0);
        assertEquals(Math.sin(TWO_PI * x[r * 3 + k]), g[r * 6 + 3 + k], 0.0);
      }
    }
  }

  @Test
  void positionalUsesFrequenciesSigmaToTheJOverM() {
    double sigma = 10;
    int m = 4;
    double[] x = rows(3, 2, 2);
    double[] g = InputMapping.positional(2, sigma, m).apply(x, 3);
    int n0 = 2 * m * 2;
    assertEquals(3 * n0, g.length);
    for (int r = 0; r < 3; r++) {
      for (int j = 0; j < m; j++) {
        double f = Math.pow(sigma, j / (double) m);
        for (int k = 0; k < 2; k++) {
          double a = TWO_PI * f * x[r * 2 + k];
          assertEquals(Math.cos(a), g[r * n0 + j * 2 + k], 1e-15);
          assertEquals(Math.sin(a), g[r * n0 + n0 / 2 + j * 2 + k], 1e-15);
        }
      }
    }
    assertEquals(1.0, Math.pow(sigma, 0.0)); // j = 0 is the basic mapping
  }

  @Test
  void gaussianIsCosAndSinOfTwoPiBv() {
    InputMapping map = InputMapping.gaussian(3, 2.5, 7, 42);
    double[] b = map.gaussianMatrix();
    double[] x = rows(4, 3, 3);
    double[] g = map.apply(x, 4);
    for (int r = 0; r < 4; r++) {
      for (int j = 0; j < 7; j++) {
        double s = 0;
        for (int k = 0; k < 3; k++) {
          s += b[j * 3 + k] * x[r * 3 + k];
        }
        assertEquals(Math.cos(TWO_PI * s), g[r * 14 + j], 1e-15);
        assertEquals(Math.sin(TWO_PI * s), g[r * 14 + 7 + j], 1e-15);
      }
    }
    // B is a pure function of the seed, with entries ~ N(0, σ²)
    assertArrayEquals(b, InputMapping.gaussian(3, 2.5, 7, 42).gaussianMatrix(), 0.0);
    double[] big = InputMapping.gaussian(2, 2.5, 20000, 5).gaussianMatrix();
    double var = 0;
    for (double v : big) {
      var += v * v / big.length;
    }
    // 40000 draws: the sample variance has relative standard error √(2/40000) ≈ 0.7%
    assertEquals(2.5 * 2.5, var, 0.035 * 6.25);
  }

  /**
   * (1/2m) γ(v)ᵀγ(v') → ½ exp(−2π²σ²‖v − v'‖²) as m → ∞ (docs/THEORY.md §9): a Monte-Carlo mean of m
   * cosines, so the error falls like 1/√m. Measured over pairs and 4 seeds at m = 16, 256, 4096;
   * asserted: each 16× step lowers the mean error by at least 2× (theory 4×), and the slope of
   * log(error) against log(m) lies in [−0.7, −0.3].
   */
  @Test
  void gaussianKernelApproachesTheLimitAsFeaturesGrow() {
    double sigma = 0.7;
    int d = 2;
    int rows = 10;
    double[] x = rows(rows, d, 9);
    InputMapping limit = InputMapping.gaussianLimit(d, sigma);
    int[] ms = {16, 256, 4096};
    double[] err = new double[ms.length];
    for (int t = 0; t < ms.length; t++) {
      for (long seed = 0; seed < 4; seed++) {
        InputMapping map = InputMapping.gaussian(d, sigma, ms[t], seed);
        double[] g = map.apply(x, rows);
        int n0 = map.outputs();
        double sq = 0;
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < rows; j++) {
            double dot = 0;
            for (int p = 0; p < n0; p++) {
              dot += g[i * n0 + p] * g[j * n0 + p];
            }
            double dist = 0;
            for (int k = 0; k < d; k++) {
              double dk = x[i * d + k] - x[j * d + k];
              dist += dk * dk;
            }
            double want = 0.5 * Math.exp(-2 * Math.PI * Math.PI * sigma * sigma * dist);
            assertEquals(want, limit.limitInputKernel(dist), 1e-16);
            sq += Math.pow(dot / n0 - want, 2);
          }
        }
        err[t] += Math.sqrt(sq / (rows * rows)) / 4;
      }
    }
    double slope = (Math.log(err[2]) - Math.log(err[0])) / (Math.log(ms[2]) - Math.log(ms[0]));
    System.out.printf("gaussian mapping: RMS error of the normalised input Gram at m = 16, 256, 4096: %.3g %.3g %.3g"
        + " (slope %.2f)%n", err[0], err[1], err[2], slope);
    assertTrue(err[1] < err[0] / 2 && err[2] < err[1] / 2, java.util.Arrays.toString(err));
    assertTrue(slope > -0.7 && slope < -0.3, "slope " + slope);
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> InputMapping.positional(2, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> InputMapping.gaussian(2, 1, 0, 1));
    assertThrows(IllegalStateException.class, () -> InputMapping.gaussianLimit(2, 1).outputs());
    assertThrows(IllegalArgumentException.class, () -> InputMapping.basic(2).apply(new double[3], 2));
    assertEquals(InputMapping.Kind.GAUSSIAN, InputMapping.Kind.fromConfig(" Gaussian "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputMapping.Kind.fromConfig("fourier"));
    assertTrue(e.getMessage().contains("none, basic, positional or gaussian"));
  }

  @Test
  void survivesJavaSerialisation() throws Exception {
    InputMapping map = InputMapping.gaussian(3, 4, 5, 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(map);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(map, in.readObject());
    }
  }

  @Test
  void savedWithTheModelAndCheckedOnLoad(@TempDir Path dir) throws IOException {
    InputMapping map = InputMapping.gaussian(3, 4, 5, 1);
    Mlp mlp = Mlp.initialise(Architecture.of(map.outputs(), new int[] {6}, 2, Activation.RELU,
        Parameterization.NTK, 1, 0.1), 3);
    ModelStore.save(mlp, map, dir);
    assertEquals(map, ModelStore.loadMapping(dir));
    InputMapping positional = InputMapping.positional(2, 10, 3);
    Path p = dir.resolve("positional");
    ModelStore.save(Mlp.initialise(Architecture.of(positional.outputs(), new int[] {4}, 1, Activation.TANH,
        Parameterization.NTK, 1, 0.1), 1), positional, p);
    assertEquals(positional, ModelStore.loadMapping(p));
    Path plain = dir.resolve("plain");
    ModelStore.save(mlp, plain);
    assertEquals(InputMapping.Kind.NONE, ModelStore.loadMapping(plain).kind());
    // a B.npy of the wrong shape is refused, naming the file
    Npy.write(dir.resolve("B.npy"), new double[12], 4, 3);
    IOException e = assertThrows(IOException.class, () -> ModelStore.loadMapping(dir));
    assertTrue(e.getMessage().contains("B.npy"), e.getMessage());
    // a mapping whose width disagrees with the network is refused (B.npy above has 4 rows)
    String json = Files.readString(dir.resolve("model.json")).replace("\"features\" : 5", "\"features\" : 4");
    Files.writeString(dir.resolve("model.json"), json);
    e = assertThrows(IOException.class, () -> ModelStore.loadMapping(dir));
    assertTrue(e.getMessage().contains("widths[0]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ModelStore.save(mlp, InputMapping.basic(3), dir.resolve("x")));
  }
}
