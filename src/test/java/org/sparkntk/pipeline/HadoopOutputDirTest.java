package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.TestHadoopFileSystem;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.JobOutputs;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.solver.NotConvergedException;

/**
 * The job with output.dir = {@code ntktest:///…} ({@link TestHadoopFileSystem}: Hadoop's raw local
 * file system under a scheme of its own and HDFS's rename rules, registered in the Spark session's
 * Hadoop configuration): every file goes through Hadoop's FileSystem API, the files equal those of
 * the same run into a local directory, and output.dir's contract (claim, lock, journal, manifest
 * last, resume from the checkpoint) holds there as it does locally.
 */
class HadoopOutputDirTest {
  static final String[] REGRESSION = {"solver.type=regression", "solver.ridge=1e-2", "solver.tol=1e-12",
      "solver.rank=20"};
  @TempDir
  static Path tmp;
  static Configuration hadoop;

  @BeforeAll
  static void files() throws IOException {
    DistributedBackendJobTest.dir = tmp;
    DistributedBackendJobTest.files();
    hadoop = TestHadoopFileSystem.register(SparkTestSession.get().sparkContext().hadoopConfiguration());
  }

  static Path local(String out) {
    return tmp.resolve(out);
  }

  /** The job into {@code out}: a local path, or with {@code remote} the same path as an ntktest:// URI. */
  static NtkRun run(String out, boolean remote, String... overrides) {
    List<String> settings = new ArrayList<>(List.of(overrides));
    settings.add("output.dir=" + (remote ? TestHadoopFileSystem.uri(local(out)) : local(out).toString()));
    return NtkJob.run(SparkTestSession.get(), JobConfig.load(DistributedBackendJobTest.conf, settings));
  }

  /** Every regular file under {@code root}, relative, with its bytes. */
  static Map<String, byte[]> tree(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  /** metrics.json without what differs between two runs of the same settings: times, memory, output.dir. */
  static JsonNode comparableMetrics(byte[] bytes) throws IOException {
    ObjectNode m = (ObjectNode) DistributedResumeTest.JSON.readTree(bytes);
    m.remove(List.of("finished", "secondsPerPhase", "driverPeakResidentBytes"));
    ((ObjectNode) m.path("settings")).remove("output.dir");
    return m;
  }

  /**
   * manifest.json's settings fingerprint and entries, metrics.json's (and, with {@code roundedPredictions},
   * the predictions') by path only.
   */
  static List<String> comparableManifest(byte[] bytes, boolean roundedPredictions) throws IOException {
    JsonNode m = DistributedResumeTest.JSON.readTree(bytes);
    List<String> entries = new ArrayList<>(List.of(m.path("settingsFingerprint").asText()));
    for (JsonNode e : m.path("files")) {
      String path = e.path("path").asText();
      boolean byPath = path.equals("metrics.json") || roundedPredictions && path.startsWith("predictions_");
      entries.add(byPath ? path : e.toString());
    }
    return entries;
  }

  /**
   * The same file names; the same bytes, but for metrics.json (times: compared without them),
   * manifest.json (compared without metrics.json's entry) and, where {@code predictionsRelative}
   * is above 0, the predictions (the distributed backend sums partial products in task-completion
   * order: compared to that relative tolerance).
   */
  static void assertSameFiles(Path expected, Path actual, double predictionsRelative) throws IOException {
    assertSameFiles(tree(expected), tree(actual), predictionsRelative);
  }

  /** {@link #assertSameFiles(Path, Path, double)} of two trees already read (one from HDFS: HdfsOutputDirTest). */
  static void assertSameFiles(Map<String, byte[]> a, Map<String, byte[]> b, double predictionsRelative)
      throws IOException {
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      if (name.equals("metrics.json") && predictionsRelative > 0) {
        assertSameShape(comparableMetrics(a.get(name)), comparableMetrics(b.get(name)), "metrics.json");
      } else if (name.equals("metrics.json")) {
        assertEquals(comparableMetrics(a.get(name)), comparableMetrics(b.get(name)));
      } else if (name.equals(Manifest.FILE)) {
        assertEquals(comparableManifest(a.get(name), predictionsRelative > 0),
            comparableManifest(b.get(name), predictionsRelative > 0));
      } else if (predictionsRelative > 0 && name.startsWith("predictions_")) {
        List<String> x = new String(a.get(name), StandardCharsets.UTF_8).lines().toList();
        List<String> y = new String(b.get(name), StandardCharsets.UTF_8).lines().toList();
        assertEquals(x.size(), y.size(), name);
        for (int i = 0; i < x.size(); i++) {
          String[] u = x.get(i).split(",");
          String[] v = y.get(i).split(",");
          assertEquals(u.length, v.length, name + " line " + i);
          for (int j = 0; j < u.length; j++) {
            if (i == 0 || u[j].equals("inf")) {
              assertEquals(u[j], v[j], name + " line " + i); // the header, t = inf
            } else {
              double p = Double.parseDouble(u[j]);
              double q = Double.parseDouble(v[j]);
              assertEquals(p, q, predictionsRelative * Math.max(1, Math.abs(p)), name + " line " + i);
            }
          }
        }
      } else {
        assertArrayEquals(a.get(name), b.get(name), name + " differs");
      }
    }
  }

