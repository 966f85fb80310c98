package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Npy;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.solver.NotConvergedException;
import org.sparkntk.solver.Snapshot;

/**
 * The whole job on the distributed backend (the Gram kept on the executors, solvers by products)
 * against the same job on the driver backend (dense kernels, Cholesky, dsyevd, dense steps): the
 * same predictions at every recorded time, for every solver, trace and full kernels, several
 * kernel types and block sizes, and the backend choice and its refusals.
 *
 * <p>Tolerances: steps sum the same products in another order (1e-12 relative); regression at
 * solver.tol = 1e-12 with ρ = 1e-2 (κ ≲ 1e4) agrees to ~κ·1e-12 (1e-8 asserted); the Lanczos flow
 * at solver.tol = 1e-12 to 1e-8; eigenvalues by Lanczos to 1e-10 relative to λ_max.
 */
class DistributedBackendJobTest {
  @TempDir
  static Path dir;
  static Path conf;
  static Path blobs;

  @BeforeAll
  static void files() throws IOException {
    SparkTestSession.get();
    Random r = new Random(11);
    List<String> train = new ArrayList<>(List.of("x1,x2,x3,y1,y2"));
    List<String> test = new ArrayList<>(List.of("x1,x2,x3,y1,y2"));
    for (int i = 0; i < 70; i++) {
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      double c = r.nextGaussian();
      String line = a + "," + b + "," + c + "," + Math.sin(2 * a) * b + "," + (a * a - c);
      (i < 53 ? train : test).add(line);
    }
    Files.write(dir.resolve("train.csv"), train);
    Files.write(dir.resolve("test.csv"), test);
    conf = dir.resolve("job.conf");
    Files.writeString(conf, String.join("\n",
        "data.train = " + dir.resolve("train.csv"),
        "data.test = " + dir.resolve("test.csv"),
        "data.label = y1,y2",
        "model.hidden = 32,32",
        "model.seed = 3",
        "kernel.blockSize = 7",
        "output.checkpoint = false",
        ""));
    blobs = dir.resolve("blobs.conf");
    CrossEntropySpectrumJobTest.writeBlobs(dir.resolve("blobs-train.csv"), 40, r);
    CrossEntropySpectrumJobTest.writeBlobs(dir.resolve("blobs-test.csv"), 12, r);
    Files.writeString(blobs, String.join("\n",
        "data.train = " + dir.resolve("blobs-train.csv"),
        "data.test = " + dir.resolve("blobs-test.csv"),
        "data.label = c0,c1,c2",
        "model.hidden = 24",
        "model.seed = 4",
        "kernel.blockSize = 9",
        "solver.loss = xent",
        "output.checkpoint = false",
        ""));
  }

  static NtkRun run(Path jobFile, String out, String... overrides) {
    List<String> settings = new ArrayList<>(List.of(overrides));
    settings.add("output.dir=" + dir.resolve(out));
    return NtkJob.run(SparkTestSession.get(), JobConfig.load(jobFile, settings));
  }

  static void assertSamePredictions(NtkRun driver, NtkRun distributed, double rel) {
    List<Snapshot> a = driver.fit().snapshots();
    List<Snapshot> b = distributed.fit().snapshots();
    assertEquals(a.size(), b.size());
    for (int s = 0; s < a.size(); s++) {
      assertEquals(a.get(s).t(), b.get(s).t(), 1e-12 * Math.max(1, Math.abs(a.get(s).t())));
      double train = Matrices.maxRelativeDifference(b.get(s).trainPredictions(), a.get(s).trainPredictions());
      double test = Matrices.maxRelativeDifference(b.get(s).testPredictions(), a.get(s).testPredictions());
      assertTrue(train <= rel && test <= rel, "t = " + a.get(s).t() + ": training outputs differ by " + train
          + ", test outputs by " + test + " (relative), above " + rel);
    }
    double alpha = Matrices.maxRelativeDifference(distributed.fit().coefficients(), driver.fit().coefficients());
    assertTrue(alpha <= rel * 100, "coefficients differ by " + alpha);
  }

