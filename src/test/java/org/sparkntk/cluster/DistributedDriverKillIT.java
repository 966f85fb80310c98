package org.sparkntk.cluster;

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
import org.sparkntk.pipeline.NtkJob;

/**
 * The driver of a real `./submit` run on the distributed backend is killed (SIGKILL) during PCG,
 * once the iterate has been saved; the same command run again computes no block of the training
 * Gram or the cross kernel (the executors read the checkpoint's block files), restarts PCG from the
 * saved iterate, and predicts what an uninterrupted run predicts.
 *
 * <p>Tolerance: each run stops at relative residual ‖b − (Θ + ρI)α‖ ≤ tol‖b‖ with tol = 1e-12,
 * so ‖α₁ − α₂‖ ≤ 2·tol·‖b‖/ρ and the predictions Θ*α differ by at most 2·tol·‖Θ*‖·‖b‖/ρ. Here
 * ρ = 0.1 and ‖Θ*‖, ‖b‖ are O(10²) and O(10) against predictions of O(1): 1e-6 relative to each
 * column's largest value leaves a wide margin over the ~1e-8 that bound allows, while a wrong
 * block or a restart from a wrong iterate is off by far more.
 */
class DistributedDriverKillIT {
  static final List<String> KEYS = List.of("solver.type=regression", "solver.backend=distributed",
      "solver.ridge=0.1", "solver.tol=1e-12", "solver.preconditioner=none", "solver.maxIter=5000",
      "kernel.blockSize=50", "output.gram=false", "spark.master=local[2]", "spark.ui.enabled=false");
  /** 400 training rows in blocks of 50: 8 row blocks, 36 Gram blocks; 200 test rows: 4 × 8 cross blocks. */
  static final int GRAM_BLOCKS = 36;
  static final int CROSS_BLOCKS = 32;

  @TempDir
  static Path dir;

  private static List<String> submit(Path out) {
    List<String> command = new ArrayList<>(List.of("bash", "submit", "conf/quickstart.conf", "output.dir=" + out));
    command.addAll(KEYS);
    return command;
  }

  private static int savedIteration(Path out) {
    Path pcg = out.resolve(GramCheckpoint.DIR).resolve("pcg").resolve("pcg.json");
    try {
      return Files.isRegularFile(pcg) ? new ObjectMapper().readTree(pcg.toFile()).path("iteration").asInt(0) : 0;
    } catch (IOException e) {
      return 0; // being replaced
    }
  }

  @Test
  void aRerunAfterTheDriverWasKilledDuringPcgComputesNoBlockAndContinuesPcg() throws Exception {
    Path out = dir.resolve("killed");
    int killedAt;
    try (ClusterProcesses.Child driver = ClusterProcesses.start("killed-driver", dir, Map.of(), submit(out))) {
      ClusterProcesses.await("a PCG iterate in the checkpoint", Duration.ofMinutes(3), driver,
          () -> savedIteration(out) > 0);
      driver.kill();
      killedAt = savedIteration(out);
    }
    assertFalse(Files.exists(out.resolve(Manifest.FILE)), "a killed run left a manifest");

    ClusterProcesses.Child rerun = ClusterProcesses.start("rerun", dir, Map.of(), submit(out));
    rerun.assertSucceeds(Duration.ofMinutes(3));
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    JsonNode c = metrics.path("checkpoint");
    assertEquals(0, c.path("trainingGramBlocksComputed").asInt(-1), c.toString());
    assertEquals(GRAM_BLOCKS, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksComputed").asInt(-1), c.toString());
    assertEquals(CROSS_BLOCKS, c.path("crossKernelBlocksResumed").asInt(), c.toString());
    // The iterate is saved every 10 iterations: the kill came after the last save seen, before the next.
    int resumedFrom = c.path("pcgResumedFromIteration").asInt();
    assertTrue(resumedFrom >= killedAt && resumedFrom < killedAt + 10, c + ", killed after iteration " + killedAt);
    assertTrue(rerun.logText().contains("PCG restarts from the iterate saved after iteration " + resumedFrom),
        rerun.tail(40));
    Manifest.verify(out);
    assertFalse(Files.exists(out.resolve(GramCheckpoint.DIR)), "the checkpoint outlived the complete run");

    // The same job never interrupted, without checkpoint, in this JVM (local[2], one BLAS thread).
    Path plain = dir.resolve("uninterrupted");
    List<String> keys = new ArrayList<>(KEYS);
    keys.addAll(List.of("output.dir=" + plain, "output.checkpoint=false"));
    NtkJob.run(SparkTestSession.get(), JobConfig.load(ClusterProcesses.BASE.resolve("conf/quickstart.conf"), keys));
    JsonNode plainSolver = new ObjectMapper().readTree(plain.resolve("metrics.json").toFile()).path("solver");
    double train = ClusterJobs.assertSameCsv(plain, out, "predictions_train.csv", 1e-6);
    double test = ClusterJobs.assertSameCsv(plain, out, "predictions_test.csv", 1e-6);
    System.out.printf("DistributedDriverKillIT: killed after the iterate of iteration %d was saved; the rerun resumed "
            + "from %d and took %d more iterations (uninterrupted: %d); predictions differ by %.3g (train), %.3g "
            + "(test), relative%n", killedAt, resumedFrom, metrics.path("solver").path("iterations").asInt(),
        plainSolver.path("iterations").asInt(), train, test);
  }
}
