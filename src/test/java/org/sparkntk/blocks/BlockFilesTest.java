package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.Npy;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.KernelBlock;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.StructuredNtk;

/**
 * Kernel blocks written by the executors through Hadoop's FileSystem ({@link BlockFiles}): what is
 * read back is what was written (float64 and float32, checked against numpy's format by
 * {@link Npy#read}), a torn or foreign file is deleted and recomputed, and a distributed kernel
 * built over a checkpoint computes only the blocks it lacks and holds the first build's blocks bit
 * for bit.
 */
class BlockFilesTest {
  static JavaSparkContext sc;
  @TempDir
  Path dir;

  @BeforeAll
  static void spark() {
    SparkGramTest.data();
    sc = JavaSparkContext.fromSparkContext(SparkGramTest.spark.sparkContext());
  }

  static void assertSameBlocks(java.util.Map<BlockKey, KernelBlock> expected,
                               java.util.Map<BlockKey, KernelBlock> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (var e : expected.entrySet()) {
      KernelBlock a = actual.get(e.getKey());
      if (e.getValue().f64() != null) {
        assertArrayEquals(e.getValue().f64(), a.f64(), "block " + e.getKey());
      } else {
        assertArrayEquals(e.getValue().f32(), a.f32(), "block " + e.getKey());
      }
    }
  }

  private BlockFiles files(Path d, BlockPlan rows, BlockPlan cols, int k, Precision p, boolean upper) {
    return new BlockFiles(d.toUri().toString(), new Configuration(), rows, cols, k, p, upper);
  }

  private static KernelBlock randomBlock(BlockFiles f, int i, int j, Precision p, long seed) {
    double[] data = new Random(seed).doubles((long) f.rows(i) * f.cols(j), -1, 1).toArray();
    return KernelBlock.of(i, j, f.rows(i), f.cols(j), data, p);
  }

  @ParameterizedTest
  @CsvSource({"FLOAT64, <f8", "FLOAT32, <f4"})
  void aBlockReadsBackAsWrittenAndIsAValidNpyFile(Precision precision, String dtype) throws IOException {
    // 10 rows in blocks of 4 (the last block has 2), 2 kernel rows per example: block (2, 1) is 4 × 8.
    BlockPlan plan = new BlockPlan(10, 4);
    BlockFiles f = files(dir, plan, plan, 2, precision, true);
    KernelBlock b = randomBlock(f, 1, 2, precision, 5);
    BlockFiles.Written w = f.write(b);
    Path file = dir.resolve("1-2.npy");
    assertEquals(Files.size(file), w.size());
    assertEquals(f.length(1, 2), w.size());
    assertEquals(BlockFiles.sha256(Files.readAllBytes(file), (int) Files.size(file)), w.sha256());
    String header = new String(Files.readAllBytes(file), 0, 80, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("'descr': '" + dtype + "'") && header.contains("'shape': (8, 4)"), header);
    KernelBlock back = f.read(1, 2);
    assertEquals(8, back.rows());
    assertEquals(4, back.cols());
    if (precision == Precision.FLOAT64) {
      assertArrayEquals(b.f64(), back.f64());
      assertArrayEquals(b.f64(), Npy.read(file).data()); // numpy's format, as Npy reads it
    } else {
      assertArrayEquals(b.f32(), back.f32());
    }
    assertEquals(Set.of(new BlockKey(1, 2)), f.listComplete());
    try (Stream<Path> tmp = Files.list(dir.resolve(BlockFiles.TEMP_DIR))) {
      assertEquals(0, tmp.count(), "the temporary file was renamed, not left behind");
    }
  }

  @Test
  void aTornOrForeignFileIsDeletedAndReportedMissing() throws IOException {
    BlockPlan plan = new BlockPlan(12, 4);
    BlockFiles f = files(dir, plan, plan, 1, Precision.FLOAT64, true);
    f.write(randomBlock(f, 0, 0, Precision.FLOAT64, 1));
    f.write(randomBlock(f, 0, 1, Precision.FLOAT64, 2));
    f.write(randomBlock(f, 1, 2, Precision.FLOAT64, 3));
    // Torn: a kill while copying it elsewhere, or a full disk.
    try (RandomAccessFile raf = new RandomAccessFile(dir.resolve("0-1.npy").toFile(), "rw")) {
      raf.setLength(raf.length() - 8);
    }
    // Same length, another shape in the header: [4, 4] written as (2, 8).
    byte[] bytes = Files.readAllBytes(dir.resolve("1-2.npy"));
    byte[] foreign = Npy.bytes(new double[16], 2, 8);
    assertEquals(bytes.length, foreign.length);
    Files.write(dir.resolve("1-2.npy"), foreign);
    // A block below the diagonal is not in the upper triangle's plan.
    Files.write(dir.resolve("2-1.npy"), bytes);

    Set<BlockKey> listed = f.listComplete();
    assertEquals(Set.of(new BlockKey(0, 0), new BlockKey(1, 2)), listed, "the listing checks lengths only");
    assertFalse(Files.exists(dir.resolve("0-1.npy")), "the torn file is deleted");
    assertFalse(Files.exists(dir.resolve("2-1.npy")), "a file outside the plan is deleted");
    assertNull(f.read(1, 2), "a header of another shape is refused");
    assertFalse(Files.exists(dir.resolve("1-2.npy")), "the refused file is deleted");
    assertNull(f.read(0, 1), "a missing file is missing");
    assertEquals(16, f.read(0, 0).f64().length);
  }

