package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.solver.Spectrum;

/** spectrum.npy, spectrum.csv, eigenvectors.npy and spectrum.png read back and equal the spectrum written. */
class SpectrumFilesTest {
  @TempDir
  Path dir;

  /** A rank-5 kernel of order 12: seven eigenvalues are rounding noise around 0, some of them negative. */
  private static Spectrum rankDeficient() {
    Random r = new Random(3);
    int n = 12;
    int rank = 5;
    double[] a = new double[n * rank];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    double[] k = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int q = 0; q < rank; q++) {
          k[i * n + j] += a[i * rank + q] * a[j * rank + q];
        }
      }
    }
    return Spectrum.of(k, n);
  }

  @Test
  void writtenFilesParseAndMatch() throws IOException {
    Spectrum s = rankDeficient();
    int n = s.size();
    assertTrue(s.values()[n - 1] <= 0, "the test wants a non-positive eigenvalue for the plot, got " + s.values()[n - 1]);
    try (OutputFiles out = claim(dir)) {
      JobOutputs.writeSpectrum(out, s, 3);
    }

    Npy.Array values = Npy.read(dir.resolve("spectrum.npy"));
    assertArrayEquals(new long[] {n}, values.shape());
    assertArrayEquals(s.values(), values.data(), "float64 round trip is exact");

    List<String> lines = Files.readAllLines(dir.resolve("spectrum.csv"));
    assertEquals("index,eigenvalue", lines.get(0));
    assertEquals(n + 1, lines.size());
    for (int k = 0; k < n; k++) {
      String[] parts = lines.get(k + 1).split(",");
      assertEquals(k, Integer.parseInt(parts[0]));
      assertEquals(s.values()[k], Double.parseDouble(parts[1]), "the CSV keeps every digit, row " + k);
    }

    Npy.Array vectors = Npy.read(dir.resolve("eigenvectors.npy"));
    assertArrayEquals(new long[] {n, 3}, vectors.shape());
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 3; j++) {
        assertEquals(s.vector(i, j), vectors.data()[i * 3 + j], "component " + i + " of eigenvector " + j);
      }
    }

    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("spectrum.png").toFile());
    assertEquals(800, png.getWidth());
    assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");

    ObjectNode metrics = new ObjectMapper().createObjectNode();
    JobOutputs.addSpectrum(metrics, s, 3);
    assertEquals(n, metrics.path("spectrum").path("size").asInt());
    assertEquals(s.values()[0], metrics.path("spectrum").path("largest").asDouble());
    assertEquals(s.sum(), metrics.path("spectrum").path("sum").asDouble());
    assertTrue(metrics.path("spectrum").path("nonPositive").asInt() >= 1);
  }

  @Test
  void withoutEigenvectorsNoneAreWrittenAndTooManyAreRefused() throws IOException {
    Spectrum s = rankDeficient();
    try (OutputFiles out = claim(dir)) {
      JobOutputs.writeSpectrum(out, s, 0);
    }
    assertTrue(Files.exists(dir.resolve("spectrum.npy")));
    assertFalse(Files.exists(dir.resolve("eigenvectors.npy")));
    try (OutputFiles more = claim(dir.resolve("more"))) {
      assertThrows(IllegalArgumentException.class, () -> JobOutputs.writeSpectrum(more, s, s.size() + 1));
    }
  }

  private static OutputFiles claim(Path dir) {
    return OutputFiles.claim(dir, "test", false, "metrics.json", JobOutputs.FILES);
  }
}
