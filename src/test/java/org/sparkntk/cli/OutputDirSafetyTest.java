package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputLock;

/**
 * output.dir never loses what spark-ntk did not write (issue 18, defects 1, 7 and 8): a directory
 * that no run wrote is refused unless empty, files of the user's beside or inside a run's outputs
 * keep every byte whatever the job's outcome, links inside output.dir are never written through,
 * and a file or an unwritable path as output.dir is refused before any work.
 */
class OutputDirSafetyTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    conf = NtkMainTest.writeJob(dir, 3, 16, 5, "model.hidden = 4", "solver.steps = 5", "output.gram = true",
        "kernel.blockSize = 8");
  }

  /** Runs the CLI and returns (exit status, stderr, stdout). */
  private static Object[] run(String... args) {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Object[] result = NtkMainTest.run(args);
      return new Object[] {result[0], result[1], captured.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(out);
    }
  }

  private static Object[] job(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of(conf.toString(), "output.dir=" + out));
    args.addAll(Arrays.asList(more));
    return run(args.toArray(new String[0]));
  }

  /** Every path under {@code root} (links not followed) with its bytes, a link with its target. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          all.put(rel, "link to " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          all.put(rel, java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
        } else {
          all.put(rel, "directory");
        }
      }
    }
    return all;
  }

  private static Map<String, String> only(Map<String, String> all, List<String> prefixes) {
    Map<String, String> kept = new TreeMap<>(all);
    kept.keySet().removeIf(k -> prefixes.stream().noneMatch(k::startsWith));
    return kept;
  }

  private static void assertRefused(Object[] result, String... parts) {
    assertEquals(2, result[0], (String) result[1]);
    String message = (String) result[1];
    for (String part : parts) {
      assertTrue(message.contains(part), "the message should name '" + part + "': " + message);
    }
    assertEquals(1, message.lines().filter(l -> l.startsWith("spark-ntk: ") && !l.contains("BLAS")).count(),
        "one message: " + message);
  }

  /**
   * Defect 1: a directory holding the user's checkpoint/important.txt, checkpoint/mine/thesis.tex
   * and model/README and no journal or manifest was emptied of them (exit 0), with
   * output.checkpoint = false too. Now refused with status 2 naming what was found, whatever
   * output.checkpoint and output.overwrite say, and nothing in it changes (no journal or lock left).
   */
  @Test
  void aDirectoryNoRunWroteIsRefusedAndKeptByteForByte() throws IOException {
    Path out = dir.resolve("users-own");
    Files.createDirectories(out.resolve("checkpoint/mine"));
    Files.createDirectories(out.resolve("model"));
    Files.writeString(out.resolve("checkpoint/important.txt"), "important");
    Files.writeString(out.resolve("checkpoint/mine/thesis.tex"), "\\documentclass{article}");
    Files.writeString(out.resolve("model/README"), "my model");
    Map<String, String> before = snapshot(out);
    for (String[] settings : List.of(new String[0], new String[] {"output.checkpoint=false"},
        new String[] {"output.overwrite=true"})) {
      Object[] result = job(out, settings);
      assertRefused(result, "'" + out + "'", "checkpoint/", "model/", "no spark-ntk run wrote it");
      assertEquals(before, snapshot(out), "refused with " + Arrays.toString(settings) + ", yet the directory changed");
    }
  }

  /**
   * The user's files beside a run's outputs (notes.txt, data/x.csv, .hidden) keep every byte
   * whatever the job does: a rerun that succeeds (and whose closing line lists only its own files),
   * one refused for other settings, one whose solver fails (status 2) and one that fails while
   * writing (status 1).
   */
  @Test
  void unrelatedFilesKeepEveryByteWhateverTheOutcome() throws IOException {
    Path out = dir.resolve("beside");
    assertEquals(0, job(out)[0]);
    Files.writeString(out.resolve("notes.txt"), "my notes");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("data/x.csv"), "a,b\n1,2\n");
    Files.writeString(out.resolve(".hidden"), "hidden");
    List<String> users = List.of("notes.txt", "data", ".hidden");
    Map<String, String> mine = only(snapshot(out), users);
    assertEquals(4, mine.size(), mine.toString());

    Object[] success = job(out);
    assertEquals(0, success[0], (String) success[1]);
    assertEquals(mine, only(snapshot(out), users));
    String closing = ((String) success[2]).lines().filter(l -> l.contains("outputs written to")).findFirst()
        .orElseThrow();
    assertTrue(closing.endsWith(": cross.npy, gram.npy, manifest.json, metrics.json, model, predictions_test.csv, "
        + "predictions_train.csv"), closing);
    Manifest.verify(out);

    assertRefused(job(out, "model.seed=7"), "holds the complete results of a job with other settings");
    assertEquals(mine, only(snapshot(out), users));

    Object[] diverged = job(out, "solver.lr=1e9", "output.overwrite=true");
    assertEquals(2, diverged[0], (String) diverged[1]);
    assertEquals(mine, only(snapshot(out), users));

    Files.delete(out.resolve("gram.npy"));
    Files.createDirectories(out.resolve("gram.npy"));
    Files.writeString(out.resolve("gram.npy/obstacle"), "x");
    OutputDirTest.listAsSparkNtks(out, "gram.npy/", "gram.npy/obstacle");
    Object[] failed = job(out);
    assertEquals(1, failed[0], (String) failed[1]);
    assertEquals(mine, only(snapshot(out), users));
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "a failed job left its lock");
  }

  /**
   * A file of the user's put into a run's model/ or checkpoint/ is in the way of the next run,
   * which would replace those directories: refused with status 2 before any work, naming it
   * (also with output.overwrite = true, and for a random-features run, which deletes model/).
   */
  @Test
  void aFileOfTheUsersInsideARunsDirectoryIsKept() throws IOException {
    Path out = dir.resolve("inside");
    assertEquals(0, job(out)[0]);
    Files.writeString(out.resolve("model/README"), "what this model is");
    Files.createDirectories(out.resolve("checkpoint"));
    Files.writeString(out.resolve("checkpoint/important.txt"), "important");
    Map<String, String> before = snapshot(out);
    assertRefused(job(out), "model/README", "which no spark-ntk run wrote");
    assertRefused(job(out, "model.seed=7", "output.overwrite=true"), "model/README");
    assertRefused(job(out, "kernel.type=randomfeatures", "output.overwrite=true"), "model/README");
    assertEquals(before, snapshot(out));
    Files.delete(out.resolve("model/README"));
    assertRefused(job(out, "output.checkpoint=false", "output.overwrite=true"), "checkpoint/");
    assertEquals(before.get("checkpoint/important.txt"), snapshot(out).get("checkpoint/important.txt"));
  }

  /**
   * Defect 7: a planted checkpoint link sent the Gram blocks outside output.dir. In a directory no
   * run wrote the link makes it not empty; in a run's directory a link where a run writes
   * (checkpoint, gram.npy, or the temporary name of metrics.json) is refused with status 2 before
   * any work. Nothing is written through it.
   */
  @Test
  void linksInsideOutputDirAreNeverWrittenThrough() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("file"), "outside");
    Map<String, String> outsideBefore = snapshot(outside);
    Path fresh = Files.createDirectories(dir.resolve("only-a-link"));
    Files.createSymbolicLink(fresh.resolve(GramCheckpoint.DIR), outside);
    assertRefused(job(fresh), "it holds checkpoint (a symbolic link)");

    Path out = dir.resolve("links");
    assertEquals(0, job(out)[0]);
    Path checkpoint = Files.createSymbolicLink(out.resolve(GramCheckpoint.DIR), outside);
    assertRefused(job(out), "symbolic link checkpoint");
    Files.delete(checkpoint);
    Files.delete(out.resolve("gram.npy"));
    Files.createSymbolicLink(out.resolve("gram.npy"), outside.resolve("file"));
    assertRefused(job(out), "symbolic link gram.npy");
    Files.delete(out.resolve("gram.npy"));
    Files.createSymbolicLink(out.resolve(".metrics.json.tmp"), outside.resolve("file"));
    assertRefused(job(out), "symbolic link .metrics.json.tmp");
    assertEquals(outsideBefore, snapshot(outside), "something was written outside output.dir");
    assertTrue(Files.isSymbolicLink(out.resolve(".metrics.json.tmp")), "the user's link itself was removed");
  }

  /**
   * Defect 8: output.dir that is a regular file failed with a stack trace (status 1), and one that
   * cannot be written only after the data and f_0 were computed. Both are now refused with status 2
   * by the checks the CLI runs before Spark starts.
   */
  @Test
  void aFileOrAnUncreatableOutputDirIsRefusedBeforeAnyWork() throws IOException {
    Path file = dir.resolve("a-file");
    Files.writeString(file, "not a directory");
    assertRefused(job(file), "output.dir = '" + file + "' is a file, not a directory");
    assertEquals("not a directory", Files.readString(file));
    ConfigException before = assertThrows(ConfigException.class, () -> NtkMain.checkFileJob(
        JobConfig.load(conf, List.of("output.dir=" + file.resolve("sub")))));
    assertTrue(before.getMessage().contains("cannot be created: " + file + " is a file"), before.getMessage());
    assertRefused(job(file.resolve("sub")), "cannot be created");
  }

  /**
   * An output.dir the process may not write (mode 555) is refused with status 2 before Spark
   * starts. Root may write anywhere, so for root this case is skipped; the next test covers it.
   */
  @Test
  void anUnwritableOutputDirIsRefusedBeforeAnyWork() throws IOException {
    Path out = Files.createDirectories(dir.resolve("read-only"));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(out), "this process may write a mode-555 directory (root)");
      ConfigException e = assertThrows(ConfigException.class, () -> NtkMain.checkFileJob(
          JobConfig.load(conf, List.of("output.dir=" + out))));
      assertTrue(e.getMessage().contains("is not writable"), e.getMessage());
      assertRefused(job(out), "is not writable");
    } finally {
      Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  /**
   * A directory that cannot be created even by root (sysfs refuses new entries) is refused with
   * status 2 when output.dir is claimed, before the data are read; it used to fail after f_0.
   */
  @Test
  void anOutputDirThatCannotBeCreatedIsRefusedBeforeTheData() {
    Path sys = Path.of("/sys");
    assumeTrue(Files.isDirectory(sys) && !Files.exists(sys.resolve("spark-ntk-test")), "needs Linux sysfs");
    Object[] result = job(sys.resolve("spark-ntk-test"));
    assertEquals(2, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("output.dir = '/sys/spark-ntk-test' cannot be created"),
        (String) result[1]);
  }
}
