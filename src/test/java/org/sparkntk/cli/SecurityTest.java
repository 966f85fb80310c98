package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Manifest;

/**
 * What an embedded run exposes and how it treats its inputs (issue 7): Spark on loopback with no
 * UI; configuration values and paths taken literally, never expanded or evaluated. (The defensive
 * .npy reader is tested in NpyTest, a pickled model tensor through the CLI in BadInputTest.)
 */
class SecurityTest {
  @TempDir
  Path dir;

  /** The SparkConf the CLI builds for an embedded run: driver and block manager on 127.0.0.1, UI off. */
  @Test
  void anEmbeddedRunBindsToLoopbackWithTheUiOff() {
    JobConfig config = JobConfig.of(Map.of("data.label", "y", "spark.executor.memory", "1g"));
    Map<String, String> embedded = NtkMain.sessionSettings(config, true);
    assertEquals("local[*]", embedded.get("spark.master"));
    assertEquals("127.0.0.1", embedded.get("spark.driver.host"));
    assertEquals("127.0.0.1", embedded.get("spark.driver.bindAddress"));
    assertEquals("false", embedded.get("spark.ui.enabled"));
    // a Gram tile's result is fetched to memory, not through a temporary file (NtkMain.EMBEDDED_FETCH_TO_MEMORY)
    assertEquals("2047m", embedded.get("spark.network.maxRemoteBlockSizeFetchToMem"));
    assertEquals("1g", embedded.get("spark.executor.memory"), "spark.* keys are passed on");
    // with separate executor JVMs (local-cluster), whose Netty direct memory must exceed it, it is not set
    Map<String, String> localCluster = NtkMain.sessionSettings(
        JobConfig.of(Map.of("data.label", "y", "spark.master", "local-cluster[2,1,1024]")), true);
    assertFalse(localCluster.containsKey("spark.network.maxRemoteBlockSizeFetchToMem"));
    assertEquals("2047m", NtkMain.sessionSettings(JobConfig.of(Map.of("data.label", "y", "spark.master", "local[2]")),
        true).get("spark.network.maxRemoteBlockSizeFetchToMem"));
    // Under spark-submit the cluster's settings are left alone.
    Map<String, String> submitted = NtkMain.sessionSettings(config, false);
    for (String key : List.of("spark.master", "spark.driver.host", "spark.driver.bindAddress", "spark.ui.enabled",
        "spark.network.maxRemoteBlockSizeFetchToMem")) {
      assertFalse(submitted.containsKey(key), key);
    }
  }

  /** Shell syntax in values stays text: no command runs, no variable or ~ is expanded. */
  @Test
  void configValuesAreNeverEvaluated() throws IOException {
    Path job = dir.resolve("job.conf");
    Files.writeString(job, String.join("\n", "data.train = ~/$HOME/`touch " + dir.resolve("pwned1") + "`.csv",
        "data.label = $(touch " + dir.resolve("pwned2") + "),${HOME}", "output.dir = ~ $USER", ""));
    JobConfig config = JobConfig.load(job, List.of());
    assertEquals("~/$HOME/`touch " + dir.resolve("pwned1") + "`.csv", config.get(ConfigKeys.DATA_TRAIN));
    assertEquals(List.of("$(touch " + dir.resolve("pwned2") + ")", "${HOME}"), config.labels());
    assertEquals("~ $USER", config.get(ConfigKeys.OUTPUT_DIR));
    assertFalse(Files.exists(dir.resolve("pwned1")) || Files.exists(dir.resolve("pwned2")));
    // model.hidden = $((2+2)) is not arithmetic: it is refused as text (load validates every key)
    Object[] result = NtkMainTest.run(job.toString(), "model.hidden=$((2+2))");
    assertEquals(2, result[0]);
    assertTrue(((String) result[1]).contains("model.hidden = '$((2+2))'"), (String) result[1]);
  }

  /**
   * A whole run whose data, job file and output.dir live under directories named "$HOME", "~" and
   * with spaces: everything is read from and written to exactly those paths.
   */
  @Test
  void pathsWithDollarTildeAndSpacesAreTakenLiterally() throws IOException {
    SparkTestSession.get();
    Path data = dir.resolve("$HOME").resolve("~").resolve("my data");
    Files.createDirectories(data);
    NtkMainTest.writeCsv(data.resolve("train set.csv"), new double[3 * 12], 12, new Random(4));
    Path out = dir.resolve("~ out").resolve("$HOME results");
    Path job = data.resolve("job file.conf");
    Files.writeString(job, String.join("\n", "data.train = " + data.resolve("train set.csv"),
        "data.label = y1,y2", "model.hidden = 4", "solver.steps = 3", "output.dir = " + out, ""));
    Object[] result = NtkMainTest.run(job.toString());
    assertEquals(0, result[0], (String) result[1]);
    assertTrue(Files.isRegularFile(out.resolve("metrics.json")), "outputs must be at the literal path " + out);
    assertFalse(Manifest.verify(out).isEmpty());
    try (var top = Files.list(dir)) {
      assertEquals(List.of("$HOME", "~ out"), top.map(p -> p.getFileName().toString()).sorted().toList(),
          "nothing may be created anywhere else");
    }
  }
}
