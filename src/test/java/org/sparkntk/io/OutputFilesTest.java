package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.config.ConfigException;

/** The journal of OutputFiles: written ahead of every file, and what it makes spark-ntk's. */
class OutputFilesTest {
  @TempDir
  Path dir;

  private static OutputFiles claim(Path out) {
    return OutputFiles.claim(out, "settings", false, "metrics.json", List.of("gram.npy", GramCheckpoint.DIR));
  }

  private static List<String> journal(Path out) throws IOException {
    return Files.readAllLines(out.resolve(OutputFiles.JOURNAL));
  }

  /** Each path, and each directory made for it, is in the journal by the time the file exists. */
  @Test
  void everyFileIsListedBeforeItExists() throws IOException {
    Path out = dir.resolve("out");
    try (OutputFiles files = claim(out)) {
      files.writeWorkFile("checkpoint/training-gram/0-0.npy", f -> {
        assertEquals(List.of("{\"format\":\"spark-ntk-journal\",\"version\":1}", "{\"path\":\"checkpoint/\"}",
            "{\"path\":\"checkpoint/training-gram/\"}", "{\"path\":\"checkpoint/training-gram/0-0.npy\"}"),
            journal(out), "listed before the writer runs");
        Files.writeString(f, "block");
      });
    }
    assertTrue(journal(out).contains("{\"path\":\"checkpoint/training-gram/0-0.npy\"}"));
  }

  /**
   * What a run killed while writing leaves (a listed file's temporary sibling) is spark-ntk's and
   * does not stop the next run; the same file not listed is the user's and does.
   */
  @Test
  void aKilledRunsTemporaryFileIsItsOwnAndAnUnlistedOneIsNot() throws IOException {
    Path out = dir.resolve("killed");
    try (OutputFiles files = claim(out)) {
      files.write("gram.npy", f -> Files.writeString(f, "v1"));
    }
    Files.writeString(out.resolve(".gram.npy.tmp"), "half");
    try (OutputFiles files = claim(out)) {
      files.write("gram.npy", f -> Files.writeString(f, "v2"));
    }
    assertEquals("v2", Files.readString(out.resolve("gram.npy")));
    assertFalse(Files.exists(out.resolve(".gram.npy.tmp")));

    Path fresh = Files.createDirectories(dir.resolve("fresh"));
    Files.writeString(fresh.resolve(OutputFiles.JOURNAL), "{\"format\":\"spark-ntk-journal\",\"version\":1}\n");
    Files.writeString(fresh.resolve(".gram.npy.tmp"), "the user's");
    ConfigException e = assertThrows(ConfigException.class, () -> claim(fresh));
    assertTrue(e.getMessage().contains("holds .gram.npy.tmp, which no spark-ntk run wrote"), e.getMessage());
    assertEquals("the user's", Files.readString(fresh.resolve(".gram.npy.tmp")));
  }

  /** A name not declared to claim was never checked before the work: a bug, refused. */
  @Test
  void anUndeclaredNameIsRefused() {
    try (OutputFiles files = claim(dir.resolve("undeclared"))) {
      assertThrows(IllegalStateException.class, () -> files.write("other.csv", f -> Files.writeString(f, "x")));
    }
    assertFalse(Files.exists(dir.resolve("undeclared/other.csv")));
  }

  /** A run that writes nothing leaves the directory as it found it: none created, an empty one empty. */
  @Test
  void aRunThatWritesNothingLeavesNoTrace() throws IOException {
    claim(dir.resolve("new")).close();
    assertFalse(Files.exists(dir.resolve("new")));
    Path empty = Files.createDirectories(dir.resolve("empty"));
    claim(empty).close();
    try (var list = Files.list(empty)) {
      assertEquals(0, list.count());
    }
  }

  /** A journal entry leaving the directory makes nothing outside spark-ntk's. */
  @Test
  void journalEntriesOutsideTheDirectoryAreIgnored() throws IOException {
    Path out = Files.createDirectories(dir.resolve("crafted"));
    Files.writeString(out.resolve(OutputFiles.JOURNAL), "{\"format\":\"spark-ntk-journal\",\"version\":1}\n"
        + "{\"path\":\"../victim\"}\n{\"path\":\"/etc/passwd\"}\n");
    Files.createDirectories(out.resolve("gram.npy"));
    Files.writeString(out.resolve("gram.npy/victim"), "x");
    ConfigException e = assertThrows(ConfigException.class, () -> claim(out));
    assertTrue(e.getMessage().contains("holds gram.npy/"), e.getMessage());
  }
}
