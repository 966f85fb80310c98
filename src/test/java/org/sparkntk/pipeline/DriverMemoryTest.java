package org.sparkntk.pipeline;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkntk.config.ConfigException;

/** The collect guard: the estimate by hand, and the message a user sees when it trips. */
class DriverMemoryTest {
  private static final long MIB = 1L << 20;

  /**
   * Expected bytes written out from the solvers' working sets: an n·k × n·k float64 training
   * kernel held once by steps and by regression (K factored in place and restored), four times by flow
   * (K, V and dsyevd's ~2(nk)² workspace); the m·k × n·k cross kernel once, twice for flow (Θ* V).
   */
  @Test
  void estimateCountsKernelCopiesPerSolver() {
    long n = 1000;
    long m = 300;
    long kernel = 8 * 1000 * 1000;
    long cross = 8 * 300 * 1000;
    assertEquals(kernel + cross, DriverMemory.estimateBytes(n, m, 1, "steps"));
    assertEquals(kernel + cross, DriverMemory.estimateBytes(n, m, 1, "regression"));
    assertEquals(4 * kernel + 2 * cross, DriverMemory.estimateBytes(n, m, 1, "flow"));
    assertEquals(4 * kernel, DriverMemory.estimateBytes(n, 0, 1, "flow"), "no test rows: no cross kernel");

    // A full kernel with k = 3 rows per example is 9× the training kernel and 9× the cross kernel.
    assertEquals(9 * (kernel + cross), DriverMemory.estimateBytes(n, m, 3, "steps"));
    assertEquals(9 * (4 * kernel + 2 * cross), DriverMemory.estimateBytes(n, m, 3, "flow"));
  }

  /**
   * output.spectrum decomposes the training kernel (K, V, dsyevd's ~2(nk)² workspace) whatever the
   * solver: four copies at the peak; flow shares that decomposition, so it needs no more.
   */
  @Test
  void theSpectrumCountsFourKernelCopies() {
    long kernel = 8 * 1000 * 1000;
    long cross = 8 * 300 * 1000;
    assertEquals(4 * kernel + cross, DriverMemory.estimateBytes(1000, 300, 1, "steps", true));
    assertEquals(4 * kernel + cross, DriverMemory.estimateBytes(1000, 300, 1, "regression", true));
    assertEquals(4 * kernel + 2 * cross, DriverMemory.estimateBytes(1000, 300, 1, "flow", true));
    assertEquals(DriverMemory.estimateBytes(1000, 300, 1, "steps"),
        DriverMemory.estimateBytes(1000, 300, 1, "steps", false));
    ConfigException e = assertThrows(ConfigException.class,
        () -> DriverMemory.check(1000, 300, 1, "steps", true, 4 * kernel));
    assertContains(e.getMessage(), "solver.type = steps with output.spectrum = true");
  }

  @Test
  void estimateDoesNotOverflowForLargeKernels() {
    // 10⁶ rows × 10 outputs: (10⁷)² · 8 B · 4 = 3.2e15 bytes, beyond int but well inside long.
    assertEquals(4L * 8L * 10_000_000L * 10_000_000L, DriverMemory.estimateBytes(1_000_000, 0, 10, "flow"));
    assertTrue(DriverMemory.estimateBytes(3_000_000, 3_000_000, 1, "steps") > 0);
  }

  @Test
  void checkPassesUpToTheLimit() {
    long need = DriverMemory.estimateBytes(500, 100, 2, "regression");
    assertEquals(8L * 1000 * 1000 + 8L * 200 * 1000, need);
    assertDoesNotThrow(() -> DriverMemory.check(500, 100, 2, "regression", need));
    assertThrows(ConfigException.class, () -> DriverMemory.check(500, 100, 2, "regression", need - 1));
  }

