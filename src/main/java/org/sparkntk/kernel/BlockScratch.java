package org.sparkntk.kernel;

/**
 * Work arrays that a kernel block needs only while it is computed (Σ of the analytic recursion,
 * the structured kernel's per-layer Grams), one set per thread and reused from block to block. A
 * block's arrays are megabytes (8 MiB at 1024 × 1024), and fresh ones cost twice: zeroing, and on
 * a VM whose host backs memory on first touch, the page faults of heap the JVM has just grown into
 * (about 2–3 ms per MiB there, as much as the block's own GEMM; docs/BENCHMARKS.md, "Where the
 * dense Gram's time goes"). A thread keeps its largest arrays: a few times the largest block.
 *
 * <p>The contents are whatever the thread's previous block left: callers overwrite what they
 * read. Never return a scratch array as a result.
 */
public final class BlockScratch {
  /** Slots per thread for each element type. */
  public static final int SLOTS = 2;

  private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[SLOTS][0]);
  private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[SLOTS][0]);

  private BlockScratch() {}

  /** This thread's double array in {@code slot}, at least {@code length} long. */
  public static double[] doubles(int slot, int length) {
    double[][] arrays = DOUBLES.get();
    if (arrays[slot].length < length) {
      arrays[slot] = new double[length];
    }
    return arrays[slot];
  }

  /** This thread's float array in {@code slot}, at least {@code length} long. */
  public static float[] floats(int slot, int length) {
    float[][] arrays = FLOATS.get();
    if (arrays[slot].length < length) {
      arrays[slot] = new float[length];
    }
    return arrays[slot];
  }
}
