package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Manifest;
import org.sparkntk.pipeline.NtkJob;

/**
 * {@code ./submit … --master spark://…} against a Spark standalone master and worker started as
 * child JVMs from the Maven jars: the jar goes through SparkSubmit, the worker launches an
 * executor that fetches it from the driver, and the outputs equal an embedded run's.
 */
class StandaloneSubmitIT {
  /** The quickstart made small: 400 rows as shipped, a narrower network, fewer steps, fixed blocks. */
  static final List<String> OVERRIDES = List.of("model.hidden=64,64", "solver.steps=200", "solver.recordEvery=50",
      "kernel.blockSize=64");

  @TempDir
  static Path dir;
  static ClusterProcesses.Child master;
  static ClusterProcesses.Child worker;
  static String masterUrl;

  @BeforeAll
  static void startMasterAndWorker() throws Exception {
    Path sparkHome = ClusterProcesses.sparkHome(dir);
    int port = ClusterProcesses.freePort();
    int masterUi = ClusterProcesses.freePort();
    int workerUi = ClusterProcesses.freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    List<String> sparkOnly = ClusterProcesses.sparkClassPath();
    master = ClusterProcesses.java("master", dir, Map.of(), sparkOnly, List.of("-Xmx512m"),
        "org.apache.spark.deploy.master.Master",
        List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(masterUi)));
    worker = ClusterProcesses.java("worker", dir,
        Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.13"), sparkOnly, List.of("-Xmx512m"),
        "org.apache.spark.deploy.worker.Worker", List.of("--host", "127.0.0.1", "--cores", "2", "--memory", "2g",
            "--webui-port", String.valueOf(workerUi), masterUrl));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    HttpRequest status = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/"))
        .timeout(Duration.ofSeconds(5)).build();
    ClusterProcesses.await("alive worker at the master", Duration.ofMinutes(2), master, () -> {
      if (!worker.process().isAlive()) {
        throw new AssertionError("the worker exited:\n" + worker.tail(60));
      }
      try {
        JsonNode json = new ObjectMapper().readTree(http.send(status, HttpResponse.BodyHandlers.ofString()).body());
        int alive = 0;
        for (JsonNode w : json.path("workers")) {
          alive += w.path("state").asText().equals("ALIVE") ? 1 : 0;
        }
        return alive == 1;
      } catch (Exception e) {
        return false; // not listening yet
      }
    });
  }

  @AfterAll
  static void stopMasterAndWorker() {
    // The worker first (with any executor it still runs), then the master; each only if started.
    for (ClusterProcesses.Child c : new ClusterProcesses.Child[] {worker, master}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void submitRunsTheQuickstartOnAStandaloneCluster() throws Exception {
    Path out = dir.resolve("quickstart-standalone");
    List<String> command = new ArrayList<>(List.of("bash", ClusterProcesses.BASE.resolve("submit").toString(),
        "conf/quickstart.conf", "output.dir=" + out));
    command.addAll(OVERRIDES);
    command.addAll(List.of("--master", masterUrl,
        "--conf", "spark.executor.extraClassPath=" + ClusterProcesses.joined(ClusterProcesses.sparkClassPath()),
        "--conf", "spark.executorEnv.SPARK_SCALA_VERSION=2.13"));
    String log;
    try (ClusterProcesses.Child submit = ClusterProcesses.start("submit", dir, Map.of(), command)) {
      submit.assertSucceeds(Duration.ofMinutes(5));
      log = submit.logText();
    }
    assertTrue(log.contains("spark-ntk: outputs written to " + out), log);
    Manifest.verify(out);
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertEquals(masterUrl, metrics.path("spark").path("master").asText(), "the job ran on the standalone master");

    Path embedded = dir.resolve("quickstart-embedded");
    List<String> args = new ArrayList<>(OVERRIDES);
    args.add("output.dir=" + embedded);
    NtkJob.run(SparkTestSession.get(), JobConfig.load(ClusterProcesses.BASE.resolve("conf/quickstart.conf"), args));
    double[] rel = {
        ClusterJobs.assertSameNpy(embedded, out, "gram.npy"),
        ClusterJobs.assertSameNpy(embedded, out, "cross.npy"),
        ClusterJobs.assertSameCsv(embedded, out, "predictions_test.csv")};
    System.err.println("StandaloneSubmitIT: max relative differences gram, cross, test predictions: "
        + java.util.Arrays.toString(rel));
  }
}
