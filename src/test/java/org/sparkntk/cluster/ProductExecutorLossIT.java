package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Manifest;
import org.sparkntk.pipeline.NtkJob;

/**
 * An executor JVM halts at the start of a product task of the distributed backend, after the
 * training Gram was built and kept in executor memory ({@link HaltOncePlugin} with a job pattern:
 * the third product Θ·V, a PCG iteration). The lost executor's stored blocks and shuffle files
 * are gone; Spark relaunches the executor, recomputes the lost blocks from lineage and retries the
 * product, and the regression predicts what an undisturbed run predicts.
 *
 * <p>The predictions must be the same bits, and PCG must take the same number of iterations: the
 * recomputed blocks are the same numbers (same inputs, same GEMMs, the same BLAS on this machine),
 * and each product adds its tasks' partial sums in task order whatever order they finish in
 * ({@code ProductSum}), so the retried task that finishes last changes nothing. (When Spark's
 * reduce added them in arrival order, runs differed by a few ulps, and at tol = 1e-12 PCG stopped
 * at 24 or 25 iterations from run to run.)
 */
class ProductExecutorLossIT {
  @TempDir
  static Path dir;

  @Test
  void aRegressionSurvivesAnExecutorLostDuringAProduct() throws Exception {
    Path train = ClusterJobs.head("quickstart-train.csv", 48, dir.resolve("train.csv"));
    Path test = ClusterJobs.head("quickstart-test.csv", 16, dir.resolve("test.csv"));
    Path conf = ClusterJobs.jobFile(dir, train, test);
    Path haltDir = Files.createDirectories(dir.resolve("halt"));
    // Blocks of 4 rows: 12 row blocks, 78 blocks in several tile tasks, kept in executor memory.
    List<String> jobKeys = List.of("kernel.blockSize=4", "solver.type=regression", "solver.backend=distributed",
        "solver.ridge=0.1", "solver.tol=1e-12", "solver.preconditioner=none", "kernel.cache=memory",
        "output.gram=false", "output.checkpoint=false");
    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>(List.of(conf.toString(), "output.dir=" + out));
    args.addAll(jobKeys);
    args.addAll(ClusterJobs.localClusterKeys(2));
    args.add("spark.plugins=" + HaltOncePlugin.class.getName());
    args.add(HaltOncePlugin.DIR_KEY + "=" + haltDir);
    // "spark-ntk: training Gram × V (2 columns), product 3" ('.' for the multiplication sign).
    args.add(HaltOncePlugin.JOB_KEY + "=spark-ntk: training Gram . V .*, product 3");
    String log;
    try (ClusterProcesses.Child driver = ClusterProcesses.java("product-loss-driver", dir,
        Map.of("SPARK_HOME", ClusterProcesses.sparkHome(dir).toString()), ClusterProcesses.classPath(),
        List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + ClusterProcesses.BASE.resolve("conf/log4j2.properties")),
        "org.sparkntk.cli.NtkMain", args)) {
      driver.assertSucceeds(Duration.ofMinutes(3));
      log = driver.logText();
    }

    Path halted = haltDir.resolve(HaltOncePlugin.HALTED);
    assertTrue(Files.exists(halted), "no executor halted: the fault was not injected. Driver log:\n" + log);
    Matcher where = Pattern.compile("executor (\\S+) stage (\\d+) partition (\\d+)").matcher(Files.readString(halted));
    assertTrue(where.find(), Files.readString(halted));
    assertTrue(log.contains("Lost executor " + where.group(1)), "the driver log does not mention the lost executor "
        + where.group(1) + ":\n" + log);
    System.err.println("ProductExecutorLossIT: halted " + Files.readString(halted).strip() + "; driver log: "
        + log.lines().filter(l -> l.contains("Lost executor") || l.contains("Lost task")).toList());

    Manifest.verify(out);
    JsonNode solver = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("solver");
    assertTrue(solver.path("trainingGramProducts").asInt() > 3, "the job ended before the product that halted: "
        + solver);
    Path local = dir.resolve("undisturbed");
    List<String> localArgs = new ArrayList<>(jobKeys);
    localArgs.add("output.dir=" + local);
    NtkJob.run(SparkTestSession.get(), JobConfig.load(conf, localArgs));
    JsonNode localSolver = new ObjectMapper().readTree(local.resolve("metrics.json").toFile()).path("solver");
    assertEquals(localSolver.path("iterations").asInt(), solver.path("iterations").asInt(),
        "the same system, the same PCG iterations");
    for (String name : List.of("predictions_train.csv", "predictions_test.csv")) {
      assertEquals(-1, Files.mismatch(local.resolve(name), out.resolve(name)), name + " differs from the undisturbed "
          + "run's");
    }
    System.err.println("ProductExecutorLossIT: " + solver.path("iterations").asInt() + " PCG iterations; predictions "
        + "identical to the undisturbed run's");
  }
}
