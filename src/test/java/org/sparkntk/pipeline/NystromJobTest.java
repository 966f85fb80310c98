package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.blocks.NystromCenters;
import org.sparkntk.config.ConfigException;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.solver.DenseKernelOperator;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.NystromProblem;
import org.sparkntk.solver.SolverSettings;

/**
 * solver.type = nystrom through the job ({@link NtkJob}, {@link DistributedSolve}): the centres
 * drawn on Spark, Θ(X, C) kept on the executors and its products both ways, against the same
 * Nyström problem formed from the dense kernels of a driver-backend run (the columns of Θ(X, X)
 * and Θ(X*, X) at the centres) and against exact regression when every row is a centre. The data
 * and job file are {@link DistributedBackendJobTest}'s.
 */
class NystromJobTest {
  @TempDir
  static Path dir;

  @BeforeAll
  static void files() throws IOException {
    DistributedBackendJobTest.dir = dir;
    DistributedBackendJobTest.files();
  }

  private static NtkRun run(String out, String... overrides) {
    return DistributedBackendJobTest.run(DistributedBackendJobTest.conf, out, overrides);
  }

  /** The columns {@code centers} (examples, k rows each) of a dense kernel. */
  private static GramMatrix columns(GramMatrix g, long[] centers, int k) {
    int m = centers.length * k;
    double[] out = new double[g.rows() * m];
    for (int i = 0; i < g.rows(); i++) {
      for (int c = 0; c < centers.length; c++) {
        for (int a = 0; a < k; a++) {
          out[i * m + c * k + a] = g.data()[i * g.cols() + (int) centers[c] * k + a];
        }
      }
    }
    return new GramMatrix(g.rows(), m, k, out);
  }

  /** The rows {@code centers} of a dense kernel that has M·k columns already. */
  private static GramMatrix rows(GramMatrix g, long[] centers, int k) {
    int m = centers.length * k;
    double[] out = new double[m * g.cols()];
    for (int c = 0; c < centers.length; c++) {
      for (int a = 0; a < k; a++) {
        System.arraycopy(g.data(), ((int) centers[c] * k + a) * g.cols(), out, (c * k + a) * g.cols(), g.cols());
      }
    }
    return new GramMatrix(m, g.cols(), k, out);
  }

  /**
   * 20 of the 53 training rows as centres: the job's predictions equal FALKON on the same problem
   * formed densely. The two routes' kernels agree to rounding only (Θ(C, C) comes from the centres'
   * own block plan, Θ(X, C)'s products sum in another order), and the Nyström normal equations
   * amplify that by about κ(Θ(C, C)): up to 3e-9 measured for the smooth analytic kernel on
   * three features, hence 1e-8 (solver.tol 1e-12 on both).
   */
  @ParameterizedTest
  @CsvSource({"trace, analytic, memory, 7", "full, empirical, none, 16", "trace, empirical, disk, 5"})
  void theJobEqualsTheDenseNystromProblem(String outputs, String type, String cache, int blockSize) {
    String[] common = {"kernel.outputs=" + outputs, "kernel.type=" + type, "kernel.blockSize=" + blockSize,
        "solver.ridge=1e-2", "solver.tol=1e-12"};
    String tag = outputs + "-" + type;
    NtkRun dense = run("ny-dense-" + tag, DistributedBackendJobTest.concat(common, "solver.type=regression",
        "solver.backend=driver"));
    NtkRun job = run("ny-job-" + tag, DistributedBackendJobTest.concat(common, "solver.type=nystrom",
        "solver.centers=20", "kernel.cache=" + cache));
    int k = dense.trainGram().rowsPerExample();
    long[] centers = NystromCenters.uniform(53, 20, 3); // model.seed = 3 in the job file
    GramMatrix knm = columns(dense.trainGram(), centers, k);
    GramMatrix kmm = rows(knm, centers, k);
    GramMatrix ktm = columns(dense.crossGram(), centers, k);
    FitResult exact = dense.fit();
    NystromProblem problem = new NystromProblem(new DenseKernelOperator(knm), kmm, new DenseKernelOperator(ktm),
        exact.snapshots().get(0).trainPredictions(), yTrain(dense), exact.snapshots().get(0).testPredictions(),
        yTest(dense), exact.last().trainPredictions().length / 53);
    FitResult expected = FitContext.nystrom(problem, FitRequest.nystrom(1e-2, 20)
        .with(new SolverSettings(1e-12, 1000, 0, 1e-10, 3))).fit();
    double train = Matrices.maxRelativeDifference(job.fit().last().trainPredictions(),
        expected.last().trainPredictions());
    double test = Matrices.maxRelativeDifference(job.fit().last().testPredictions(),
        expected.last().testPredictions());
    assertTrue(train <= 1e-8 && test <= 1e-8, "training outputs differ by " + train + ", test by " + test);
    assertEquals("distributed", job.metrics().get("backend").get("name").asText());
    assertEquals(20, job.metrics().get("solver").get("centers").asInt());
    // fewer centres than rows: a different predictor from exact regression
    double gap = Matrices.maxRelativeDifference(job.fit().last().testPredictions(), exact.last().testPredictions());
    assertTrue(gap > 1e-4, "20 of 53 centres should not reproduce exact regression, differ by " + gap);
  }

  /** solver.centers ≥ N: every row is a centre, and Nyström regression is exact regression. */
  @Test
  void everyRowACentreIsExactRegression() {
    String[] common = {"kernel.outputs=full", "kernel.type=analytic", "solver.ridge=1e-2", "solver.tol=1e-11"};
    NtkRun exact = run("ny-all-exact", DistributedBackendJobTest.concat(common, "solver.type=regression",
        "solver.backend=driver"));
    NtkRun nystrom = run("ny-all", DistributedBackendJobTest.concat(common, "solver.type=nystrom",
        "solver.centers=1000"));
    double test = Matrices.maxRelativeDifference(nystrom.fit().last().testPredictions(),
        exact.fit().last().testPredictions());
    assertTrue(test <= 1e-7, "test outputs differ by " + test);
    assertEquals(53, nystrom.metrics().get("solver").get("centers").asInt());
  }

  @Test
  void refusesWhatNeedsTheTrainingGram() {
    for (String key : new String[] {"output.gram=true", "output.spectrum=true", "output.checkpoint=true",
        "solver.backend=driver"}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> run("ny-refused", "solver.type=nystrom", key));
      assertTrue(e.getMessage().contains("nystrom"), key + ": " + e.getMessage());
    }
  }

  private static double[] yTrain(NtkRun run) {
    return labels("train.csv");
  }

  private static double[] yTest(NtkRun run) {
    return labels("test.csv");
  }

  /** The label columns y1, y2 (the last two) of the job's CSV, row-major. */
  private static double[] labels(String file) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve(file));
      double[] y = new double[(lines.size() - 1) * 2];
      for (int i = 1; i < lines.size(); i++) {
        String[] f = lines.get(i).split(",");
        y[(i - 1) * 2] = Double.parseDouble(f[3]);
        y[(i - 1) * 2 + 1] = Double.parseDouble(f[4]);
      }
      return y;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
