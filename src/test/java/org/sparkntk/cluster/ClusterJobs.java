package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkntk.io.Npy;
import org.sparkntk.linalg.Matrices;

/**
 * Small jobs for the cluster tests and the comparison of their outputs. The data are the first
 * rows of the quickstart's CSVs, the network small, and kernel.blockSize fixed (auto would depend
 * on the executor memory), so that a cluster run does the local run's per-block arithmetic.
 */
final class ClusterJobs {
  /**
   * Cluster outputs against local[2]'s. The same blocks, GEMMs and BLAS backend (one thread) on the
   * same machine: only the order of driver-side sums could differ, so 1e-12 relative (thousands of
   * ulps) holds with room, while any wrong block, row or lost task's result is off by far more.
   */
  static final double TOLERANCE = 1e-12;

  private ClusterJobs() {}

  /** Writes the first {@code rows} data rows of a quickstart CSV (header kept) to {@code to}. */
  static Path head(String quickstartCsv, int rows, Path to) throws IOException {
    List<String> lines = Files.readAllLines(ClusterProcesses.BASE.resolve("conf/data").resolve(quickstartCsv));
    Files.write(to, lines.subList(0, rows + 1));
    return to;
  }

  /**
   * A job file on {@code train} and {@code test} (null: none): a 2 → 32 → 32 → 2 ReLU network,
   * blocks of 8 rows, 100 steps.
   */
  static Path jobFile(Path dir, Path train, Path test) throws IOException {
    Path conf = dir.resolve("cluster-job.conf");
    Files.writeString(conf, String.join("\n",
        "data.train = " + train,
        test == null ? "" : "data.test = " + test,
        "data.label = y_wave,y_bowl",
        "model.hidden = 32,32",
        "model.activation = relu",
        "model.seed = 7",
        "kernel.blockSize = 8",
        "solver.steps = 100",
        "solver.recordEvery = 20",
        "output.gram = true",
        ""));
    return conf;
  }

  /** The job keys that run a job on a local-cluster: real executor JVMs on the Maven class path. */
  static List<String> localClusterKeys(int workers) {
    return List.of(
        "spark.master=local-cluster[" + workers + ",1,1024]",
        "spark.executor.extraClassPath=" + ClusterProcesses.joined(ClusterProcesses.classPath()),
        "spark.executorEnv.SPARK_SCALA_VERSION=2.13",
        "spark.ui.enabled=false");
  }

  /** Asserts that the .npy file {@code name} in both directories has the same shape and values within TOLERANCE. */
  static double assertSameNpy(Path expectedDir, Path actualDir, String name) throws IOException {
    Npy.Array expected = Npy.read(expectedDir.resolve(name));
    Npy.Array actual = Npy.read(actualDir.resolve(name));
    assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name + " shape");
    assertTrue(expected.data().length > 0, name + " is empty");
    double rel = Matrices.maxRelativeDifference(actual.data(), expected.data());
    assertTrue(rel <= TOLERANCE, name + " differs from the local run's by " + rel + " (relative)");
    return rel;
  }

  /**
   * Asserts that two CSV files have the same header and every numeric cell agrees within
   * TOLERANCE relative to the column's largest value; returns the largest relative difference.
   */
  static double assertSameCsv(Path expectedDir, Path actualDir, String name) throws IOException {
    return assertSameCsv(expectedDir, actualDir, name, TOLERANCE);
  }

  /** {@link #assertSameCsv(Path, Path, String)} within {@code tolerance} (a solver's accuracy, for another route). */
  static double assertSameCsv(Path expectedDir, Path actualDir, String name, double tolerance) throws IOException {
    List<String> expected = Files.readAllLines(expectedDir.resolve(name));
    List<String> actual = Files.readAllLines(actualDir.resolve(name));
    assertTrue(expected.size() > 1, name + " has no data rows");
    assertEquals(expected.get(0), actual.get(0), name + " header");
    assertEquals(expected.size(), actual.size(), name + " rows");
    List<double[]> e = new ArrayList<>();
    List<double[]> a = new ArrayList<>();
    for (int i = 1; i < expected.size(); i++) {
      e.add(numbers(expected.get(i)));
      a.add(numbers(actual.get(i)));
      assertEquals(e.get(i - 1).length, a.get(i - 1).length, name + " row " + i);
    }
    double worst = 0;
    for (int c = 0; c < e.get(0).length; c++) {
      final int col = c;
      double[] ec = e.stream().mapToDouble(r -> r[col]).toArray();
      double[] ac = a.stream().mapToDouble(r -> r[col]).toArray();
      if (!Arrays.stream(ec).allMatch(Double::isFinite) || !Arrays.stream(ac).allMatch(Double::isFinite)) {
        assertEquals(Arrays.toString(ec), Arrays.toString(ac), name + " column " + c + " (non-finite cells)");
        continue;
      }
      double rel = Matrices.maxRelativeDifference(ac, ec);
      assertTrue(rel <= tolerance, name + " column " + c + " (" + expected.get(0) + ") differs by " + rel);
      worst = Math.max(worst, rel);
    }
    return worst;
  }

  private static double[] numbers(String line) {
    return Arrays.stream(line.split(",")).mapToDouble(s -> switch (s) {
      case "", "nan", "NaN" -> Double.NaN;
      case "inf", "Infinity" -> Double.POSITIVE_INFINITY; // e.g. the step column of regression (τ = ∞)
      case "-inf", "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    }).toArray();
  }
}