  /**
   * 2048 rows, full kernel with 2 outputs, steps: a 4096 × 4096 Gram = 128 MiB (+ a 256 × 4096
   * cross kernel = 8 MiB), against a 100 MiB limit.
   */
  @Test
  void messageNamesEstimateLimitAndTheWayOut() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> DriverMemory.check(2048, 128, 2, "steps", 100 * MIB));
    String msg = e.getMessage();
    assertContains(msg, String.format("%.1f MiB", 136.0));
    assertContains(msg, String.format("%.1f MiB", 100.0));
    assertContains(msg, "4096 × 4096");
    assertContains(msg, "256 × 4096 cross kernel");
    assertContains(msg, "solver.type = steps");
    assertContains(msg, "kernel.maxDriverBytes");
    assertContains(msg, "kernel.outputs = trace");
  }

  @Test
  void messageWithTheDefaultLimitSaysWhereItComesFrom() {
    // 10⁶ training rows: an 8 TB kernel, above any test JVM's heap.
    long need = DriverMemory.estimateBytes(1_000_000, 0, 1, "steps");
    assertTrue(need > DriverMemory.defaultLimit());
    ConfigException e = assertThrows(ConfigException.class, () -> DriverMemory.check(1_000_000, 0, 1, "steps", null));
    assertContains(e.getMessage(), String.format("%.2f GiB", need / (double) (1L << 30)));
    assertContains(e.getMessage(), "the larger of (max heap − 1 GiB) / 1.5 and half the max heap");
    assertContains(e.getMessage(), "kernel.outputs = trace");
    assertTrue(!e.getMessage().contains("cross kernel"), "no test rows, no cross kernel: " + e.getMessage());
    assertEquals(DriverMemory.limitFor(Runtime.getRuntime().maxMemory()), DriverMemory.defaultLimit());
  }

  /**
   * The guard admits kernels up to (heap − 1 GiB) / 1.5 (half the heap below 4 GiB): the bound on
   * the driver's peak heap, 1.5× the kernels plus 1 GiB, solved for the kernels. The 20,000-row Fashion-MNIST job (4.47 GiB of
   * kernels) measured a 5.72 GiB live peak and ran with -Xmx7891m, the smallest heap this admits
   * it in.
   */
  @Test
  void theDefaultLimitLeavesHalfAgainAndAGibibyte() {
    long kernels = DriverMemory.estimateBytes(20_000, 10_000, 1, "regression");
    assertEquals(8L * (20_000L * 20_000 + 10_000L * 20_000), kernels);
    long smallestHeap = 7891L << 20;
    assertTrue(DriverMemory.limitFor(smallestHeap) >= kernels);
    assertTrue(DriverMemory.limitFor(smallestHeap - (16L << 20)) < kernels);
    assertEquals(2L << 30, DriverMemory.limitFor(4L << 30));
    assertEquals(384L << 20, DriverMemory.limitFor(768L << 20), "small heaps keep half the heap");
    assertEquals(3L << 29, DriverMemory.limitFor(3L << 30), "half the heap below 4 GiB, where the rules meet");
    assertEquals((long) ((5L << 30) / 1.5), DriverMemory.limitFor(6L << 30));
  }

  /**
   * The peak estimate is the kernels plus 1 GiB. Measured once, outside the tests (GC log, live
   * heap after collections; docs/BENCHMARKS.md): 5.42–5.74 GiB for the 20,000-row Fashion-MNIST job
   * and 10.1–10.7 GiB at 30,000 rows. The estimate is within 20 % of these, as the formula gives it.
   */
  @Test
  void thePeakEstimateIsTheKernelsAndAGibibyte() {
    long kernels20k = DriverMemory.estimateBytes(20_000, 10_000, 1, "regression");
    long kernels30k = DriverMemory.estimateBytes(30_000, 10_000, 1, "regression");
    assertEquals(kernels20k + (1L << 30), DriverMemory.peakBytes(kernels20k));
    double gib = 1L << 30;
    assertEquals(5.72, DriverMemory.peakBytes(kernels20k) / gib, 0.2 * 5.72);
    assertEquals(10.4, DriverMemory.peakBytes(kernels30k) / gib, 0.2 * 10.4);
  }

  @Test
  void humanSizes() {
    assertEquals("1023 bytes", DriverMemory.human(1023));
    assertEquals(String.format("%.1f MiB", 1.5), DriverMemory.human(3 * MIB / 2));
    assertEquals(String.format("%.2f GiB", 2.25), DriverMemory.human(9L << 28));
  }

  private static void assertContains(String message, String part) {
    assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
  }
}