  @ParameterizedTest
  @CsvSource({
      "trace, empirical, 7, memory, float64, regression steps flow",
      "full, empirical, 16, none, float64, regression steps",
      "trace, analytic, 5, disk, float64, regression",
      "full, montecarlo, 53, memory, float64, flow",
      "full, jacobian, 11, memory, float64, regression steps",
      "trace, randomfeatures, 6, none, float64, regression steps",
      "trace, randomfeatures-limit, 13, memory, float64, regression flow"})
  void everySolverEqualsTheDriverBackend(String outputs, String type, int blockSize, String cache, String precision,
                                         String solvers) {
    // "jacobian" is the empirical kernel by explicit Jacobians; "randomfeatures-limit" is P → ∞.
    String kernelType = switch (type) {
      case "jacobian" -> "kernel.type=empirical";
      case "randomfeatures-limit" -> "kernel.type=randomfeatures";
      default -> "kernel.type=" + type;
    };
    String variant = switch (type) {
      case "jacobian" -> "kernel.method=jacobian";
      case "randomfeatures" -> "kernel.features=40";
      case "randomfeatures-limit" -> "kernel.features=inf";
      default -> "kernel.samples=2";
    };
    String[] common = {"kernel.outputs=" + outputs, kernelType, variant, "kernel.blockSize=" + blockSize,
        "kernel.cache=" + cache, "kernel.precision=" + precision};
    String tag = outputs + "-" + type + "-" + blockSize;
    if (solvers.contains("regression")) {
      String[] regression = concat(common, "solver.type=regression", "solver.ridge=1e-2", "solver.tol=1e-12");
      assertSamePredictions(run(conf, "reg-driver-" + tag, concat(regression, "solver.backend=driver")),
          run(conf, "reg-dist-" + tag, concat(regression, "solver.backend=distributed")), 1e-8);
    }
    if (solvers.contains("steps")) {
      String[] steps = concat(common, "solver.type=steps", "solver.lr=0.3", "solver.steps=12",
          "solver.recordEvery=5");
      assertSamePredictions(run(conf, "steps-driver-" + tag, concat(steps, "solver.backend=driver")),
          run(conf, "steps-dist-" + tag, concat(steps, "solver.backend=distributed")), 1e-12);
    }
    if (solvers.contains("flow")) {
      String[] flow = concat(common, "solver.type=flow", "solver.times=0,0.5,5,50,5000", "solver.tol=1e-12");
      assertSamePredictions(run(conf, "flow-driver-" + tag, concat(flow, "solver.backend=driver")),
          run(conf, "flow-dist-" + tag, concat(flow, "solver.backend=distributed")), 1e-8);
    }
  }

  /**
   * kernel.cache = none with the empirical kernel is the matrix-free operator (Θ V = J(Jᵀ V), no
   * block stored or recomputed): regression, the flow and the top eigenvalues equal those over the
   * stored Gram (kernel.cache = memory) to the solvers' tolerances, 1e-8 for the solutions and
   * 1e-10 for the eigenvalues (Lanczos to 1e-10 residual on both).
   */
  @Test
  void theMatrixFreeEmpiricalKernelEqualsTheStoredOne() {
    String[] common = {"kernel.outputs=trace", "kernel.type=empirical", "solver.backend=distributed",
        "solver.tol=1e-12", "output.spectrum=true", "output.eigenvectors=3"};
    String[] regression = concat(common, "solver.type=regression", "solver.ridge=1e-2");
    NtkRun stored = run(conf, "free-stored", concat(regression, "kernel.cache=memory"));
    NtkRun free = run(conf, "free", concat(regression, "kernel.cache=none"));
    assertSamePredictions(stored, free, 1e-8);
    double[] a = stored.topEigenpairs().values();
    double[] b = free.topEigenpairs().values();
    for (int i = 0; i < 3; i++) {
      assertEquals(a[i], b[i], 1e-10 * a[0], "eigenvalue " + i);
    }
    assertTrue(free.metrics().get("solver").get("kernelCache").asText().startsWith("none (matrix-free"),
        free.metrics().get("solver").toString());
    String[] flow = concat(common, "solver.type=flow", "solver.times=0,0.5,5,50");
    assertSamePredictions(run(conf, "free-flow-stored", concat(flow, "kernel.cache=memory")),
        run(conf, "free-flow", concat(flow, "kernel.cache=none")), 1e-8);
  }

