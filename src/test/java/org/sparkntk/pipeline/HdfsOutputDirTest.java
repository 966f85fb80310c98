package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.solver.NotConvergedException;

/**
 * The job with output.dir = {@code hdfs://…} on a real HDFS: a MiniDFSCluster (a namenode and one
 * datanode in this JVM). {@link HadoopOutputDirTest} runs the same contract on a simulation of
 * HDFS's rules over the local disk; only HDFS itself has what the simulation leaves out: a file
 * that is complete only once its writer's lease is released on close (after the namenode has the
 * datanode's report of the last block), appends that reopen the last block of a closed file
 * through the datanode pipeline, renames and deletes in the namenode's namespace, and block files
 * written by Spark's tasks through their own DFS client. Every file is read back through HDFS.
 */
class HdfsOutputDirTest {
  /**
   * A regression like HadoopOutputDirTest's, smaller so that the class takes under a minute (each
   * HDFS file costs namenode round trips, each PCG iteration a Spark job): 53 training rows in 3
   * row blocks (6 Gram blocks), 17 test rows in 1 (3 cross-kernel blocks), 8 PCG iterations.
   */
  private static final String[] JOB = {"solver.type=regression", "solver.ridge=1e-1", "solver.tol=1e-6",
      "solver.rank=30", "kernel.blockSize=18", "solver.backend=distributed", "output.gram=true",
      "output.checkpoint=true"};
  private static final int GRAM_BLOCKS = 6;
  /** Settings of Spark's Hadoop configuration this class changes (see start), as they were, to restore. */
  private static final Map<String, String> SPARK_BEFORE = new HashMap<>();
  @TempDir
  static Path tmp;
  static MiniDFSCluster cluster;
  /** {@code hdfs://localhost:<port>}. */
  static String root;
  /** The test's own client (for reads, and a user's file): not the cached one the job opens. */
  static FileSystem hdfs;
  static Map<String, byte[]> localFiles;
  static NtkRun localRun;