  /** The same fields and the same values but for numbers, which the distributed solver's sums may round differently. */
  static void assertSameShape(JsonNode a, JsonNode b, String where) {
    assertEquals(a.getNodeType(), b.getNodeType(), where);
    if (a.isObject()) {
      assertEquals(iterate(a.fieldNames()), iterate(b.fieldNames()), where);
      a.fieldNames().forEachRemaining(f -> assertSameShape(a.get(f), b.get(f), where + "." + f));
    } else if (a.isArray()) {
      assertEquals(a.size(), b.size(), where);
      for (int i = 0; i < a.size(); i++) {
        assertSameShape(a.get(i), b.get(i), where + "[" + i + "]");
      }
    } else if (!a.isNumber()) {
      assertEquals(a, b, where);
    }
  }

  private static List<String> iterate(java.util.Iterator<String> names) {
    List<String> all = new ArrayList<>();
    names.forEachRemaining(all::add);
    return all;
  }

  /**
   * The driver backend with every output (Gram, cross kernel, spectrum, eigenvectors, model, and
   * the driver's Gram checkpoint on the way): the files of a local run, byte for byte, written
   * by Hadoop's create and rename; the manifest verifies through Hadoop.
   */
  @Test
  void theDriverBackendWritesTheFilesOfALocalRun() throws IOException {
    String[] job = DistributedBackendJobTest.concat(REGRESSION, "solver.backend=driver", "output.gram=true",
        "output.spectrum=true", "output.eigenvectors=2", "output.checkpoint=true");
    NtkRun localRun = run("driver-local", false, job);
    NtkRun remoteRun = run("driver-remote", true, job);
    assertEquals(local("driver-local"), localRun.outputDir());
    assertNull(remoteRun.outputDir());
    assertEquals(TestHadoopFileSystem.uri(local("driver-remote")), remoteRun.output());
    assertSameFiles(local("driver-local"), local("driver-remote"), 0);
    assertTrue(tree(local("driver-remote")).keySet().containsAll(List.of("gram.npy", "cross.npy", "spectrum.npy",
        "spectrum.csv", "spectrum.png", "eigenvectors.npy", "model/model.json", "predictions_test.csv",
        OutputFiles.JOURNAL)));
    List<String> ops = TestHadoopFileSystem.operations(local("driver-remote"));
    for (String op : List.of("create /.gram.npy.tmp", "rename /.gram.npy.tmp", "rename /.model.tmp",
        "create /checkpoint/training-gram/.0-0.npy.tmp", "append /checkpoint/training-gram/blocks.jsonl",
        "delete /checkpoint", "rename /.manifest.json.tmp", "create /.spark-ntk.lock", "delete /.spark-ntk.lock")) {
      assertTrue(ops.contains(op), op + " not in " + ops);
    }
    assertEquals(Manifest.verify(local("driver-local")).size(),
        Manifest.verify(TestHadoopFileSystem.uri(local("driver-remote")), hadoop).size());
  }

  /**
   * The distributed backend with output.gram = true and its checkpoint: the executors' block files
   * (gram/, cross/, index.json) and every other file as a local run writes them; the executors
   * wrote their blocks through the same scheme.
   */
  @Test
  void theDistributedBackendWritesTheFilesOfALocalRun() throws IOException {
    String[] job = DistributedBackendJobTest.concat(REGRESSION, "solver.backend=distributed", "output.gram=true",
        "output.checkpoint=true");
    run("dist-local", false, job);
    run("dist-remote", true, job);
    assertSameFiles(local("dist-local"), local("dist-remote"), 1e-8);
    assertEquals(DistributedResumeTest.GRAM_BLOCKS + 1,
        tree(local("dist-remote")).keySet().stream().filter(n -> n.startsWith("gram/")).count());
    List<String> ops = TestHadoopFileSystem.operations(local("dist-remote"));
    assertTrue(ops.stream().anyMatch(o -> o.startsWith("create /gram/.blocks.tmp/0-0.npy.")), ops.toString());
    assertTrue(ops.stream().anyMatch(o -> o.startsWith("create /checkpoint/training-gram/.blocks.tmp/")),
        ops.toString());
    assertTrue(ops.contains("rename /gram/.index.json.tmp"), ops.toString());
    assertFalse(Files.exists(local("dist-remote").resolve("checkpoint")));
    Manifest.verify(TestHadoopFileSystem.uri(local("dist-remote")), hadoop);
  }

