package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.blocks.LeverageScores;
import org.sparkntk.blocks.NystromCenters;
import org.sparkntk.config.ConfigException;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.Npy;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.solver.DenseKernelOperator;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.NystromProblem;
import org.sparkntk.solver.RidgeLeverage;
import org.sparkntk.solver.SolverSettings;

/**
 * solver.type = nystrom through the job ({@link NtkJob}, {@link DistributedSolve}): the centres
 * drawn on Spark, Θ(X, C) kept on the executors and its products both ways, against the same
 * Nyström problem formed from the dense kernels of a driver-backend run (the columns of Θ(X, X)
 * and Θ(X*, X) at the centres) and against exact regression when every row is a centre. The data
 * and job file are {@link DistributedBackendJobTest}'s. The centres and α the job records
 * (centers.npy, centers_alpha.npy) are those drawn from model.seed and give the job's predictions,
 * and a rerun writes them byte for byte again.
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
   * three features, hence 1e-8 (solver.tol 1e-12 on both). The recorded centres are exactly those
   * drawn from model.seed, and the recorded α with the dense Θ(X*, X) at those columns gives the
   * job's test predictions, f(X*) = f_0(X*) + Θ(X*, X_C) α: the same α on both sides, so only the
   * two routes' Θ(X*, C) differ, by rounding (measured ≤ 2e-15), hence 1e-12.
   */
  @ParameterizedTest
  @CsvSource({"trace, analytic, memory, 7", "full, empirical, none, 16", "trace, empirical, disk, 5",
      "full, montecarlo, memory, 9", "trace, randomfeatures, none, 6"})
  void theJobEqualsTheDenseNystromProblem(String outputs, String type, String cache, int blockSize)
      throws IOException {
    List<String> settings = new ArrayList<>(List.of("kernel.outputs=" + outputs, "kernel.type=" + type,
        "kernel.blockSize=" + blockSize, "solver.ridge=1e-2", "solver.tol=1e-12"));
    switch (type) {
      case "montecarlo" -> settings.add("kernel.samples=2");
      case "randomfeatures" -> settings.add("kernel.features=40");
      default -> { }
    }
    String[] common = settings.toArray(new String[0]);
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

    Path out = dir.resolve("ny-job-" + tag);
    assertArrayEquals(centers, int64s(out.resolve("centers.npy")));
    Npy.Array alpha = Npy.read(out.resolve("centers_alpha.npy"));
    int columns = 2 / k; // O = 2 outputs: [M, O] for a trace kernel, [M·O, 1] for a full one
    assertArrayEquals(new long[] {20L * k, columns}, alpha.shape());
    assertArrayEquals(job.fit().coefficients(), alpha.data());
    double[] f = exact.snapshots().get(0).testPredictions().clone();
    double[] predicted = times(ktm, alpha.data(), columns);
    for (int i = 0; i < f.length; i++) {
      f[i] += predicted[i];
    }
    double fromAlpha = Matrices.maxRelativeDifference(f, job.fit().last().testPredictions());
    assertTrue(fromAlpha <= 1e-12, "f_0(X*) + Θ(X*, X_C) α differs from the job's test outputs by " + fromAlpha);
  }

  /**
   * A rerun of the same job into a new output.dir writes the same predictions, centres and α byte
   * for byte (the centres come from model.seed, every product adds its partial sums in task
   * order). A later run that is not nystrom, into the first directory, removes both centre files,
   * which would otherwise sit beside its own model, and its manifest verifies.
   */
  @Test
  void theRecordedCentresAreReproducibleAndNotLeftBehind() throws IOException {
    String[] nystrom = {"kernel.outputs=trace", "kernel.type=analytic", "solver.type=nystrom", "solver.centers=20",
        "solver.ridge=1e-2", "solver.tol=1e-12"};
    run("ny-repeat-1", nystrom);
    run("ny-repeat-2", nystrom);
    Path first = dir.resolve("ny-repeat-1");
    Path second = dir.resolve("ny-repeat-2");
    for (String file : new String[] {"predictions_test.csv", "centers.npy", "centers_alpha.npy"}) {
      assertArrayEquals(Files.readAllBytes(first.resolve(file)), Files.readAllBytes(second.resolve(file)),
          file + " differs between two runs of the same job");
    }
    assertTrue(Manifest.paths(first).containsAll(List.of("centers.npy", "centers_alpha.npy")));

    run("ny-repeat-1", "kernel.outputs=trace", "kernel.type=analytic", "solver.type=regression",
        "solver.backend=distributed", "solver.ridge=1e-2", "solver.tol=1e-12", "output.overwrite=true");
    assertFalse(Files.exists(first.resolve("centers.npy")), "a regression run left the centres of a Nyström run");
    assertFalse(Files.exists(first.resolve("centers_alpha.npy")));
    List<String> listed = Manifest.verify(first).stream().map(Manifest.Entry::path).toList();
    assertTrue(listed.contains("predictions_test.csv") && !listed.contains("centers.npy"), listed.toString());
  }

  /**
   * solver.centerSampling = leverage: the centres the job draws are those of the scores formed
   * from the driver run's dense Gram (the subsample from model.seed's other stream, {@link
   * RidgeLeverage} on its columns), and its predictions equal FALKON on the dense problem with those
   * centres (1e-8, as above). The scores' sum is the recorded effective dimension. The Gram's
   * entries agree to rounding between the routes; a score (K_ii − K_iJ(…)⁻¹K_Ji)/ρ amplifies that
   * by the cancellation and by 1/ρ (measured: 1e-8 relative on the sum before clamping, hence 1e-6),
   * still far from moving any of the sampling keys past another.
   */
  @Test
  void leverageCentresAreThoseOfTheDenseScores() throws IOException {
    String[] common = {"kernel.outputs=trace", "kernel.type=analytic", "kernel.blockSize=7", "solver.ridge=1e-2",
        "solver.tol=1e-12"};
    NtkRun dense = run("ny-lev-dense", DistributedBackendJobTest.concat(common, "solver.type=regression",
        "solver.backend=driver"));
    NtkRun job = run("ny-lev-job", DistributedBackendJobTest.concat(common, "solver.type=nystrom",
        "solver.centers=20", "solver.centerSampling=leverage"));
    GramMatrix gram = dense.trainGram();
    long[] subsample = NystromCenters.uniform(53, 20, 3 ^ LeverageScores.SUBSAMPLE_STREAM);
    GramMatrix kxj = columns(gram, subsample, 1);
    GramMatrix kjj = rows(kxj, subsample, 1);
    double[] diagonal = new double[53];
    for (int i = 0; i < 53; i++) {
      diagonal[i] = gram.data()[i * 53 + i];
    }
    double[] scores = RidgeLeverage.of(kjj.data(), 20, 53, 1e-2).scores(kxj.data().clone(), 53, diagonal);
    long[] centers = RidgeLeverage.sample(scores, 20, 3);
    Path out = dir.resolve("ny-lev-job");
    assertArrayEquals(centers, int64s(out.resolve("centers.npy")));
    assertFalse(java.util.Arrays.equals(centers, NystromCenters.uniform(53, 20, 3)), "the uniform draw's centres");
    double effective = java.util.Arrays.stream(scores).sum();
    assertEquals(effective, job.metrics().get("solver").get("effectiveDimension").asDouble(), 1e-6 * effective);
    assertTrue(effective > 0 && effective <= 53, "effective dimension " + effective);
    assertEquals("leverage", job.metrics().get("solver").get("centerSampling").asText());

    GramMatrix knm = columns(gram, centers, 1);
    FitResult exact = dense.fit();
    NystromProblem problem = new NystromProblem(new DenseKernelOperator(knm), rows(knm, centers, 1),
        new DenseKernelOperator(columns(dense.crossGram(), centers, 1)), exact.snapshots().get(0).trainPredictions(),
        yTrain(dense), exact.snapshots().get(0).testPredictions(), yTest(dense), 2);
    FitResult expected = FitContext.nystrom(problem, FitRequest.nystrom(1e-2, 20)
        .with(new SolverSettings(1e-12, 1000, 0, 1e-10, 3))).fit();
    double test = Matrices.maxRelativeDifference(job.fit().last().testPredictions(),
        expected.last().testPredictions());
    assertTrue(test <= 1e-8, "test outputs differ from FALKON on the dense problem by " + test);
  }

  /** Leverage sampling scores one kernel row per training row and needs a ridge: both refused with the reason. */
  @Test
  void refusesLeverageItCannotScore() {
    ConfigException full = assertThrows(ConfigException.class, () -> run("ny-lev-full", "solver.type=nystrom",
        "solver.centerSampling=leverage", "kernel.outputs=full", "solver.ridge=1e-2"));
    assertTrue(full.getMessage().contains("kernel.outputs = full"), full.getMessage());
    ConfigException ridge = assertThrows(ConfigException.class, () -> run("ny-lev-ridge", "solver.type=nystrom",
        "solver.centerSampling=leverage", "solver.ridge=0"));
    assertTrue(ridge.getMessage().contains("solver.ridge > 0"), ridge.getMessage());
  }

  @Test
  void refusesNoCentres() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> run("ny-no-centres", "solver.type=nystrom", "solver.centers=0"));
    assertTrue(e.getMessage().contains("solver.centers"), e.getMessage());
  }

  /** The values of a one-dimensional int64 .npy file, its header checked: '<i8', C order, its length. */
  private static long[] int64s(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
    long[] values = new long[(bytes.length - 10 - headerLength) / 8];
    ByteBuffer.wrap(bytes, 10 + headerLength, 8 * values.length).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
        .get(values);
    assertTrue(header.startsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (" + values.length + ",), }"),
        header);
    return values;
  }

  /** G A for a dense G and A row-major [G.cols() × columns]. */
  private static double[] times(GramMatrix g, double[] a, int columns) {
    double[] out = new double[g.rows() * columns];
    for (int i = 0; i < g.rows(); i++) {
      for (int j = 0; j < g.cols(); j++) {
        for (int c = 0; c < columns; c++) {
          out[i * columns + c] += g.data()[i * g.cols() + j] * a[j * columns + c];
        }
      }
    }
    return out;
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
