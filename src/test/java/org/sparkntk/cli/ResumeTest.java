package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.Npy;

/**
 * Gram checkpoints through the CLI: a run that fails after its Gram leaves the blocks, a rerun
 * reuses them exactly when data, model and kernel are unchanged, and the result is the one a
 * run without checkpoint gives. (Killing the driver mid-Gram is cluster/DriverKillIT.)
 */
class ResumeTest {
  /** 16 training rows in blocks of 4: 10 blocks of the Gram; 5 test rows: 2 × 4 cross blocks. */
  static final int GRAM_BLOCKS = 10;
  static final int CROSS_BLOCKS = 8;

  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    conf = NtkMainTest.writeJob(dir, 5, 16, 5, "model.hidden = 6", "kernel.blockSize = 4", "solver.steps = 5",
        "output.gram = true");
  }

  private static JsonNode checkpointMetrics(Path out) throws IOException {
    return new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("checkpoint");
  }

  private static double[] gram(Path out, String file) throws IOException {
    return Npy.read(out.resolve(file)).data();
  }

  /** What a run with no checkpoint at all writes, for the same job. */
  private static Path reference(String name, String... keys) {
    Path out = dir.resolve(name);
    String[] args = new String[keys.length + 3];
    args[0] = conf.toString();
    args[1] = "output.dir=" + out;
    args[2] = "output.checkpoint=false";
    System.arraycopy(keys, 0, args, 3, keys.length);
    Object[] result = NtkMainTest.run(args);
    assertEquals(0, result[0], (String) result[1]);
    assertFalse(Files.exists(out.resolve(GramCheckpoint.DIR)), "output.checkpoint = false wrote a checkpoint");
    return out;
  }

  /**
   * A step size that diverges fails the run after the Gram (status 2, no manifest) and leaves
   * every block; the rerun with a stable step computes none, writes the Gram a run without
   * checkpoint writes, bit for bit, and deletes the checkpoint once its manifest is written.
   */
  @Test
  void aRerunWithAnotherSolverReusesEveryBlock() throws IOException {
    Path out = dir.resolve("solver");
    failAfterTheGram(out);
    assertFalse(Files.exists(out.resolve(Manifest.FILE)));
    Path blocks = out.resolve(GramCheckpoint.DIR);
    try (var files = Files.list(blocks.resolve("training-gram"))) {
      assertEquals(GRAM_BLOCKS, files.filter(p -> p.toString().endsWith(".npy")).count());
    }

    Object[] rerun = NtkMainTest.run(conf.toString(), "output.dir=" + out, "solver.lr=0.1");
    assertEquals(0, rerun[0], (String) rerun[1]);
    JsonNode c = checkpointMetrics(out);
    assertEquals(GRAM_BLOCKS, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("trainingGramBlocksComputed").asInt(), c.toString());
    assertEquals(CROSS_BLOCKS, c.path("crossKernelBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksComputed").asInt(), c.toString());
    assertFalse(Files.exists(blocks), "the checkpoint outlived the complete run");
    Manifest.verify(out);

    Path plain = reference("solver-reference", "solver.lr=0.1");
    assertArrayEquals(gram(plain, "gram.npy"), gram(out, "gram.npy"));
    assertArrayEquals(gram(plain, "cross.npy"), gram(out, "cross.npy"));
    assertEquals(Files.readString(plain.resolve("predictions_test.csv")),
        Files.readString(out.resolve("predictions_test.csv")));
  }

  /** A run into {@code out} whose solver diverges after the Gram: status 2, every block left in the checkpoint. */
  private static void failAfterTheGram(Path out, String... keys) {
    List<String> args = new ArrayList<>(List.of(conf.toString(), "output.dir=" + out, "solver.lr=1e9"));
    args.addAll(List.of(keys));
    Object[] result = NtkMainTest.run(args.toArray(String[]::new));
    assertEquals(2, result[0], (String) result[1]);
  }

  /**
   * Reruns the job into {@code out} with {@code keys}: it must resume no block, compute every
   * training-Gram and cross block, and write the Gram of a run without checkpoint.
   */
  private static void assertRerunComputesEveryBlock(Path out, String referenceName, String... keys)
      throws IOException {
    List<String> args = new ArrayList<>(List.of(conf.toString(), "output.dir=" + out));
    args.addAll(List.of(keys));
    Object[] result = NtkMainTest.run(args.toArray(String[]::new));
    assertEquals(0, result[0], (String) result[1]);
    JsonNode c = checkpointMetrics(out);
    assertEquals(0, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(GRAM_BLOCKS, c.path("trainingGramBlocksComputed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksResumed").asInt(), c.toString());
    assertEquals(CROSS_BLOCKS, c.path("crossKernelBlocksComputed").asInt(), c.toString());
    assertArrayEquals(gram(reference(referenceName, keys), "gram.npy"), gram(out, "gram.npy"));
  }

  /** Changed training data (same file name), another model seed or another kernel: no old block is reused. */
  @Test
  void newDataANewModelOrANewKernelNeverMeetOldBlocks() throws IOException {
    Path data = dir.resolve("changing.csv");
    NtkMainTest.writeCsv(data, new double[3 * 16], 16, new Random(5));
    Path out = dir.resolve("changed");
    failAfterTheGram(out, "data.train=" + data);
    // One value of one row changed.
    List<String> lines = new ArrayList<>(Files.readAllLines(data));
    String[] row = lines.get(7).split(",");
    row[2] = "0.123456";
    lines.set(7, String.join(",", row));
    Files.write(data, lines);
    assertRerunComputesEveryBlock(out, "changed-reference", "data.train=" + data);

    Path seed = dir.resolve("seed");
    failAfterTheGram(seed);
    assertRerunComputesEveryBlock(seed, "seed-reference", "model.seed=77");

    // Same data and model, another kernel: float32 GEMMs instead of float64.
    Path kernel = dir.resolve("kernel");
    failAfterTheGram(kernel);
    assertRerunComputesEveryBlock(kernel, "kernel-reference", "kernel.precision=float32");
  }
}
