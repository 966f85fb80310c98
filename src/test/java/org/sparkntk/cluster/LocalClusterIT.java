package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Manifest;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.pipeline.NtkJob;
import org.sparkntk.report.DynamicsReport;

/**
 * CLI jobs in a child driver JVM on {@code local-cluster[2,1,1024]}: a standalone master and two
 * workers in the driver, whose executors are two separate JVMs, so every closure, broadcast,
 * shuffle and task result crosses processes. The jobs run one after another in that driver
 * ({@code cli.CliBatch}: starting the JVMs costs far more than these jobs); each must exit 0,
 * leave a manifest that verifies, and write the outputs of the same job run in this JVM on local[2].
 */
class LocalClusterIT {
  static final Duration TIMEOUT = Duration.ofMinutes(6);
  static final List<String> EMPIRICAL = List.of("solver.type=steps", "output.spectrum=true");
  static final List<String> ANALYTIC = List.of("kernel.type=analytic", "solver.type=regression", "solver.ridge=1e-6");
  static final List<String> DISTRIBUTED = List.of("solver.type=regression", "solver.ridge=1e-3", "solver.tol=1e-12",
      "kernel.blockSize=7", "output.gram=false", "output.spectrum=true", "output.eigenvectors=3");
  static final List<String> DYNAMICS = List.of("report.type=dynamics", "report.widths=16,32", "report.components=2",
      "kernel.outputs=full", "solver.lr=0.025", "solver.steps=12", "solver.recordEvery=4");

  @TempDir
  static Path dir;
  static Path conf;
  static Path train;
  static Path test;
  static String driverLog;

  /** Runs every job of this class in one driver JVM on local-cluster (its outputs: {@code <name>-cluster}). */
  @BeforeAll
  static void runOnTheCluster() throws Exception {
    train = ClusterJobs.head("quickstart-train.csv", 48, dir.resolve("train.csv"));
    test = ClusterJobs.head("quickstart-test.csv", 16, dir.resolve("test.csv"));
    conf = ClusterJobs.jobFile(dir, train, test);
    Path sparkHome = ClusterProcesses.sparkHome(dir);
    List<String> args = new ArrayList<>();
    for (var job : List.of(Map.entry("structured", with(EMPIRICAL, "kernel.method=structured")),
        Map.entry("jacobian", with(EMPIRICAL, "kernel.method=jacobian")), Map.entry("analytic", ANALYTIC),
        Map.entry("dynamics", DYNAMICS), Map.entry("distributed", with(DISTRIBUTED, "solver.backend=distributed")))) {
      if (!args.isEmpty()) {
        args.add("--");
      }
      args.add(conf.toString());
      args.add("output.dir=" + dir.resolve(job.getKey() + "-cluster"));
      args.addAll(job.getValue());
      args.addAll(ClusterJobs.localClusterKeys(2));
    }
    args.addAll(List.of("--", "ml", train.toString(), test.toString(), dir.resolve("ml-cluster.txt").toString()));
    long t0 = System.nanoTime();
    try (ClusterProcesses.Child driver = ClusterProcesses.java("local-cluster-driver", dir,
        Map.of("SPARK_HOME", sparkHome.toString()), ClusterProcesses.classPath(),
        List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + ClusterProcesses.BASE.resolve("conf/log4j2.properties")),
        "org.sparkntk.cli.CliBatch", args)) {
      driver.assertSucceeds(TIMEOUT);
      driverLog = driver.logText();
    }
    System.err.printf("LocalClusterIT: the cluster driver ran 6 jobs in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    List<String> jobs = driverLog.lines().filter(l -> l.startsWith("cli-batch: job ")).toList();
    jobs.forEach(System.err::println);
    assertEquals(6, jobs.stream().filter(l -> l.endsWith(": exit status 0")).count(), driverLog);
  }

  private static List<String> with(List<String> keys, String key) {
    List<String> all = new ArrayList<>(keys);
    all.add(key);
    return all;
  }

  /** The same job in this JVM on the shared local[2] session; returns its output directory. */
  static Path localRun(String name, List<String> keys) throws IOException {
    Path out = dir.resolve(name + "-local");
    List<String> args = new ArrayList<>(keys);
    args.add("output.dir=" + out);
    JobConfig config = JobConfig.load(conf, args);
    if (config.get(ConfigKeys.REPORT_TYPE).equals("dynamics")) {
      DynamicsReport.run(SparkTestSession.get(), config);
    } else {
      NtkJob.run(SparkTestSession.get(), config);
    }
    return out;
  }

  static List<String> verifiedFiles(Path out) throws IOException {
    return Manifest.verify(out).stream().map(Manifest.Entry::path).toList();
  }