  @Test
  void crossEntropyStepsEqualTheDriverBackend() {
    String[] steps = {"kernel.outputs=full", "solver.lr=2", "solver.steps=20", "solver.recordEvery=10"};
    NtkRun driver = run(blobs, "xent-driver", concat(steps, "solver.backend=driver"));
    NtkRun distributed = run(blobs, "xent-dist", concat(steps, "solver.backend=distributed"));
    assertSamePredictions(driver, distributed, 1e-12);
    assertEquals(driver.fit().last().testAccuracy(), distributed.fit().last().testAccuracy());
  }

  @Test
  void autoPicksTheDistributedBackendWhenTheDenseKernelsDoNotFitAndSaysWhy() throws IOException {
    NtkRun auto = run(conf, "auto-small", "solver.type=regression", "solver.ridge=1e-2",
        "kernel.maxDriverBytes=85k", "output.spectrum=true", "output.eigenvectors=4");
    assertNull(auto.trainGram(), "the Gram never reaches the driver");
    JsonNode metrics = new ObjectMapper().readTree(dir.resolve("auto-small/metrics.json").toFile());
    assertEquals("distributed", metrics.path("backend").path("name").asText());
    assertTrue(metrics.path("backend").path("reason").asText().contains("do not fit"),
        metrics.path("backend").toString());
    JsonNode solver = metrics.path("solver");
    assertTrue(solver.path("iterations").asInt() > 0);
    assertEquals(solver.path("iterations").asInt() + 1, solver.path("residualHistory").size());
    assertEquals("nystrom", solver.path("preconditioner").asText());
    assertTrue(solver.path("relativeResidual").asDouble() <= 1e-8);
    // The top eigenpairs equal dsyevd's on the driver backend.
    NtkRun dense = run(conf, "auto-large", "solver.type=regression", "solver.ridge=1e-2", "output.spectrum=true",
        "output.eigenvectors=4");
    JsonNode denseMetrics = new ObjectMapper().readTree(dir.resolve("auto-large/metrics.json").toFile());
    assertEquals("driver", denseMetrics.path("backend").path("name").asText());
    double[] top = Npy.read(dir.resolve("auto-small/spectrum.npy")).data();
    assertEquals(4, top.length);
    for (int i = 0; i < 4; i++) {
      assertEquals(dense.spectrum().values()[i], top[i], 1e-10 * dense.spectrum().values()[0], "eigenvalue " + i);
    }
    assertTrue(Files.isRegularFile(dir.resolve("auto-small/eigenvectors.npy")));
    assertFalse(Files.exists(dir.resolve("auto-small/gram.npy")));
  }

  @Test
  void refusalsNameTheKeyAndTheFigures() {
    ConfigException tooBig = assertThrows(ConfigException.class, () -> run(conf, "refuse-driver",
        "solver.backend=driver", "kernel.maxDriverBytes=10k"));
    assertTrue(tooBig.getMessage().contains("solver.backend = distributed"), tooBig.getMessage());
    ConfigException spectrum = assertThrows(ConfigException.class, () -> run(conf, "refuse-spectrum",
        "solver.backend=distributed", "output.spectrum=true"));
    assertTrue(spectrum.getMessage().contains("output.eigenvectors"), spectrum.getMessage());
    for (String bad : List.of("solver.tol=0", "solver.tol=1", "solver.maxIter=0", "solver.rank=0",
        "solver.backend=cluster", "kernel.cache=ram", "solver.preconditioner=jacobi")) {
      ConfigException e = assertThrows(ConfigException.class, () -> run(conf, "refuse-key", bad), bad);
      assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('='))), e.getMessage());
    }
  }

  @Test
  void aRegressionThatCannotConvergeSaysSoInsteadOfReturningGarbage() {
    NotConvergedException e = assertThrows(NotConvergedException.class, () -> run(conf, "no-convergence",
        "solver.backend=distributed", "solver.type=regression", "solver.ridge=0", "solver.tol=1e-14",
        "solver.maxIter=5", "solver.preconditioner=none"));
    assertTrue(e.getMessage().contains("after 5 PCG iterations"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("no-convergence/metrics.json")), "nothing looks complete");
  }

  static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
