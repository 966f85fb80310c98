package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Npy;

/**
 * The whole job (NtkJob.run on a job file, as ./submit runs it) with solver.loss = xent on three
 * Gaussian blobs with one-hot label columns, and output.spectrum with three eigenvectors.
 */
class CrossEntropySpectrumJobTest {
  static final int N = 45;
  static final int M = 15;
  static final int CLASSES = 3;
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    SparkTestSession.get();
    Random r = new Random(5);
    writeBlobs(dir.resolve("train.csv"), N, r);
    writeBlobs(dir.resolve("test.csv"), M, r);
    conf = dir.resolve("xent.conf");
    Files.writeString(conf, String.join("\n",
        "data.train = " + dir.resolve("train.csv"),
        "data.test = " + dir.resolve("test.csv"),
        "data.label = c0,c1,c2",
        "model.hidden = 64",
        "model.seed = 2",
        "kernel.outputs = full",
        "kernel.blockSize = 16",
        "solver.loss = xent",
        "solver.steps = 300",
        "solver.recordEvery = 100",
        "output.gram = true",
        "output.spectrum = true",
        "output.eigenvectors = 3",
        ""));
  }

  /** Class c around the point at angle 2πc/3 on the circle of radius 2, spread 0.6; columns x1, c0, x2, c1, c2. */
  static void writeBlobs(Path file, int rows, Random r) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("x1,c0,x2,c1,c2");
    for (int i = 0; i < rows; i++) {
      int c = i % CLASSES;
      double x1 = 2 * Math.cos(2 * Math.PI * c / CLASSES) + 0.6 * r.nextGaussian();
      double x2 = 2 * Math.sin(2 * Math.PI * c / CLASSES) + 0.6 * r.nextGaussian();
      lines.add(String.format(Locale.ROOT, "%.6f,%d,%.6f,%d,%d", x1, c == 0 ? 1 : 0, x2, c == 1 ? 1 : 0, c == 2 ? 1 : 0));
    }
    Files.write(file, lines);
  }

  static NtkRun run(Path out, String... overrides) {
    List<String> settings = new ArrayList<>(List.of(overrides));
    settings.add("output.dir=" + out);
    return NtkJob.run(SparkTestSession.get(), JobConfig.load(conf, settings));
  }

  @Test
  void crossEntropyStepsWriteEveryOutputAndAccuracyImproves() throws IOException {
    Path out = dir.resolve("xent");
    NtkRun run = run(out);
    for (String f : List.of("metrics.json", "predictions_train.csv", "predictions_test.csv", "gram.npy", "cross.npy",
        "spectrum.npy", "spectrum.csv", "spectrum.png", "eigenvectors.npy", "model/model.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
    }
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    JsonNode solver = metrics.path("solver");
    assertEquals("xent", solver.path("loss").asText());
    JsonNode losses = solver.path("losses");
    assertEquals(4, losses.size(), "steps 0, 100, 200, 300");
    JsonNode first = losses.get(0);
    JsonNode last = losses.get(3);
    System.out.printf("xent job: train cost %.4f → %.4f, train accuracy %.3f → %.3f, test accuracy %.3f → %.3f, "
            + "η = %.4g, λ_max = %.4g%n", first.path("trainLoss").asDouble(), last.path("trainLoss").asDouble(),
        first.path("trainAccuracy").asDouble(), last.path("trainAccuracy").asDouble(),
        first.path("testAccuracy").asDouble(), last.path("testAccuracy").asDouble(),
        solver.path("learningRate").asDouble(), solver.path("largestEigenvalue").asDouble());
    assertTrue(last.path("trainLoss").asDouble() < first.path("trainLoss").asDouble());
    assertTrue(last.path("trainAccuracy").asDouble() > first.path("trainAccuracy").asDouble(), "training accuracy");
    assertTrue(last.path("testAccuracy").asDouble() > first.path("testAccuracy").asDouble(), "test accuracy");
    assertTrue(last.path("trainAccuracy").asDouble() >= 0.9, "three separated blobs are fitted");
    assertEquals(run.fit().last().trainAccuracy(), last.path("trainAccuracy").asDouble());

    // The written spectrum is the written Gram's: Σλ = trace, Θ v_j = λ_j v_j for the three vectors.
    int size = N * CLASSES;
    Npy.Array gram = Npy.read(out.resolve("gram.npy"));
    Npy.Array values = Npy.read(out.resolve("spectrum.npy"));
    Npy.Array vectors = Npy.read(out.resolve("eigenvectors.npy"));
    assertArrayEquals(new long[] {size}, values.shape());
    assertArrayEquals(new long[] {size, 3}, vectors.shape());
    assertArrayEquals(run.spectrum().values(), values.data());
    double trace = 0;
    double absSum = 0;
    for (int i = 0; i < size; i++) {
      trace += gram.data()[i * size + i];
      absSum += Math.abs(values.data()[i]);
    }
    double sum = 0;
    for (double l : values.data()) {
      sum += l;
    }
    assertEquals(trace, sum, 1e-12 * absSum, "Σλ = trace(gram.npy)");
    double lambda0 = values.data()[0];
    for (int j = 0; j < 3; j++) {
      double worst = 0;
      for (int i = 0; i < size; i++) {
        double kv = 0;
        for (int q = 0; q < size; q++) {
          kv += gram.data()[i * size + q] * vectors.data()[q * 3 + j];
        }
        worst = Math.max(worst, Math.abs(kv - values.data()[j] * vectors.data()[i * 3 + j]));
      }
      // backward error of dsyevd: ≲ n·ε·λ_0 ≈ 135 · 2.2e-16 · λ_0 ≈ 3e-14 λ_0
      assertTrue(worst <= 1e-12 * lambda0, "eigenvector " + j + ": ‖Θv − λv‖_max = " + worst);
    }
    // The guard's λ_max (power iteration) is the spectrum's, and auto η is 0.5 · 4N/λ_max.
    double lambdaMax = solver.path("largestEigenvalue").asDouble();
    assertEquals(lambda0, lambdaMax, 1e-8 * lambda0);
    assertEquals(0.5 * 4 * N / lambdaMax, solver.path("learningRate").asDouble(), 1e-12 * solver.path("learningRate").asDouble());
    assertEquals(size, metrics.path("spectrum").path("size").asInt());
    assertEquals(3, metrics.path("spectrum").path("eigenvectors").asInt());
    assertEquals(size + 1, Files.readAllLines(out.resolve("spectrum.csv")).size());
    assertEquals(1 + N * 4, Files.readAllLines(out.resolve("predictions_train.csv")).size());
  }

  /** MSE with flow and a spectrum: one decomposition serves both; the MSE record has no loss field. */
  @Test
  void mseFlowWithSpectrumKeepsItsRecord() throws IOException {
    Path out = dir.resolve("mse-flow");
    NtkRun run = run(out, "solver.loss=mse", "solver.type=flow", "kernel.outputs=trace", "output.eigenvectors=0",
        "output.gram=false");
    assertEquals(run.spectrum().values()[0], run.fit().largestEigenvalue(), "flow reports the spectrum's λ_0");
    JsonNode solver = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("solver");
    assertTrue(solver.path("loss").isMissingNode(), "an MSE record is as before");
    // One-hot targets fitted by least squares: the accuracy of argmax f is recorded beside the MSE.
    assertEquals(run.fit().last().trainAccuracy(), solver.path("losses").get(1).path("trainAccuracy").asDouble());
    assertTrue(run.fit().last().trainAccuracy() > 0.9, "three separated blobs are fitted");
    assertTrue(Files.exists(out.resolve("spectrum.npy")));
    assertFalse(Files.exists(out.resolve("eigenvectors.npy")));
    assertEquals(N, Npy.read(out.resolve("spectrum.npy")).shape()[0], "a trace kernel has N eigenvalues");
  }

  @Test
  void badTargetRowsAndTooManyEigenvectorsStopBeforeTheKernel() throws IOException {
    Path bad = dir.resolve("bad.csv");
    List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("train.csv")));
    String[] row = lines.get(4).split(",");
    lines.set(4, row[0] + ",1," + row[2] + ",1,0"); // row 4 (1-based): targets (1, 1, 0)
    Files.write(bad, lines);
    Path out = dir.resolve("bad-targets");
    ConfigException e = assertThrows(ConfigException.class, () -> run(out, "data.train=" + bad));
    assertTrue(e.getMessage().contains("solver.loss = xent reads the label columns [c0, c1, c2] as target "
        + "probabilities, but data.train (" + bad + ") row 4 has targets (1.0, 1.0, 0.0), which sum to 2.0"),
        e.getMessage());
    assertFalse(Files.exists(out.resolve("metrics.json")));

    e = assertThrows(ConfigException.class, () -> run(dir.resolve("too-many"), "output.eigenvectors=136"));
    assertTrue(e.getMessage().contains("output.eigenvectors = 136 but the training Gram has only 135 eigenvalues"),
        e.getMessage());
  }
}
