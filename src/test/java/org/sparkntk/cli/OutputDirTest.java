package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;

/** output.dir through the CLI: manifest.json written last, interrupted and foreign runs. */
class OutputDirTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    conf = NtkMainTest.writeJob(dir, 2, 16, 5, "model.hidden = 4", "solver.steps = 5", "output.gram = true");
  }

  /** A complete run's manifest lists every file it wrote, metrics.json included, and verifies. */
  @Test
  void aCompleteRunVerifies() throws IOException {
    Path out = dir.resolve("complete");
    Object[] result = NtkMainTest.run(conf.toString(), "output.dir=" + out, "output.spectrum=true",
        "data.test=" + dir.resolve("test.csv"));
    assertEquals(0, result[0], (String) result[1]);
    List<String> listed = Manifest.verify(out).stream().map(Manifest.Entry::path).toList();
    assertEquals(List.of("model/W0.npy", "model/W1.npy", "model/b0.npy", "model/b1.npy", "model/model.json",
        "predictions_train.csv", "predictions_test.csv", "spectrum.npy", "spectrum.csv", "spectrum.png",
        "gram.npy", "cross.npy", "metrics.json"), listed);
  }

  /**
   * A write that fails half way (gram.npy cannot replace a non-empty directory of that name, a
   * stand-in for a full disk or a kill) fails the run with status 1 and leaves neither the old
   * manifest nor metrics.json behind. The obstacle is listed in the journal as spark-ntk's, as a
   * leftover of an earlier run would be: a file of the user's there is refused before any work.
   */
  @Test
  void aRunThatFailsWhileWritingLeavesNoManifest() throws IOException {
    Path out = dir.resolve("crash");
    assertEquals(0, NtkMainTest.run(conf.toString(), "output.dir=" + out)[0]);
    Files.delete(out.resolve("gram.npy"));
    Files.createDirectories(out.resolve("gram.npy"));
    Files.writeString(out.resolve("gram.npy/obstacle"), "x");
    listAsSparkNtks(out, "gram.npy/", "gram.npy/obstacle");
    Object[] result = NtkMainTest.run(conf.toString(), "output.dir=" + out);
    assertEquals(1, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("gram.npy"), (String) result[1]);
    assertFalse(Files.exists(out.resolve(Manifest.FILE)), "an interrupted run left a manifest");
    assertFalse(Files.exists(out.resolve("metrics.json")));
    assertTrue(Files.exists(out.resolve("predictions_train.csv")), "the failure came after the first files");
    assertThrows(IOException.class, () -> Manifest.verify(out));
  }

  /** Appends {@code paths} to output.dir's journal, as if a spark-ntk run had created them. */
  static void listAsSparkNtks(Path out, String... paths) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (String p : paths) {
      lines.append("{\"path\":\"").append(p).append("\"}\n");
    }
    Files.writeString(out.resolve(OutputFiles.JOURNAL), lines, java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * The rule for a directory that holds results: the same settings may rerun into it; other
   * settings are refused with status 2 and the old results stay complete; output.overwrite = true
   * replaces them.
   */
  @Test
  void anotherJobsResultsAreRefusedUnlessOverwriteIsSet() throws IOException {
    Path out = dir.resolve("foreign");
    assertEquals(0, NtkMainTest.run(conf.toString(), "output.dir=" + out)[0]);
    String first = Manifest.settingsFingerprint(out);
    Object[] same = NtkMainTest.run(conf.toString(), "output.dir=" + out, "spark.sql.shuffle.partitions=4");
    assertEquals(0, same[0], "a rerun of the same job (spark.* do not count): " + same[1]);

    Object[] other = NtkMainTest.run(conf.toString(), "output.dir=" + out, "model.seed=7");
    assertEquals(2, other[0], (String) other[1]);
    String message = (String) other[1];
    assertTrue(message.contains("holds the complete results of a job with other settings")
        && message.contains(first) && message.contains("output.overwrite = true"), message);
    assertEquals(first, Manifest.settingsFingerprint(out));
    Manifest.verify(out); // untouched

    Object[] overwrite = NtkMainTest.run(conf.toString(), "output.dir=" + out, "model.seed=7",
        "output.overwrite=true");
    assertEquals(0, overwrite[0], (String) overwrite[1]);
    assertFalse(first.equals(Manifest.settingsFingerprint(out)));
    Manifest.verify(out);
  }

  /**
   * model.load of a job's model/ trusts only what that run's manifest lists: a tensor changed
   * after the run (same size) or a file added to model/ is refused with status 2 naming it; the
   * untouched model loads.
   */
  @Test
  void aSavedModelIsCheckedAgainstItsRunsManifest() throws IOException {
    Path run = dir.resolve("model-source");
    assertEquals(0, NtkMainTest.run(conf.toString(), "output.dir=" + run)[0]);
    Path model = run.resolve("model");
    Object[] fine = NtkMainTest.run(conf.toString(), "output.dir=" + dir.resolve("model-fine"),
        "model.load=" + model);
    assertEquals(0, fine[0], (String) fine[1]);

    byte[] w0 = Files.readAllBytes(model.resolve("W0.npy"));
    byte[] changed = w0.clone();
    changed[changed.length - 1] ^= 1;
    Files.write(model.resolve("W0.npy"), changed);
    Object[] result = NtkMainTest.run(conf.toString(), "output.dir=" + dir.resolve("model-changed"),
        "model.load=" + model);
    assertEquals(2, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("model/W0.npy has SHA-256"), (String) result[1]);
    assertTrue(((String) result[1]).contains("changed after the run"), (String) result[1]);

    Files.write(model.resolve("W0.npy"), w0);
    Files.writeString(model.resolve("W9.npy"), "not from the run");
    result = NtkMainTest.run(conf.toString(), "output.dir=" + dir.resolve("model-extra"), "model.load=" + model);
    assertEquals(2, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("model/W9.npy is not listed in"), (String) result[1]);
  }
}