  @ParameterizedTest
  @CsvSource({"memory, FLOAT64", "none, FLOAT64", "disk, FLOAT32"})
  void aRebuildFromACompleteCheckpointComputesNothingAndGivesTheSameProducts(String cacheName, Precision precision)
      throws IOException {
    BlockKernel<?> kernel = new StructuredNtk(SparkGramTest.MLP, KernelOutputs.TRACE, Precision.FLOAT64);
    BlockPlan train = new BlockPlan(SparkGramTest.N, 6);
    BlockPlan test = new BlockPlan(SparkGramTest.M, 6);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N, 3),
        train);
    JavaRDD<RowBlock> testBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.testX, SparkGramTest.M, 2), test);
    DistributedKernel.Cache cache = DistributedKernel.Cache.fromConfig(cacheName);
    BlockFiles checkpoint = files(dir.resolve("train"), train, train, 1, precision, true);
    BlockFiles crossCheckpoint = files(dir.resolve("cross"), test, train, 1, precision, false);
    BlockFiles export = files(dir.resolve("export"), train, train, 1, precision, true);
    long pairs = train.upperTrianglePairs();
    long crossPairs = (long) test.blockCount() * train.blockCount();
    double[] v = DistributedKernelTest.random(SparkGramTest.N * 2, 9);
    double[] first;
    double[] firstCross;
    java.util.Map<BlockKey, KernelBlock> firstBlocks;
    java.util.Map<BlockKey, KernelBlock> firstCrossBlocks;
    try (DistributedKernel theta = DistributedGram.distributed(sc, trainBlocks, train, null, train, kernel, precision,
        cache, "training", checkpoint, export);
         DistributedKernel star = DistributedGram.distributed(sc, testBlocks, test, trainBlocks, train, kernel, precision,
             cache, "cross", crossCheckpoint, null)) {
      assertEquals(pairs, theta.computedBlocks());
      assertEquals(0, theta.resumedBlocks());
      assertEquals(crossPairs, star.computedBlocks());
      assertEquals(pairs, theta.exported().size());
      first = theta.apply(v, 2);
      firstCross = star.apply(v, 2);
      firstBlocks = theta.collectBlocks();
      firstCrossBlocks = star.collectBlocks();
    }
    // The checkpoint as the first run left it, then one torn file and one with a foreign header.
    assertEquals(pairs, checkpoint.listComplete().size());
    try (RandomAccessFile raf = new RandomAccessFile(dir.resolve("train/0-3.npy").toFile(), "rw")) {
      raf.setLength(raf.length() / 2);
    }
    byte[] good = Files.readAllBytes(dir.resolve("train/1-1.npy"));
    good[12] ^= 1; // a byte of the header dictionary
    Files.write(dir.resolve("train/1-1.npy"), good);

    try (DistributedKernel theta = DistributedGram.distributed(sc, trainBlocks, train, null, train, kernel, precision,
        cache, "training", checkpoint, null);
         DistributedKernel star = DistributedGram.distributed(sc, testBlocks, test, trainBlocks, train, kernel, precision,
             cache, "cross", crossCheckpoint, null)) {
      assertEquals(2, theta.computedBlocks(), "only the torn and the foreign file are recomputed");
      assertEquals(pairs - 2, theta.resumedBlocks());
      assertEquals(0, star.computedBlocks());
      assertEquals(crossPairs, star.resumedBlocks());
      assertSameBlocks(firstBlocks, theta.collectBlocks());
      assertSameBlocks(firstCrossBlocks, star.collectBlocks());
      // The products add the tiles' partial sums in task order (ProductSum): the same blocks give
      // the same products bit for bit.
      assertArrayEquals(first, theta.apply(v, 2));
      assertArrayEquals(firstCross, star.apply(v, 2));
    }
    assertEquals(pairs, checkpoint.listComplete().size(), "the recomputed blocks were written back");

    // The exported files hold the Gram the driver assembles (float64: the same numbers).
    if (precision == Precision.FLOAT64) {
      GramMatrix dense = SparkGram.symmetric(sc, trainBlocks, train, kernel, "dense");
      for (BlockKey key : export.keys()) {
        double[] block = Npy.read(dir.resolve("export").resolve(BlockFiles.fileName(key.row(), key.col()))).data();
        int r0 = (int) train.start(key.row());
        int c0 = (int) train.start(key.col());
        for (int i = 0; i < export.rows(key.row()); i++) {
          for (int j = 0; j < export.cols(key.col()); j++) {
            assertEquals(dense.data()[(r0 + i) * dense.cols() + c0 + j], block[i * export.cols(key.col()) + j],
                0.0, "block " + key + " entry " + i + ", " + j);
          }
        }
      }
    }
  }
}
