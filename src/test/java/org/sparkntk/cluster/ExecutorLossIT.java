package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * An executor JVM halts while the training Gram's tiles are being computed ({@link HaltOncePlugin}):
 * on local-cluster[2,1,1024] the master relaunches the executor, Spark retries the lost task and
 * recomputes the lost shuffle output, and the job completes with the Gram of an undisturbed run.
 */
class ExecutorLossIT {
  @TempDir
  static Path dir;

  @Test
  void theJobSurvivesAnExecutorLostDuringTheTrainingGram() throws Exception {
    Path train = ClusterJobs.head("quickstart-train.csv", 48, dir.resolve("train.csv"));
    Path conf = ClusterJobs.jobFile(dir, train, null);
    Path haltDir = Files.createDirectories(dir.resolve("halt"));
    // Blocks of 4 rows: 12 blocks, 78 block pairs in several tile tasks.
    List<String> jobKeys = List.of("kernel.blockSize=4", "solver.steps=10");
    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>(List.of(conf.toString(), "output.dir=" + out));
    args.addAll(jobKeys);
    args.addAll(ClusterJobs.localClusterKeys(2));
    args.add("spark.plugins=" + HaltOncePlugin.class.getName());
    args.add(HaltOncePlugin.DIR_KEY + "=" + haltDir);
    String log;
    try (ClusterProcesses.Child driver = ClusterProcesses.java("executor-loss-driver", dir,
        Map.of("SPARK_HOME", ClusterProcesses.sparkHome(dir).toString()), ClusterProcesses.classPath(),
        List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + ClusterProcesses.BASE.resolve("conf/log4j2.properties")),
        "org.sparkntk.cli.NtkMain", args)) {
      driver.assertSucceeds(Duration.ofMinutes(5));
      log = driver.logText();
    }

    // The fault happened, in the tile stage of the training Gram, and the driver saw it.
    Path halted = haltDir.resolve(HaltOncePlugin.HALTED);
    assertTrue(Files.exists(halted), "no executor halted: the fault was not injected. Driver log:\n" + log);
    Matcher where = Pattern.compile("executor (\\S+) stage (\\d+) partition (\\d+)").matcher(Files.readString(halted));
    assertTrue(where.find(), Files.readString(halted));
    assertTrue(log.contains("Lost executor " + where.group(1)), "the driver log does not mention the lost executor "
        + where.group(1) + ":\n" + log);
    String lostTask = "Lost task " + where.group(3) + ".0 in stage " + where.group(2) + ".";
    assertTrue(log.contains(lostTask), "the driver log does not say '" + lostTask + "':\n" + log);
    System.err.println("ExecutorLossIT: halted " + Files.readString(halted).strip() + "; driver log: "
        + log.lines().filter(l -> l.contains("Lost executor") || l.contains("Lost task")).toList());

    // The job completed as if nothing had happened.
    Manifest.verify(out);
    Path local = dir.resolve("undisturbed");
    List<String> localArgs = new ArrayList<>(jobKeys);
    localArgs.add("output.dir=" + local);
    NtkJob.run(SparkTestSession.get(), JobConfig.load(conf, localArgs));
    double rel = ClusterJobs.assertSameNpy(local, out, "gram.npy");
    ClusterJobs.assertSameCsv(local, out, "predictions_train.csv");
    System.err.println("ExecutorLossIT: gram.npy differs from the undisturbed run's by " + rel + " (relative)");
  }
}
