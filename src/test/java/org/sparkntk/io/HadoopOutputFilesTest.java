package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.TestHadoopFileSystem;
import org.sparkntk.config.ConfigException;

/**
 * OutputFiles on an output.dir given as a URI of a scheme other than file ({@link TestHadoopFileSystem},
 * Hadoop's raw local file system under HDFS's rename rules): the same files as a local run, and
 * the same contract (claim, lock, journal, manifest last), all through Hadoop's FileSystem API.
 */
class HadoopOutputFilesTest {
  static final List<String> NAMES = List.of("gram.npy", "predictions_train.csv", "model", GramCheckpoint.DIR);
  @TempDir
  Path dir;
  final Configuration conf = TestHadoopFileSystem.register(new Configuration());

  @AfterEach
  void appendBack() {
    TestHadoopFileSystem.appendSupported = true;
  }

  private OutputFiles claim(String out, String fingerprint) {
    return OutputFiles.claim(OutputStore.of(out, () -> conf), fingerprint, false, "metrics.json", NAMES);
  }

  /** One run's files: outputs, a directory written whole, a checkpoint work file appended to, the manifest. */
  private static void writeARun(OutputFiles out, String version) throws IOException {
    out.write("gram.npy", f -> Npy.write(f, new double[] {1, 2, 3, 4}, 2, 2));
    out.write("predictions_train.csv", f -> Files.writeString(f, "row,t,prediction\n0,0," + version + "\n"));
    out.writeDirectory("model", d -> {
      Files.createDirectories(d.resolve("sub"));
      Files.writeString(d.resolve("model.json"), "{\"v\":\"" + version + "\"}");
      Files.writeString(d.resolve("sub/W0.npy"), "w");
    });
    out.appendWorkFile("checkpoint/training-gram/blocks.jsonl", "{\"row\":0}\n".getBytes(StandardCharsets.UTF_8));
    out.appendWorkFile("checkpoint/training-gram/blocks.jsonl", "{\"row\":1}\n".getBytes(StandardCharsets.UTF_8));
    out.write("metrics.json", f -> Files.writeString(f, "{\"version\":\"" + version + "\"}"));
    out.finish();
  }

