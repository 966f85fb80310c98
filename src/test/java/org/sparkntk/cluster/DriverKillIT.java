package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.Npy;
import org.sparkntk.pipeline.NtkJob;

/**
 * The driver of a real `./submit` run is killed (SIGKILL) while the training Gram is being
 * computed; the same command run again reads back the blocks the checkpoint lists, computes only
 * the others, and writes the Gram, the cross kernel and the predictions of a run that was never
 * interrupted, bit for bit.
 */
class DriverKillIT {
  /** Quickstart: 400 training rows in blocks of 8 (1275 Gram blocks), 200 test rows (25 × 50 cross blocks). */
  static final int GRAM_BLOCKS = 50 * 51 / 2;
  static final int CROSS_BLOCKS = 25 * 50;
  static final List<String> KEYS = List.of("kernel.blockSize=8", "solver.steps=50", "spark.master=local[2]",
      "spark.ui.enabled=false");

  @TempDir
  static Path dir;

  private static List<String> submit(Path out, String... more) {
    List<String> command = new ArrayList<>(List.of("bash", "submit", "conf/quickstart.conf", "output.dir=" + out));
    command.addAll(KEYS);
    command.addAll(List.of(more));
    return command;
  }

  private static long journalLines(Path out, String phase) {
    Path journal = out.resolve(GramCheckpoint.DIR).resolve(phase).resolve("blocks.jsonl");
    try {
      return Files.isRegularFile(journal) ? Files.readAllLines(journal).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  @Test
  void aRerunAfterTheDriverWasKilledComputesOnlyTheMissingBlocks() throws Exception {
    Path out = dir.resolve("killed");
    try (ClusterProcesses.Child driver = ClusterProcesses.start("killed-driver", dir, Map.of(), submit(out))) {
      ClusterProcesses.await("a training-Gram block in the checkpoint", Duration.ofMinutes(4), driver,
          () -> journalLines(out, "training-gram") > 0);
      driver.kill();
    }
    long trainSeen = journalLines(out, "training-gram");
    long crossSeen = journalLines(out, "cross-kernel");
    assertTrue(trainSeen + crossSeen < GRAM_BLOCKS + CROSS_BLOCKS,
        "every block was saved before the kill: the test no longer interrupts anything");
    assertFalse(Files.exists(out.resolve(Manifest.FILE)), "a killed run left a manifest");
    assertFalse(Files.exists(out.resolve("metrics.json")), "a killed run left metrics.json");

    ClusterProcesses.Child rerun = ClusterProcesses.start("rerun", dir, Map.of(), submit(out));
    rerun.assertSucceeds(Duration.ofMinutes(5));
    JsonNode c = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("checkpoint");
    int trainResumed = c.path("trainingGramBlocksResumed").asInt(-1);
    int crossResumed = c.path("crossKernelBlocksResumed").asInt(-1);
    // A line torn by the kill is recomputed, so at most one fewer than seen per phase.
    assertTrue(trainResumed >= trainSeen - 1 && trainResumed <= trainSeen, c + ", " + trainSeen + " lines seen");
    assertTrue(crossResumed >= Math.max(0, crossSeen - 1) && crossResumed <= crossSeen, c + ", " + crossSeen + " seen");
    assertEquals(GRAM_BLOCKS, trainResumed + c.path("trainingGramBlocksComputed").asInt(), c.toString());
    assertEquals(CROSS_BLOCKS, crossResumed + c.path("crossKernelBlocksComputed").asInt(), c.toString());
    assertTrue(rerun.logText().contains("blocks read from the checkpoint"), rerun.tail(40));
    // The killed driver's output.dir lock stayed behind; its pid is gone, so the rerun takes it over.
    assertTrue(rerun.logText().contains("is no longer running on this host: lock reclaimed"), rerun.tail(40));
    System.out.printf("DriverKillIT: killed with %d training-Gram and %d cross-kernel journal lines; the rerun's %s%n",
        trainSeen, crossSeen, c);
    Manifest.verify(out);
    assertFalse(Files.exists(out.resolve(GramCheckpoint.DIR)), "the checkpoint outlived the complete run");

    // The same job never interrupted and without checkpoint, in this JVM (local[2], one BLAS thread).
    Path plain = dir.resolve("uninterrupted");
    List<String> keys = new ArrayList<>(KEYS);
    keys.addAll(List.of("output.dir=" + plain, "output.checkpoint=false"));
    NtkJob.run(SparkTestSession.get(), JobConfig.load(ClusterProcesses.BASE.resolve("conf/quickstart.conf"), keys));
    assertArrayEquals(Npy.read(plain.resolve("gram.npy")).data(), Npy.read(out.resolve("gram.npy")).data());
    assertArrayEquals(Npy.read(plain.resolve("cross.npy")).data(), Npy.read(out.resolve("cross.npy")).data());
    assertEquals(Files.readString(plain.resolve("predictions_test.csv")),
        Files.readString(out.resolve("predictions_test.csv")));
  }
}
