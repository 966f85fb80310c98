package org.sparkntk.pipeline;

import org.sparkntk.report.FourierImageReport;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkntk.config.ConfigException;
import org.sparkntk.model.InputMapping;

/** The size guards of issue 18, on their own: figures in the message, overflow-safe arithmetic. */
class SizeGuardTest {
  static final long GIB = 1L << 30;

  @Test
  void aNetworkIsRefusedWithItsParameterCountAndTheLimit() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> SizeGuard.network("model.hidden", "100000000", new int[] {3, 100_000_000, 2}, 4, GIB));
    assertTrue(e.getMessage().contains("P = 600000002 parameters"), e.getMessage());
    assertTrue(e.getMessage().contains("4.47 GiB as float64"), e.getMessage());
    assertTrue(e.getMessage().contains("limit of 1.00 GiB"), e.getMessage());
    assertDoesNotThrow(() -> SizeGuard.network("model.hidden", "512,512", new int[] {2, 512, 512, 2}, 4, GIB));
  }

  @Test
  void widthsWhoseProductsOverflowAnIntOrALongAreRefusedNotThrownAsArithmeticErrors() {
    int max = Integer.MAX_VALUE;
    ConfigException tensor = assertThrows(ConfigException.class,
        () -> SizeGuard.network("model.hidden", "100000,100000", new int[] {3, 100_000, 100_000, 1}, 4, Long.MAX_VALUE));
    assertTrue(tensor.getMessage().contains("W1 would have 100000 × 100000 = 10000000000 entries"), tensor.getMessage());
    // Widths of 2^31 − 1: the first W that fits no array is named (W0 is 2^31 − 1 entries, above the limit).
    ConfigException big = assertThrows(ConfigException.class,
        () -> SizeGuard.network("report.widths", "x", new int[] {1, max, max, max, 1}, 4, Long.MAX_VALUE));
    assertTrue(big.getMessage().contains("W0 would have 2147483647 × 1 = 2147483647 entries"), big.getMessage());
    // Many layers that each fit: the sum of their sizes and the copies overflow a long, still refused.
    int[] deep = new int[5000];
    java.util.Arrays.fill(deep, 40_000);
    ConfigException sum = assertThrows(ConfigException.class,
        () -> SizeGuard.network("model.hidden", "deep", deep, Integer.MAX_VALUE, Long.MAX_VALUE - 1));
    assertTrue(sum.getMessage().contains("parameters"), sum.getMessage());
  }

  @Test
  void theGaussianMappingsMatrixAndTheMappedWidthAreBounded() {
    ConfigException b = assertThrows(ConfigException.class,
        () -> SizeGuard.mapping(InputMapping.Kind.GAUSSIAN, 3, 100_000_000, GIB));
    assertTrue(b.getMessage().contains("draws B of 100000000 × 3 = 300000000 entries"), b.getMessage());
    ConfigException width = assertThrows(ConfigException.class,
        () -> SizeGuard.mapping(InputMapping.Kind.POSITIONAL, 1000, 2_000_000, GIB));
    assertTrue(width.getMessage().contains("4000000000 network inputs per row"), width.getMessage());
    assertDoesNotThrow(() -> SizeGuard.mapping(InputMapping.Kind.GAUSSIAN, 2, 256, GIB));
  }

  @Test
  void theBlockCountIsBoundedAndTheSmallestSufficientBlockSizeNamed() {
    assertEquals(2_001_000, SizeGuard.blockCount(2000, 0, 1));
    assertEquals(3 + 2 * 2, SizeGuard.blockCount(4, 3, 2));
    ConfigException e = assertThrows(ConfigException.class, () -> SizeGuard.blocks(2000, 0, 1, true));
    assertTrue(e.getMessage().contains("kernel.blockSize = 1 cuts 2000 training rows into 2001000 Gram blocks"),
        e.getMessage());
    // 2000 rows in blocks of 5: 400 row blocks, 80,200 pairs, within the bound; of 4: 125,250, beyond it.
    assertTrue(e.getMessage().contains("Set kernel.blockSize ≥ 5"), e.getMessage());
    assertDoesNotThrow(() -> SizeGuard.blocks(2000, 0, 5, true));
    ConfigException auto = assertThrows(ConfigException.class, () -> SizeGuard.blocks(100_000, 50_000, 16, false));
    assertTrue(auto.getMessage().contains("the automatic kernel.blockSize = 16"), auto.getMessage());
  }

  /**
   * Nyström regression builds only the kernels against its centres: 540,000 training and 10,000
   * test rows against 10,000 centres in blocks of 1024 are (528 + 10) × 10 = 5,380 blocks, where
   * the whole Gram's plan would be 139,656 and refused; 1,000,000 rows against 200,000 centres in
   * blocks of 256 are refused with the smallest sufficient size.
   */
  @Test
  void nystromCountsOnlyTheBlocksAgainstItsCentres() {
    assertThrows(ConfigException.class, () -> SizeGuard.blocks(540_000, 10_000, 1024, false));
    assertDoesNotThrow(() -> SizeGuard.centerBlocks(540_000, 10_000, 10_000, 1024, false));
    ConfigException e = assertThrows(ConfigException.class,
        () -> SizeGuard.centerBlocks(1_000_000, 0, 200_000, 256, true));
    assertTrue(e.getMessage().contains("kernel.blockSize = 256 cuts 1000000 training rows into 3055274 Gram blocks"),
        e.getMessage());
    // ⌈10⁶/1419⌉ · ⌈2·10⁵/1419⌉ = 705 · 141 = 99,405 ≤ 100,000; with 1418: 706 · 142 = 100,252
    assertTrue(e.getMessage().contains("Set kernel.blockSize ≥ 1419"), e.getMessage());
  }

  @Test
  void recordedSnapshotsAndCirclePointsAreBoundedByTheDriverHeap() {
    ConfigException steps = assertThrows(ConfigException.class,
        () -> SizeGuard.records(2_000_000_000, 1, 20, 0, 1, GIB));
    assertTrue(steps.getMessage().contains("records 2000000002 snapshots of 20 predictions"), steps.getMessage());
    assertDoesNotThrow(() -> SizeGuard.records(2_000_000_000, null, 20, 0, 1, GIB));
    assertDoesNotThrow(() -> SizeGuard.records(1000, 1, 400, 200, 2, GIB));
    ConfigException points = assertThrows(ConfigException.class,
        () -> SizeGuard.circlePoints(1_000_000_000, new int[] {500, 10000}, 10, 3, GIB));
    assertTrue(points.getMessage().contains("report.points = 1000000000"), points.getMessage());
    assertDoesNotThrow(() -> SizeGuard.circlePoints(101, new int[] {500, 10000}, 10, 3, GIB));
  }

  @Test
  void theImageReportsSizeIsCheckedBeforeAnyImageIsResampled(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ConfigException e = assertThrows(ConfigException.class, () -> FourierImageReport.run(null,
        org.sparkntk.config.JobConfig.of(java.util.Map.of("report.type", "image", "report.imageSize", "100000",
            "kernel.maxDriverBytes", "1g", "output.dir", dir.resolve("out").toString()))));
    assertTrue(e.getMessage().contains("report.imageSize = 100000 gives 2500000000 training and 7500000000 test "
        + "pixels, whose kernels need about"), e.getMessage());
  }

  @Test
  void anImageBeyondTheDriverGoesToTheDistributedBackendUnlessTheDriverIsAskedFor() {
    // 512²: N = 65,536 training and M = 196,608 test pixels; dense kernels 160 GiB, distributed about 0.6 GiB.
    org.sparkntk.config.JobConfig auto = org.sparkntk.config.JobConfig.of(java.util.Map.of("report.type", "image"));
    assertDoesNotThrow(() -> SizeGuard.imagePixels(auto, 512, 6, 200, 8 * GIB));
    ConfigException driver = assertThrows(ConfigException.class, () -> SizeGuard.imagePixels(
        auto.with("solver.backend", "driver"), 512, 6, 200, 8 * GIB));
    assertTrue(driver.getMessage().contains("report.imageSize = 512 gives 65536 training and 196608 test pixels, "
        + "whose kernels need about 160.00 GiB"), driver.getMessage());
    assertThrows(ConfigException.class, () -> SizeGuard.imagePixels(auto, 512, 6, 200, GIB / 4));
  }

  @Test
  void randomFeaturesAreBoundedByTheirDraws() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> SizeGuard.randomFeatures("kernel.features", 2_000_000_000L, 3, 1, GIB));
    assertTrue(e.getMessage().contains("kernel.features = 2000000000 random features"), e.getMessage());
    assertDoesNotThrow(() -> SizeGuard.randomFeatures("kernel.features", 1024, 3, 1, GIB));
  }
}
