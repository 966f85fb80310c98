package org.sparkntk.pipeline;

import org.sparkntk.config.ConfigException;
import org.sparkntk.solver.Solvers;

/**
 * The collect guard: the dense kernels and the solver's workspace must fit in the driver before
 * anything is computed, as Spark's BlockMatrix estimates before collecting.
 */
public final class DriverMemory {
  private DriverMemory() {}

  /** Dense n×n copies each solver holds ({@link org.sparkntk.solver.Solver#denseTrainCopies()}). */
  static int trainCopies(String solver) {
    return trainCopies(solver, false);
  }

  /**
   * With output.spectrum the decomposition (K, V and dsyevd's ~2n² workspace) comes first and V stays
   * until the outputs are written, so the peak is four copies whatever the solver (K, V and the
   * factor for regression are three).
   */
  static int trainCopies(String solver, boolean spectrum) {
    int solverCopies = Solvers.of(solver).denseTrainCopies();
    return spectrum ? Math.max(4, solverCopies) : solverCopies;
  }

  static long estimateBytes(long n, long m, int k, String solver) {
    return estimateBytes(n, m, k, solver, false);
  }

  static long estimateBytes(long n, long m, int k, String solver, boolean spectrum) {
    long trainSide = n * k;
    long testSide = m * k;
    long cross = 8L * testSide * trainSide * Solvers.of(solver).denseCrossCopies();
    return 8L * trainSide * trainSide * trainCopies(solver, spectrum) + cross;
  }

  /**
   * The heap beside the dense kernels at the driver's peak: Spark, the rows, and the blocks being
   * computed and placed. Blocks reach the dense arrays one at a time (placed by the tasks
   * themselves in an embedded run, at most two tiles of bounded size on a cluster), so this part
   * does not grow with the kernels. Measured (live heap after collections, GC log) on the
   * Fashion-MNIST job with the dense path, docs/BENCHMARKS.md, "Where the dense Gram's time goes":
   * 20,000 training rows, 4.47 GiB of kernels, peak 5.42–5.74 GiB; 30,000 rows, 8.94 GiB, peak
   * 10.1–10.7 GiB. The estimate {@link #peakBytes} is 2–7 % below them. In an embedded run the
   * row blocks prepared for a Gram stay in this heap while it is built
   * (org.sparkntk.blocks.PreparedInDriver), at most half the Gram's bytes and so within the 1.5×
   * bound, but not in the estimate: an analytic kernel's are its rows (125 MB at 20,000 rows of 784
   * features); a structured kernel's can be larger (0.6 GiB beside a 2 GiB Gram at width 1024,
   * whose live peak was 3.53 GiB against the estimate's 3 GiB, 15 % below; docs/BENCHMARKS.md,
   * "Prepared blocks kept in the driver's JVM").
   */
  static final long FIXED_HEAP = 1L << 30;

  /**
   * Heap per byte of kernels that the default limit leaves: the bound on the driver's peak
   * heap, 1.5× the kernels plus {@link #FIXED_HEAP}, which keeps room for the collector to work in
   * (the 20,000-row job ran in a heap of exactly that size in 1 min 44 s, against 1 min 31 s with
   * ./submit's default heap).
   */
  static final double HEAP_PER_KERNEL_BYTE = 1.5;

  /** The driver's estimated peak heap for dense kernels and workspace of {@code kernelBytes}. */
  static long peakBytes(long kernelBytes) {
    return kernelBytes + FIXED_HEAP;
  }

  /**
   * The kernel bytes a driver heap of {@code maxHeap} holds: (heap − 1 GiB) / 1.5, or half the heap
   * where that is more (heaps below 4 GiB, where Spark's own share is smaller than the 1 GiB
   * measured beside a 20,000-row job; a test JVM of 768 MiB holds small Grams).
   */
  static long limitFor(long maxHeap) {
    return Math.max(maxHeap / 2, (long) (Math.max(0, maxHeap - FIXED_HEAP) / HEAP_PER_KERNEL_BYTE));
  }

  public static long defaultLimit() {
    return limitFor(Runtime.getRuntime().maxMemory());
  }

  /** Stops the job, before any kernel work, when the estimate exceeds the limit (null: default). */
  static void check(long n, long m, int k, String solver, Long limitOrNull) {
    check(n, m, k, solver, false, limitOrNull);
  }

  static void check(long n, long m, int k, String solver, boolean spectrum, Long limitOrNull) {
    long limit = limitOrNull != null ? limitOrNull : defaultLimit();
    if (estimateBytes(n, m, k, solver, spectrum) > limit) {
      throw new ConfigException(refusal(n, m, k, solver, spectrum, limitOrNull));
    }
  }

  /** The message of a dense job that does not fit: the sizes, the estimate, the limit and what to change. */
  static String refusal(long n, long m, int k, String solver, boolean spectrum, Long limitOrNull) {
    long limit = limitOrNull != null ? limitOrNull : defaultLimit();
    long need = estimateBytes(n, m, k, solver, spectrum);
    return String.format(
        "the kernels do not fit in the driver: %d training rows × %d kernel rows per example (kernel.outputs) "
            + "give a %d × %d Gram%s, and solver.type = %s%s needs about %s on the driver in all; the limit is %s "
            + "(kernel.maxDriverBytes%s). Use kernel.outputs = trace, fewer training rows, or a larger "
            + "spark.driver.memory together with kernel.maxDriverBytes.",
        n, k, n * k, n * k, m > 0 ? String.format(" and a %d × %d cross kernel", m * k, n * k) : "", solver,
        spectrum ? " with output.spectrum = true" : "", human(need), human(limit), limitOrNull != null ? ""
            : ", by default the larger of (max heap − 1 GiB) / 1.5 and half the max heap, for the driver's "
            + "max heap of " + human(Runtime.getRuntime().maxMemory()));
  }


  static String human(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }
    if (bytes >= 1L << 20) {
      return String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
    return bytes + " bytes";
  }
}
