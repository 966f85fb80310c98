package org.sparkntk.kernel;

import java.io.Serializable;

/**
 * A kernel computed block by block, the unit of work of the distributed Gram.
 *
 * <p>{@link #prepare} runs once per block of rows on an executor and returns what the block
 * contributes (per-sample Jacobians, layer factors, norms…); {@link #block} turns two prepared
 * blocks I, J into the kernel block K(X_I, X_J). Implementations are plain Java, no Spark.
 *
 * @param <F> the per-block representation shipped between executors
 */
public interface BlockKernel<F extends Serializable> extends Serializable {

  /** What a block of {@code rows} inputs (row-major [rows × inputs]) contributes. */
  F prepare(double[] x, int rows);

  /** Rows of the prepared block. */
  int rows(F prepared);

  /** Kernel rows per data row (1 for a trace kernel, O for a full one). */
  int rowsPerExample();

  /**
   * The row-major kernel block [rows(left)·k × rows(right)·k], k = {@link #rowsPerExample()};
   * entry (i·k + a, j·k + b) is K_ab(x_i, x'_j).
   */
  double[] block(F left, F right);

  /**
   * {@link #block}, written into {@code out} when it has exactly the block's length and the kernel
   * can (the array returned is then {@code out}), or into a new array otherwise ({@code out} may be
   * null). For a caller that is done with each block before it asks for the next, such as a task
   * placing blocks in the driver's dense Gram: one array then serves every block of its tile, where
   * a new array per block costs zeroing and, in heap the JVM has just grown into, page faults
   * (docs/BENCHMARKS.md, "Where the dense Gram's time goes").
   */
  default double[] block(F left, F right, double[] out) {
    return block(left, right);
  }

  /** Estimated bytes of one prepared block of {@code rows} rows, for choosing block sizes. */
  long preparedBytes(int rows);

  /** Multiply-adds of one block of the given row counts (for timings and GFLOP/s). */
  double blockFlops(int leftRows, int rightRows);

  /** A short human description, for logs and Spark job descriptions. */
  String describe();
}
