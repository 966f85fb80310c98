package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.solver.NystromPreconditioner;
import org.sparkntk.solver.RegressionCheckpoint;

/**
 * The PCG checkpoint saves the iterate every {@value PcgCheckpoint#EVERY_ITERATIONS} iterations and
 * when PCG stops, keeps one iterate file, and gives back only what its fingerprint and SHA-256
 * vouch for; the Nyström basis reads back as saved.
 */
class PcgCheckpointTest {
  private static final int N = 6;
  private static final int C = 2;

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

  private static double[] x(int iteration) {
    return new Random(iteration).doubles(N * C).toArray();
  }

  private Path pcg() {
    return out.resolve(PcgCheckpoint.DIR);
  }

  @Test
  void theIterateIsSavedEveryTenIterationsAndWhenPcgStops() throws IOException {
    PcgCheckpoint checkpoint = new PcgCheckpoint(files, "iterate-A", "basis-A", C);
    assertNull(checkpoint.iterate(N, C), "nothing saved yet");
    for (int i = 1; i <= 25; i++) {
      checkpoint.iteration(i, x(i));
      if (i == 9) {
        assertFalse(Files.exists(pcg().resolve("pcg.json")), "saved before iteration 10");
      }
    }
    assertEquals(2, checkpoint.saves(), "iterations 10 and 20");
    assertTrue(Files.exists(pcg().resolve("x-20.npy")));
    assertFalse(Files.exists(pcg().resolve("x-10.npy")), "the previous iterate file is deleted");
    checkpoint.stopped(27, x(27));
    assertEquals(3, checkpoint.saves());

    RegressionCheckpoint.Iterate back = new PcgCheckpoint(files, "iterate-A", "basis-A", C).iterate(N, C);
    assertEquals(27, back.iteration());
    assertArrayEquals(x(27), back.x());
    assertNull(new PcgCheckpoint(files, "iterate-B", "basis-A", C).iterate(N, C), "another fingerprint");
    assertNull(new PcgCheckpoint(files, "iterate-A", "basis-A", C).iterate(N + 1, C), "another shape");

    // One bit of the iterate file changed after its JSON recorded its SHA-256.
    Path file = pcg().resolve("x-27.npy");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 1] ^= 1;
    Files.write(file, bytes);
    assertNull(new PcgCheckpoint(files, "iterate-A", "basis-A", C).iterate(N, C), "a changed file");
  }

  @Test
  void aResumedCheckpointCountsOnFromTheSavedIteration() throws IOException {
    PcgCheckpoint first = new PcgCheckpoint(files, "iterate-A", "basis-A", C);
    first.stopped(4, x(4));
    PcgCheckpoint second = new PcgCheckpoint(files, "iterate-A", "basis-A", C);
    assertEquals(4, second.iterate(N, C).iteration());
    for (int i = 5; i <= 13; i++) {
      second.iteration(i, x(i));
    }
    assertEquals(0, second.saves(), "9 iterations since the save at 4");
    second.iteration(14, x(14));
    assertEquals(1, second.saves());
    assertFalse(Files.exists(pcg().resolve("x-4.npy")), "the resumed iterate's file is replaced");
  }

  @Test
  void theNystromBasisReadsBackAsSavedAndOnlyForItsFingerprint() throws IOException {
    double[] u = new Random(3).doubles(N * 3).toArray();
    double[] lambda = {5.0, 2.0, 0.5};
    new PcgCheckpoint(files, "iterate-A", "basis-A", C)
        .savePreconditioner(new NystromPreconditioner.Basis(N, 3, u, lambda));
    NystromPreconditioner.Basis back = new PcgCheckpoint(files, "iterate-Z", "basis-A", C).preconditioner(N, 3);
    assertArrayEquals(u, back.uColumnMajor());
    assertArrayEquals(lambda, back.eigenvalues());
    assertNull(new PcgCheckpoint(files, "iterate-A", "basis-B", C).preconditioner(N, 3), "another rank or seed");
    assertNull(new PcgCheckpoint(files, "iterate-A", "basis-A", C).preconditioner(N, 4), "another shape");
  }
}
