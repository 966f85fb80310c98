package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.Npy;
import org.sparkntk.solver.NotConvergedException;

/**
 * Resume on the distributed backend, through the whole job: a regression stopped after a few PCG
 * iterations (solver.maxIter, which leaves the checkpoint as a killed driver would, with every
 * block and the iterate saved) is rerun with a larger solver.maxIter; the rerun computes no block
 * of either kernel, reads the Nyström basis back, restarts PCG from the saved iterate and predicts
 * what an uninterrupted run predicts. output.gram = true writes the blocks with an index.json
 * that reassembles exactly (float64) to the driver backend's gram.npy and cross.npy.
 *
 * <p>Tolerance of the predictions: both runs solve (Θ + ρI)α = Y − f_0 to relative residual
 * 1e-12 with ρ = 1e-2 (κ ≲ 1e4 here), so their coefficients agree to about κ·1e-12 relative, and
 * the predictions, products of Θ with them, to 1e-8 (as in {@link DistributedBackendJobTest}).
 */
class DistributedResumeTest {
  static final ObjectMapper JSON = new ObjectMapper();
  /** 53 training rows in blocks of 7: 8 row blocks, 36 upper-triangle blocks; 17 test rows: 3 × 8 cross blocks. */
  static final int GRAM_BLOCKS = 36;
  static final int CROSS_BLOCKS = 24;
  static final String[] REGRESSION = {"solver.type=regression", "solver.ridge=1e-2", "solver.tol=1e-12",
      "solver.rank=20", "output.checkpoint=true"};

  @TempDir
  static Path tmp;

  /** The data and job file of {@link DistributedBackendJobTest}, written to this class's directory. */
  @BeforeAll
  static void files() throws IOException {
    DistributedBackendJobTest.dir = tmp;
    DistributedBackendJobTest.files();
  }

  static NtkRun run(String out, String... overrides) {
    return DistributedBackendJobTest.run(DistributedBackendJobTest.conf, out, overrides);
  }

  static Path dir(String out) {
    return DistributedBackendJobTest.dir.resolve(out);
  }

  static JsonNode metrics(String out) throws IOException {
    return JSON.readTree(dir(out).resolve("metrics.json").toFile());
  }

  @ParameterizedTest
  @CsvSource({"memory, float64", "none, float64", "disk, float32"})
  void aStoppedRegressionResumesWithoutComputingABlockAndPredictsTheSame(String cache, String precision)
      throws IOException {
    String out = "resume-" + cache + "-" + precision;
    String[] job = DistributedBackendJobTest.concat(REGRESSION, "solver.backend=distributed", "kernel.cache=" + cache,
        "kernel.precision=" + precision, "output.gram=true");
    NotConvergedException stopped = assertThrows(NotConvergedException.class,
        () -> run(out, DistributedBackendJobTest.concat(job, "solver.maxIter=4")));
    assertTrue(stopped.getMessage().contains("after 4 PCG iterations"), stopped.getMessage());
    Path pcg = dir(out).resolve("checkpoint/pcg");
    assertEquals(4, JSON.readTree(pcg.resolve("pcg.json").toFile()).path("iteration").asInt());
    assertTrue(Files.isRegularFile(pcg.resolve("x-4.npy")));
    assertTrue(Files.isRegularFile(pcg.resolve("nystrom-basis.npy")));
    assertEquals(GRAM_BLOCKS, blockFiles(dir(out).resolve("checkpoint/training-gram")));
    assertEquals(CROSS_BLOCKS, blockFiles(dir(out).resolve("checkpoint/cross-kernel")));

    NtkRun resumed = run(out, job);
    JsonNode m = metrics(out);
    JsonNode c = m.path("checkpoint");
    assertEquals(0, c.path("trainingGramBlocksComputed").asInt(-1), c.toString());
    assertEquals(GRAM_BLOCKS, c.path("trainingGramBlocksResumed").asInt(), c.toString());
    assertEquals(0, c.path("crossKernelBlocksComputed").asInt(-1), c.toString());
    assertEquals(CROSS_BLOCKS, c.path("crossKernelBlocksResumed").asInt(), c.toString());
    assertEquals(4, c.path("pcgResumedFromIteration").asInt(), c.toString());
    JsonNode solver = m.path("solver");
    assertEquals(4, solver.path("resumedFromIteration").asInt(), solver.toString());
    assertTrue(solver.path("preconditionerResumed").asBoolean(), solver.toString());
    assertTrue(solver.path("relativeResidual").asDouble() <= 1e-12, solver.toString());
    assertFalse(Files.exists(dir(out).resolve("checkpoint")), "the checkpoint outlived the complete run");
    List<Manifest.Entry> listed = Manifest.verify(dir(out));
    assertTrue(listed.stream().anyMatch(e -> e.path().equals("gram/index.json")), listed.toString());
    assertEquals(GRAM_BLOCKS, listed.stream().filter(e -> e.path().matches("gram/\\d+-\\d+\\.npy")).count());
    assertEquals(CROSS_BLOCKS, listed.stream().filter(e -> e.path().matches("cross/\\d+-\\d+\\.npy")).count());
    assertFalse(Files.exists(dir(out).resolve("gram/.blocks.tmp")), "the temporary directory was left behind");

    String[] plainJob = DistributedBackendJobTest.concat(job, "output.checkpoint=false", "output.gram=false");
    NtkRun plain = run(out + "-uninterrupted", plainJob);
    DistributedBackendJobTest.assertSamePredictions(plain, resumed, 1e-8);

    JsonNode index = JSON.readTree(dir(out).resolve("gram/index.json").toFile());
    assertEquals(precision.equals("float64") ? "<f8" : "<f4", index.path("dtype").asText());
    assertTrue(index.path("symmetric").asBoolean());
    assertFalse(JSON.readTree(dir(out).resolve("cross/index.json").toFile()).path("symmetric").asBoolean());
    if (precision.equals("float64")) {
      // The driver backend's dense Gram and cross kernel: the same blocks, so equal to the last bit.
      String driverOut = out + "-driver";
      run(driverOut, "solver.backend=driver", "solver.type=regression", "solver.ridge=1e-2", "output.gram=true",
          "output.checkpoint=false");
      Npy.Array gram = Npy.read(dir(driverOut).resolve("gram.npy"));
      assertArrayEquals(gram.shape(), new long[] {index.path("rows").asLong(), index.path("cols").asLong()});
      assertArrayEquals(gram.data(), reassemble(dir(out).resolve("gram")));
      assertArrayEquals(Npy.read(dir(driverOut).resolve("cross.npy")).data(), reassemble(dir(out).resolve("cross")));
    }
  }