  /**
   * output.dir's contract on the remote directory: a directory of the user's files is refused
   * before any work and keeps every byte; a second job is refused on the lock while one holds it;
   * a rerun into the directory spark-ntk wrote is accepted and leaves the user's file beside it.
   */
  @Test
  void theContractHoldsOnTheRemoteDirectory() throws IOException {
    Path foreign = Files.createDirectories(local("foreign"));
    Files.writeString(foreign.resolve("notes.txt"), "mine");
    ConfigException refused = assertThrows(ConfigException.class, () -> run("foreign", true,
        "solver.type=regression", "solver.ridge=1e-2"));
    assertTrue(refused.getMessage().contains("is not empty and no spark-ntk run wrote it")
        && refused.getMessage().contains("notes.txt"), refused.getMessage());
    assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));
    try (Stream<Path> list = Files.list(foreign)) {
      assertEquals(1, list.count(), "the refusal left a lock or a journal");
    }

    String[] job = {"solver.type=regression", "solver.ridge=1e-2", "solver.backend=driver"};
    JobConfig config = JobConfig.load(DistributedBackendJobTest.conf, List.of(
        "output.dir=" + TestHadoopFileSystem.uri(local("shared")), "solver.type=regression", "solver.ridge=1e-2"));
    try (OutputFiles holder = OutputFiles.claim(config, () -> hadoop, "metrics.json", JobOutputs.FILES)) {
      ConfigException locked = assertThrows(ConfigException.class, () -> run("shared", true, job));
      assertTrue(locked.getMessage().contains("is in use by another spark-ntk job: pid "
          + ProcessHandle.current().pid()), locked.getMessage());
      assertFalse(holder.isLocal());
    }
    run("shared", true, job);
    Files.writeString(local("shared").resolve("my-notes.txt"), "kept");
    run("shared", true, job);
    assertEquals("kept", Files.readString(local("shared").resolve("my-notes.txt")));
    List<Manifest.Entry> listed = Manifest.verify(TestHadoopFileSystem.uri(local("shared")), hadoop);
    assertTrue(listed.stream().noneMatch(e -> e.path().equals("my-notes.txt")), listed.toString());
  }

  /**
   * A distributed regression stopped by solver.maxIter (the checkpoint left as a killed driver
   * leaves it) is rerun into the same remote directory: no block of either kernel is computed, PCG
   * continues from the saved iterate, and the checkpoint is deleted after the manifest.
   */
  @Test
  void aStoppedDistributedRegressionResumesFromTheRemoteDirectory() throws IOException {
    String[] job = DistributedBackendJobTest.concat(REGRESSION, "solver.backend=distributed",
        "output.checkpoint=true");
    NotConvergedException stopped = assertThrows(NotConvergedException.class,
        () -> run("resume", true, DistributedBackendJobTest.concat(job, "solver.maxIter=4")));
    assertTrue(stopped.getMessage().contains("after 4 PCG iterations"), stopped.getMessage());
    Path dir = local("resume");
    assertFalse(Files.exists(dir.resolve(Manifest.FILE)));
    assertEquals(4, DistributedResumeTest.JSON.readTree(dir.resolve("checkpoint/pcg/pcg.json").toFile())
        .path("iteration").asInt());
    assertEquals(DistributedResumeTest.GRAM_BLOCKS, DistributedResumeTest.blockFiles(
        dir.resolve("checkpoint/training-gram")));

    NtkRun resumed = run("resume", true, job);
    JsonNode c = DistributedResumeTest.JSON.readTree(dir.resolve("metrics.json").toFile()).path("checkpoint");
    assertEquals(0, c.path("trainingGramBlocksComputed").asInt(-1), c.toString());
    assertEquals(DistributedResumeTest.GRAM_BLOCKS, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksComputed").asInt(-1), c.toString());
    assertEquals(4, c.path("pcgResumedFromIteration").asInt(), c.toString());
    assertFalse(Files.exists(dir.resolve("checkpoint")), "the checkpoint outlived the complete run");
    Manifest.verify(TestHadoopFileSystem.uri(dir), hadoop);
    NtkRun plain = run("resume-uninterrupted", false, job);
    DistributedBackendJobTest.assertSamePredictions(plain, resumed, 1e-8);
  }
}
