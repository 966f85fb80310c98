package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.kernel.BlockPlan;

/** The Gram checkpoint trusts exactly the journalled blocks whose files match, and only its own fingerprint's. */
class GramCheckpointTest {
  /** 5 rows in blocks of 2 (the last block has 1 row), 2 kernel rows per example. */
  private static final BlockPlan PLAN = new BlockPlan(5, 2);
  private static final int K = 2;

  @TempDir
  Path out;
  private OutputFiles files;

  @BeforeEach
  void claim() {
    files = OutputFiles.claim(out, "settings", false, "metrics.json", List.of(GramCheckpoint.DIR));
  }

  @AfterEach
  void release() {
    files.close();
  }

  private static double[] block(int row, int col) {
    double[] b = new double[PLAN.rows(row) * K * PLAN.rows(col) * K];
    for (int i = 0; i < b.length; i++) {
      b[i] = 100 * row + 10 * col + i + 0.25;
    }
    return b;
  }

  private GramCheckpoint open(String fingerprint) throws IOException {
    return GramCheckpoint.open(files, "training-gram", fingerprint, PLAN, PLAN, K);
  }

  private Path dir() {
    return out.resolve(GramCheckpoint.DIR).resolve("training-gram");
  }

  @Test
  void savedBlocksAreResumedWithTheirValues() throws IOException {
    GramCheckpoint first = open("A");
    assertEquals(0, first.resumed());
    first.save(0, 0, block(0, 0));
    first.save(0, 2, block(0, 2));
    first.save(2, 2, block(2, 2));
    assertEquals(3, first.saved());

    GramCheckpoint again = open("A");
    assertEquals(3, again.resumed());
    assertEquals(0, again.saved());
    assertTrue(again.has(0, 0) && again.has(0, 2) && again.has(2, 2));
    assertFalse(again.has(0, 1));
    assertFalse(again.has(2, 0), "(I, J) is not (J, I)");
    assertArrayEquals(block(0, 2), again.load(0, 2));
    assertArrayEquals(block(2, 2), again.load(2, 2));
  }

  /**
   * A block whose bytes changed (same size), a torn last journal line (the driver killed while
   * appending) and a block file the journal never listed (killed between rename and append) are
   * all recomputed; the intact, listed block is kept.
   */
  @Test
  void onlyListedIntactBlocksAreTrusted() throws IOException {
    GramCheckpoint first = open("A");
    first.save(0, 0, block(0, 0));
    first.save(0, 1, block(0, 1));
    first.save(1, 1, block(1, 1));
    try (RandomAccessFile f = new RandomAccessFile(dir().resolve("0-1.npy").toFile(), "rw")) {
      f.seek(f.length() - 3);
      f.write(7);
    }
    Path journal = dir().resolve(GramCheckpoint.JOURNAL);
    byte[] lines = Files.readAllBytes(journal);
    Files.write(journal, java.util.Arrays.copyOf(lines, lines.length - 20));
    files.writeWorkFile(GramCheckpoint.DIR + "/training-gram/1-2.npy",
        f -> Npy.write(f, block(1, 2), PLAN.rows(1) * K, PLAN.rows(2) * K));

    GramCheckpoint again = open("A");
    assertEquals(1, again.resumed());
    assertTrue(again.has(0, 0));
    assertFalse(again.has(0, 1), "a changed block file was trusted");
    assertFalse(again.has(1, 1), "a torn journal line was trusted");
    assertFalse(again.has(1, 2), "a block file missing from the journal was trusted");

    // Recomputed blocks are saved again and their last journal line is the one that counts.
    again.save(0, 1, block(0, 1));
    GramCheckpoint third = open("A");
    assertTrue(third.has(0, 1), "a block saved after a torn journal line was lost");
    assertArrayEquals(block(0, 1), third.load(0, 1));
    assertEquals(2, third.resumed());
    assertEquals(2, Files.readAllLines(journal).size(), "the journal should list exactly the trusted blocks");
  }

  /** Blocks of another fingerprint (other data, model or kernel) are deleted, never mixed in. */
  @Test
  void anotherFingerprintStartsEmpty() throws IOException {
    GramCheckpoint first = open("A");
    first.save(0, 0, block(0, 0));
    first.save(1, 1, block(1, 1));
    GramCheckpoint other = open("B");
    assertEquals(0, other.resumed());
    assertFalse(other.has(0, 0));
    assertFalse(Files.exists(dir().resolve("0-0.npy")), "old blocks were left beside new ones");
    other.save(1, 2, block(1, 2));
    GramCheckpoint backToA = open("A");
    assertEquals(0, backToA.resumed(), "B's blocks were taken for A's");

    files.delete(GramCheckpoint.DIR);
    assertFalse(Files.exists(out.resolve(GramCheckpoint.DIR)));
  }
}
