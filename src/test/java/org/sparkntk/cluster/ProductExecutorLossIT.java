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
import org.sparkntk.api.NtkJob;
import org.sparkntk.config.JobConfig;
import org.sparkntk.output.Manifest;

/**
 * An executor JVM halts at the start of a product task of the distributed backend, after the
 * training Gram was built and kept in executor memory ({@link HaltOncePlugin} with a job pattern:
 * the third product Θ·V, a PCG iteration). The lost executor's stored blocks and shuffle files
 * are gone; Spark relaunches the executor, recomputes the lost blocks from lineage and retries the
 * product, and the regression predicts what an undisturbed run predicts.
 *
 * <p>Tolerance 1e-10 relative: the recomputed blocks are the same numbers (same inputs, same
 * GEMMs), but the tree reduction of each product adds the tiles' partial sums in the order their
 * tasks finish, so products differ from run to run by a few ulps; with ρ = 0.1 PCG amplifies that
 * by at most κ = (λ_max + ρ)/ρ, far below 1e-10 on this 48-row kernel.
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
    double train0 = ClusterJobs.assertSameCsv(local, out, "predictions_train.csv", 1e-10);
    double test0 = ClusterJobs.assertSameCsv(local, out, "predictions_test.csv", 1e-10);
    System.err.println("ProductExecutorLossIT: " + solver.path("iterations").asInt() + " PCG iterations; predictions "
        + "differ from the undisturbed run's by " + train0 + " (train) and " + test0 + " (test), relative");
  }
}