  @Test
  void aCheckpointOfOtherSettingsIsDeletedNotReused() throws IOException {
    String out = "resume-other-seed";
    String[] job = DistributedBackendJobTest.concat(REGRESSION, "solver.backend=distributed", "model.seed=3");
    assertThrows(NotConvergedException.class, () -> run(out, DistributedBackendJobTest.concat(job,
        "solver.maxIter=3")));
    run(out, DistributedBackendJobTest.concat(REGRESSION, "solver.backend=distributed", "model.seed=5"));
    JsonNode m = metrics(out);
    assertEquals(GRAM_BLOCKS, m.path("checkpoint").path("trainingGramBlocksComputed").asInt(), m.toString());
    assertEquals(0, m.path("checkpoint").path("trainingGramBlocksResumed").asInt(-1));
    assertEquals(0, m.path("solver").path("resumedFromIteration").asInt(-1));
    assertFalse(m.path("solver").path("preconditionerResumed").asBoolean());
  }

  /** The dense matrix of a block directory's index.json, as the numpy snippet of docs/OUTPUTS.md builds it. */
  static double[] reassemble(Path blocks) throws IOException {
    JsonNode index = JSON.readTree(blocks.resolve("index.json").toFile());
    assertEquals("spark-ntk-kernel-blocks", index.path("format").asText());
    int rows = index.path("rows").asInt();
    int cols = index.path("cols").asInt();
    double[] dense = new double[rows * cols];
    for (JsonNode b : index.path("blocks")) {
      double[] block = Npy.read(blocks.resolve(b.path("file").asText())).data();
      int r0 = b.path("rowStart").asInt();
      int c0 = b.path("colStart").asInt();
      int br = b.path("rows").asInt();
      int bc = b.path("cols").asInt();
      for (int i = 0; i < br; i++) {
        for (int j = 0; j < bc; j++) {
          dense[(r0 + i) * cols + c0 + j] = block[i * bc + j];
          // A diagonal block is stored whole; only the blocks above the diagonal are mirrored.
          if (index.path("symmetric").asBoolean() && b.path("row").asInt() != b.path("col").asInt()) {
            dense[(c0 + j) * cols + r0 + i] = block[i * bc + j];
          }
        }
      }
    }
    return dense;
  }

  static long blockFiles(Path d) throws IOException {
    List<String> names = new ArrayList<>();
    try (var s = Files.list(d)) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    }
    return names.stream().filter(n -> n.matches("\\d+-\\d+\\.npy")).count();
  }
}