  /**
   * The empirical NTK by layer factors and by explicit Jacobians, kernel gradient descent, test
   * points and the spectrum: gram, cross, spectrum and predictions equal local[2]'s.
   */
  @Test
  void empiricalNtkWithStepsTestDataAndSpectrum() throws Exception {
    for (String method : List.of("structured", "jacobian")) {
      Path cluster = dir.resolve(method + "-cluster");
      Path local = localRun(method, with(EMPIRICAL, "kernel.method=" + method));
      // The job ran on the cluster (metrics.json records the session's master), the reference locally.
      assertEquals("local-cluster[2,1,1024]", new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(cluster.resolve("metrics.json").toFile()).path("spark").path("master").asText());
      List<String> files = verifiedFiles(cluster);
      assertEquals(verifiedFiles(local), files, "the files of the run (manifest.json)");
      assertTrue(files.containsAll(List.of("gram.npy", "cross.npy", "spectrum.npy", "predictions_train.csv",
          "predictions_test.csv")), files.toString());
      double[] rel = {
          ClusterJobs.assertSameNpy(local, cluster, "gram.npy"),
          ClusterJobs.assertSameNpy(local, cluster, "cross.npy"),
          ClusterJobs.assertSameNpy(local, cluster, "spectrum.npy"),
          ClusterJobs.assertSameCsv(local, cluster, "predictions_train.csv"),
          ClusterJobs.assertSameCsv(local, cluster, "predictions_test.csv")};
      System.err.println("LocalClusterIT " + method + ": max relative differences gram, cross, spectrum, "
          + "train and test predictions: " + Arrays.toString(rel));
    }
  }

  /** The infinite-width kernel (executors evaluate the arc-cosine recursion per block) and kernel regression. */
  @Test
  void analyticKernelWithRegression() throws Exception {
    Path cluster = dir.resolve("analytic-cluster");
    Path local = localRun("analytic", ANALYTIC);
    assertEquals(verifiedFiles(local), verifiedFiles(cluster));
    double[] rel = {
        ClusterJobs.assertSameNpy(local, cluster, "gram.npy"),
        ClusterJobs.assertSameNpy(local, cluster, "cross.npy"),
        ClusterJobs.assertSameCsv(local, cluster, "predictions_test.csv")};
    System.err.println("LocalClusterIT analytic: max relative differences gram, cross, test predictions: "
        + Arrays.toString(rel));
  }

  /**
   * The distributed backend on real executors: the Gram's blocks persisted in two executor JVMs,
   * every product a broadcast and an ordered sum across processes, Nyström PCG and the Lanczos
   * spectrum on the driver. Its predictions and top eigenvalues equal the driver backend's (dense
   * Cholesky and dsyevd, run here on local[2]) to the solver's accuracy: tol 1e-12 on a system of
   * condition ≲ 1e4 gives 1e-8.
   */
  @Test
  void distributedBackendOnExecutorsEqualsTheDenseSolve() throws Exception {
    Path cluster = dir.resolve("distributed-cluster");
    Path local = localRun("distributed", with(DISTRIBUTED, "solver.backend=driver"));
    assertEquals("distributed", new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(cluster.resolve("metrics.json").toFile()).path("backend").path("name").asText());
    double[] top = org.sparkntk.io.Npy.read(cluster.resolve("spectrum.npy")).data();
    double[] all = org.sparkntk.io.Npy.read(local.resolve("spectrum.npy")).data();
    for (int i = 0; i < top.length; i++) {
      assertEquals(all[i], top[i], 1e-10 * all[0], "eigenvalue " + i);
    }
    double[] rel = {
        ClusterJobs.assertSameCsv(local, cluster, "predictions_train.csv", 1e-8),
        ClusterJobs.assertSameCsv(local, cluster, "predictions_test.csv", 1e-8)};
    System.err.println("LocalClusterIT distributed: max relative differences of train and test predictions: "
        + Arrays.toString(rel));
  }

  /**
   * report.type = dynamics: the network trained by distributed gradient descent (a treeAggregate
   * of per-block gradients per step, the model broadcast each step) against kernel gradient
   * descent; dynamics.csv equals the local run's.
   */
  @Test
  void dynamicsReportTrainsTheNetworkOnExecutors() throws Exception {
    Path cluster = dir.resolve("dynamics-cluster");
    Path local = localRun("dynamics", DYNAMICS);
    assertTrue(Files.isRegularFile(cluster.resolve("dynamics.json")), "dynamics.json missing");
    double rel = ClusterJobs.assertSameCsv(local, cluster, "dynamics.csv");
    System.err.println("LocalClusterIT dynamics: max relative difference of dynamics.csv: " + rel);
  }

  /** The ML API: NtkRegressor fit and transform (the dual model broadcast to executors) in a Pipeline. */
  @Test
  void mlRegressorFitAndTransform() throws Exception {
    Path localFile = dir.resolve("ml-local.txt");
    MlApiJob.run(SparkTestSession.get(), train, test, localFile);
    double[] expected = Files.readAllLines(localFile).stream().mapToDouble(Double::parseDouble).toArray();
    double[] actual = Files.readAllLines(dir.resolve("ml-cluster.txt")).stream().mapToDouble(Double::parseDouble)
        .toArray();
    assertEquals(16, expected.length);
    assertEquals(expected.length, actual.length);
    double rel = Matrices.maxRelativeDifference(actual, expected);
    assertTrue(rel <= ClusterJobs.TOLERANCE, "ML predictions differ from local[2]'s by " + rel);
    System.err.println("LocalClusterIT ml: max relative difference of the predictions: " + rel);
  }
}