  /** Every regular file under {@code root}, relative, with its bytes. */
  static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString(), new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return files;
  }

  /**
   * The same calls write the same files, byte for byte (manifest and journal included), to a
   * local directory and through Hadoop; the Hadoop run's manifest was created by Hadoop's create
   * and rename, and nothing went to a relative local path named after the URI.
   */
  @Test
  void aRunThroughHadoopWritesWhatALocalRunWrites() throws IOException {
    Path local = dir.resolve("local");
    Path remote = dir.resolve("remote");
    try (OutputFiles out = claim(local.toString(), "settings")) {
      assertTrue(out.isLocal());
      writeARun(out, "1");
    }
    try (OutputFiles out = claim(TestHadoopFileSystem.uri(remote), "settings")) {
      assertFalse(out.isLocal());
      assertThrows(IllegalStateException.class, out::dir);
      assertEquals(TestHadoopFileSystem.uri(remote), out.location());
      writeARun(out, "1");
    }
    assertEquals(tree(local), tree(remote));
    assertTrue(tree(remote).containsKey(Manifest.FILE) && tree(remote).containsKey(OutputFiles.JOURNAL));
    List<String> ops = TestHadoopFileSystem.operations(remote);
    assertTrue(ops.contains("create /.spark-ntk.lock"), ops.toString());
    assertTrue(ops.contains("create /.manifest.json.tmp") && ops.contains("rename /.manifest.json.tmp"), ops.toString());
    assertTrue(ops.contains("rename /.model.tmp"), ops.toString());
    assertTrue(ops.contains("append /.spark-ntk.journal"), ops.toString());
    assertTrue(ops.contains("delete /.spark-ntk.lock"), ops.toString());
    assertFalse(Files.exists(Path.of(TestHadoopFileSystem.SCHEME + ":")), "a java.nio path was made of the URI");

    List<Manifest.Entry> listed = Manifest.verify(TestHadoopFileSystem.uri(remote), conf);
    assertEquals(Manifest.verify(local), listed);

    // A rerun with other contents replaces exactly the listed files, through Hadoop's rename, which never replaces.
    Files.writeString(remote.resolve("notes.txt"), "mine");
    try (OutputFiles out = claim(TestHadoopFileSystem.uri(remote), "settings")) {
      assertFalse(Files.exists(remote.resolve(Manifest.FILE)), "the old manifest outlived the claim");
      writeARun(out, "2");
    }
    assertEquals("mine", Files.readString(remote.resolve("notes.txt")));
    assertEquals("{\"v\":\"2\"}", Files.readString(remote.resolve("model/model.json")));
    assertEquals(5, Manifest.verify(TestHadoopFileSystem.uri(remote), conf).size());
  }

  /** A directory no spark-ntk run wrote is refused, naming what it holds, and keeps every byte. */
  @Test
  void aForeignFileIsRefusedAndKept() throws IOException {
    Path remote = Files.createDirectories(dir.resolve("foreign"));
    Files.writeString(remote.resolve("thesis.tex"), "\\documentclass{article}");
    ConfigException e = assertThrows(ConfigException.class, () -> claim(TestHadoopFileSystem.uri(remote), "s"));
    assertTrue(e.getMessage().contains("is not empty and no spark-ntk run wrote it") && e.getMessage()
        .contains("it holds thesis.tex"), e.getMessage());
    assertTrue(e.getMessage().startsWith("output.dir = '" + TestHadoopFileSystem.uri(remote) + "'"), e.getMessage());
    assertEquals(Map.of("thesis.tex", "\\documentclass{article}"), tree(remote));

    // In a directory spark-ntk wrote, a file of the user's where the run writes is refused before anything.
    Path run = dir.resolve("run");
    try (OutputFiles out = claim(TestHadoopFileSystem.uri(run), "s")) {
      writeARun(out, "1");
    }
    Files.writeString(run.resolve("model/README"), "my notes");
    Map<String, String> before = tree(run);
    ConfigException inside = assertThrows(ConfigException.class, () -> claim(TestHadoopFileSystem.uri(run), "s"));
    assertTrue(inside.getMessage().contains("holds model/README, which no spark-ntk run wrote"), inside.getMessage());
    assertEquals(before, tree(run));
  }

  /** One job per output.dir: a second claim fails on the lock; a stale lock of this host is reclaimed, another host's never. */
  @Test
  void aSecondClaimFailsOnTheLock() throws Exception {
    Path remote = dir.resolve("locked");
    String uri = TestHadoopFileSystem.uri(remote);
    try (OutputFiles first = claim(uri, "s")) {
      ConfigException e = assertThrows(ConfigException.class, () -> claim(uri, "s"));
      assertTrue(e.getMessage().contains("is in use by another spark-ntk job: pid " + ProcessHandle.current().pid()),
          e.getMessage());
      first.write("gram.npy", f -> Files.writeString(f, "x"));
    }
    assertFalse(Files.exists(remote.resolve(OutputLock.FILE)));
    try (OutputFiles again = claim(uri, "s")) {
      assertNotNull(again);
    }

    OutputLock.Owner gone = new OutputLock.Owner(OutputLock.hostName(), exitedPid(), Instant.EPOCH, Instant.now());
    Files.write(remote.resolve(OutputLock.FILE), gone.toJson());
    try (OutputLock lock = OutputLock.acquire(OutputStore.of(uri, () -> conf))) {
      assertEquals(gone, lock.reclaimedFrom());
    }
    assertFalse(Files.exists(remote.resolve(OutputLock.FILE)));

    OutputLock.Owner other = new OutputLock.Owner("another-host.example", exitedPid(), Instant.EPOCH, Instant.now());
    Files.write(remote.resolve(OutputLock.FILE), other.toJson());
    ConfigException e = assertThrows(ConfigException.class, () -> claim(uri, "s"));
    assertTrue(e.getMessage().contains("on host another-host.example"), e.getMessage());
    assertEquals(new String(other.toJson(), StandardCharsets.UTF_8), Files.readString(remote.resolve(OutputLock.FILE)));
  }

  /**
   * A run killed after writing some files (no finish, no release: its lock stays, held by a process
   * that no longer runs) leaves no manifest, so the previous complete run does not look complete
   * either; the next run reclaims the lock, replaces the listed files and completes.
   */
  @Test
  void aKilledRunLeavesNoManifest() throws Exception {
    Path remote = dir.resolve("killed");
    String uri = TestHadoopFileSystem.uri(remote);
    try (OutputFiles out = claim(uri, "s")) {
      writeARun(out, "1");
    }
    OutputFiles killed = claim(uri, "s");
    killed.write("gram.npy", f -> Npy.write(f, new double[] {9}, 1));
    // The kill: the process is gone with its lock in place (here: a lock of a process that has exited).
    Files.write(remote.resolve(OutputLock.FILE),
        new OutputLock.Owner(OutputLock.hostName(), exitedPid(), Instant.EPOCH, Instant.now()).toJson());
    assertFalse(Files.exists(remote.resolve(Manifest.FILE)));
    assertFalse(Files.exists(remote.resolve("metrics.json")));
    assertThrows(IOException.class, () -> Manifest.verify(TestHadoopFileSystem.uri(remote), conf));
    assertTrue(Files.readString(remote.resolve(OutputFiles.JOURNAL)).contains("{\"path\":\"gram.npy\"}"));

    try (OutputFiles rerun = claim(uri, "s")) {
      writeARun(rerun, "3");
    }
    assertEquals(5, Manifest.verify(uri, conf).size());
    assertFalse(Files.exists(remote.resolve(OutputLock.FILE)));
  }

  /**
   * Without append (S3A), every journal entry rewrites the journal through a temporary copy and a
   * rename; a run killed between deleting the old journal and renaming the copy left only the
   * copy, which the next run reads as the journal: the directory stays spark-ntk's.
   */
  @Test
  void withoutAppendTheJournalIsRewrittenAndACopyLeftByAKillIsRead() throws IOException {
    Path local = dir.resolve("local");
    Path remote = dir.resolve("s3like");
    String uri = TestHadoopFileSystem.uri(remote);
    try (OutputFiles out = claim(local.toString(), "settings")) {
      writeARun(out, "1");
    }
    TestHadoopFileSystem.appendSupported = false;
    try (OutputFiles out = claim(uri, "settings")) {
      writeARun(out, "1");
    }
    assertEquals(tree(local), tree(remote));
    assertTrue(TestHadoopFileSystem.operations(remote).contains("rename /..spark-ntk.journal.tmp"));

    Files.move(remote.resolve(OutputFiles.JOURNAL), remote.resolve("..spark-ntk.journal.tmp"));
    Files.delete(remote.resolve(Manifest.FILE)); // and no manifest: only the copy says the files are spark-ntk's
    try (OutputFiles out = claim(uri, "settings")) {
      writeARun(out, "2");
    }
    assertEquals(5, Manifest.verify(uri, conf).size());
    assertFalse(Files.exists(remote.resolve("..spark-ntk.journal.tmp")));

    // The copy is trusted only when the journal is missing and it is a journal.
    Path foreign = Files.createDirectories(dir.resolve("foreign"));
    Files.writeString(foreign.resolve("..spark-ntk.journal.tmp"), "not a journal");
    assertThrows(ConfigException.class, () -> claim(TestHadoopFileSystem.uri(foreign), "s"));
    assertEquals("not a journal", Files.readString(foreign.resolve("..spark-ntk.journal.tmp")));
  }

  /** A directory where a file goes is never replaced (Hadoop's rename would move the file into it). */
  @Test
  void aDirectoryWhereAFileGoesIsNotReplaced() throws IOException {
    Path remote = dir.resolve("blocked");
    String uri = TestHadoopFileSystem.uri(remote);
    try (OutputFiles out = claim(uri, "s")) {
      out.writeWorkFile("checkpoint/x/0-0.npy", f -> Files.writeString(f, "block"));
    }
    try (OutputFiles out = claim(uri, "s")) {
      // checkpoint/x is spark-ntk's directory; writing a file named checkpoint/x must fail, naming it
      IOException e = assertThrows(IOException.class, () -> out.writeWorkFile("checkpoint/x",
          f -> Files.writeString(f, "file")));
      assertTrue(e.getMessage().contains("checkpoint/x is a directory"), e.getMessage());
    }
    assertEquals("block", Files.readString(remote.resolve("checkpoint/x/0-0.npy")));
    List<String> left = new ArrayList<>(tree(remote).keySet());
    assertEquals(List.of(OutputFiles.JOURNAL, "checkpoint/x/0-0.npy"), left);
  }

  /** A process that has exited: its pid runs nothing (or, reused, a process that started later). */
  static long exitedPid() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.waitFor();
    return p.pid();
  }
}