  @BeforeAll
  static void start() throws IOException {
    DistributedBackendJobTest.dir = tmp;
    DistributedBackendJobTest.files();
    // The namenode's metadata and the datanode's blocks under the test's directory, not under
    // ./target/test/data (MiniDFSCluster's default), so nothing outlives the class.
    cluster = new MiniDFSCluster.Builder(new Configuration(), tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
    cluster.waitActive();
    root = "hdfs://localhost:" + cluster.getNameNodePort();
    // The job opens HDFS through FileSystem's cache, keyed by scheme, authority and user, not by
    // configuration: a client the test put there first (cluster.getFileSystem() does) would be the
    // one the job gets, with the cluster's configuration instead of Spark's. The test's own is a
    // new instance, outside the cache.
    hdfs = FileSystem.newInstance(URI.create(root), cluster.getConfiguration(0));

    Configuration spark = sparkHadoop();
    // A client writes files of dfs.replication (3 unless configured). An append to a file of more
    // replicas than there are datanodes fails on HDFS ("Failed to replace a bad datanode on the
    // existing pipeline"), so the clients of a one-datanode cluster are configured with 1, as its
    // hdfs-site.xml would configure Spark's.
    set(spark, "dfs.replication", "1");
    // A close asks the namenode to complete the file until the datanode has reported the last
    // block, waiting 400 ms, then twice as long, …, between asks; here the report comes within
    // milliseconds, yet nearly every close waited the first 400 ms (5 small files: 1.8 s; 0.3 s
    // from 20 ms). The waits start at 20 ms, and are more (20 ms × (2^10 − 1) ≈ 20 s in all, as
    // against 400 ms × (2^5 − 1) ≈ 12 s), so that a loaded machine does not fail a close.
    set(spark, "dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
    set(spark, "dfs.client.block.write.locateFollowingBlock.retries", "10");

    localRun = run(tmp.resolve("local").toString(), JOB);
    localFiles = HadoopOutputDirTest.tree(tmp.resolve("local"));
  }

  private static void set(Configuration conf, String key, String value) {
    SPARK_BEFORE.put(key, conf.get(key));
    conf.set(key, value);
  }

  @AfterAll
  static void stop() throws IOException {
    Configuration spark = sparkHadoop();
    SPARK_BEFORE.forEach((key, value) -> {
      if (value == null) {
        spark.unset(key);
      } else {
        spark.set(key, value);
      }
    });
    if (cluster != null) {
      // The job's cached client outlives the cluster otherwise (closing removes it from the cache).
      FileSystem.get(URI.create(root), spark).close();
      hdfs.close();
      cluster.shutdown();
    }
  }

  private static Configuration sparkHadoop() {
    return SparkTestSession.get().sparkContext().hadoopConfiguration();
  }

  private static String uri(String out) {
    return root + "/" + out;
  }

  private static NtkRun run(String outputDir, String... overrides) {
    List<String> settings = new ArrayList<>(List.of(overrides));
    settings.add("output.dir=" + outputDir);
    return NtkJob.run(SparkTestSession.get(), JobConfig.load(DistributedBackendJobTest.conf, settings));
  }

  /** Every file under {@code /<out>} on HDFS, relative, with its bytes as HDFS serves them. */
  private static Map<String, byte[]> hdfsTree(String out) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path("/" + out);
    String prefix = "/" + out + "/";
    Map<String, byte[]> files = new TreeMap<>();
    RemoteIterator<LocatedFileStatus> it = hdfs.listFiles(dir, true);
    while (it.hasNext()) {
      org.apache.hadoop.fs.Path p = it.next().getPath();
      try (InputStream in = hdfs.open(p)) {
        files.put(p.toUri().getPath().substring(prefix.length()), in.readAllBytes());
      }
    }
    return files;
  }

  private static boolean exists(String path) throws IOException {
    return hdfs.exists(new org.apache.hadoop.fs.Path(path));
  }

  private static long gramBlocks(Map<String, byte[]> files, String dir) {
    return files.keySet().stream().filter(n -> n.matches(dir + "/\\d+-\\d+\\.npy")).count();
  }

  /**
   * The distributed backend with output.gram = true and its checkpoint: the executors' Gram block
   * files and index.json, the journal (appended to as the run goes), the manifest and every other
   * file as the local run writes them. Then the same job into the same directory, which replaces
   * the first run's files and directories; on HDFS a rename never replaces a file and moves a
   * directory into an existing one, so each old one is deleted and the new one renamed into its
   * place. The files are those of the local run again.
   */
  @Test
  void theDistributedBackendWritesTheFilesOfALocalRunAndReplacesThem() throws IOException {
    run(uri("dist"), JOB);
    Map<String, byte[]> remote = hdfsTree("dist");
    HadoopOutputDirTest.assertSameFiles(localFiles, remote, 1e-8);
    assertEquals(GRAM_BLOCKS, gramBlocks(remote, "gram"), remote.keySet().toString());
    assertTrue(remote.containsKey("gram/index.json") && remote.containsKey(OutputFiles.JOURNAL),
        remote.keySet().toString());
    assertFalse(exists("/dist/checkpoint"), "the checkpoint outlived the complete run");
    assertFalse(exists("/dist/gram/.blocks.tmp"), "the executors' temporary directory was left behind");
    List<Manifest.Entry> listed = Manifest.verify(uri("dist"), sparkHadoop());
    assertEquals(GRAM_BLOCKS, listed.stream().filter(e -> e.path().matches("gram/\\d+-\\d+\\.npy")).count());

    run(uri("dist"), JOB);
    HadoopOutputDirTest.assertSameFiles(localFiles, hdfsTree("dist"), 1e-8);
    Manifest.verify(uri("dist"), sparkHadoop());
  }

  /**
   * A distributed regression stopped by solver.maxIter (the checkpoint left as a killed driver
   * leaves it) is rerun into the same HDFS directory: no block is computed again, PCG continues
   * from the saved iterate, the checkpoint is deleted after the manifest, and the files are those
   * of the uninterrupted local run. The rerun reads what the first renamed into place and appended
   * to, there only if each of its streams was closed (its lease released) before it stopped.
   */
  @Test
  void aStoppedDistributedRegressionResumesFromTheHdfsDirectory() throws IOException {
    NotConvergedException stopped = assertThrows(NotConvergedException.class,
        () -> run(uri("resume"), DistributedBackendJobTest.concat(JOB, "solver.maxIter=4")));
    assertTrue(stopped.getMessage().contains("after 4 PCG iterations"), stopped.getMessage());
    assertFalse(exists("/resume/" + Manifest.FILE));
    Map<String, byte[]> left = hdfsTree("resume");
    assertEquals(4, DistributedResumeTest.JSON.readTree(left.get("checkpoint/pcg/pcg.json"))
        .path("iteration").asInt());
    assertEquals(GRAM_BLOCKS, gramBlocks(left, "checkpoint/training-gram"), left.keySet().toString());

    NtkRun resumed = run(uri("resume"), JOB);
    Map<String, byte[]> remote = hdfsTree("resume");
    JsonNode c = DistributedResumeTest.JSON.readTree(remote.get("metrics.json")).path("checkpoint");
    assertEquals(0, c.path("trainingGramBlocksComputed").asInt(-1), c.toString());
    assertEquals(GRAM_BLOCKS, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksComputed").asInt(-1), c.toString());
    assertEquals(4, c.path("pcgResumedFromIteration").asInt(), c.toString());
    assertFalse(exists("/resume/checkpoint"), "the checkpoint outlived the complete run");
    // Of the uninterrupted run's files, metrics.json records what was resumed (checked above), and
    // PCG resumed at iteration 4 stops at another iterate within solver.tol: its predictions
    // agree to about solver.tol per entry, not to the last bits.
    Map<String, byte[]> uninterrupted = new TreeMap<>(localFiles);
    uninterrupted.remove("metrics.json");
    remote.remove("metrics.json");
    HadoopOutputDirTest.assertSameFiles(uninterrupted, remote, 1e-4);
    Manifest.verify(uri("resume"), sparkHadoop());
    DistributedBackendJobTest.assertSamePredictions(localRun, resumed, 1e-4);
  }

  /**
   * An output.dir below a user's HDFS file cannot be created and is refused before any work, as a
   * local one is (OutputDirSafetyTest), by a message that names output.dir and the file in the
   * way; the file keeps its bytes and nothing appears beside it.
   */
  @Test
  void anOutputDirBelowAFileIsRefused() throws IOException {
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path("/a-file");
    try (FSDataOutputStream out = hdfs.create(file)) {
      out.write("not a directory".getBytes(StandardCharsets.UTF_8));
    }
    ConfigException refused = assertThrows(ConfigException.class, () -> run(uri("a-file/sub"), JOB));
    String refusal = "output.dir = '" + uri("a-file/sub") + "' cannot be created";
    // HDFS's own reason follows (ParentNotDirectoryException: /a-file (is not a directory)).
    assertTrue(refused.getMessage().startsWith(refusal)
        && refused.getMessage().substring(refusal.length()).contains("/a-file"), refused.getMessage());
    try (InputStream in = hdfs.open(file)) {
      assertEquals("not a directory", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertEquals(List.of("/a-file"), Arrays.stream(hdfs.listStatus(new org.apache.hadoop.fs.Path("/")))
        .map(s -> s.getPath().toUri().getPath()).filter(p -> p.startsWith("/a-file")).toList());
  }
}
