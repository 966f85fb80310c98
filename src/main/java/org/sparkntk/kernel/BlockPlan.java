package org.sparkntk.kernel;

import java.io.Serializable;

/**
 * Rows 0 … N−1 cut into consecutive blocks of {@code blockSize} rows (the last may be shorter).
 * The plan depends only on N and the block size, never on how Spark partitions the data, so the
 * same rows always meet in the same GEMMs.
 */
public record BlockPlan(long totalRows, int blockSize) implements Serializable {
  public BlockPlan {
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    if (totalRows < 0) {
      throw new IllegalArgumentException("row count must be non-negative, got " + totalRows);
    }
  }

  public int blockCount() {
    return Math.toIntExact((totalRows + blockSize - 1) / blockSize);
  }

  public int blockOf(long row) {
    return (int) (row / blockSize);
  }

  public long start(int block) {
    return (long) block * blockSize;
  }

  public int rows(int block) {
    return (int) Math.min(blockSize, totalRows - start(block));
  }

  /** Number of blocks (I, J) with I ≤ J of the symmetric Gram. */
  public long upperTrianglePairs() {
    long b = blockCount();
    return b * (b + 1) / 2;
  }

  /** The largest block size the automatic rule picks. */
  public static final int MAX_AUTO_BLOCK = 1024;

  /**
   * The automatic block size (kernel.blockSize = auto): the largest power of two ≤ 1024 whose
   * prepared block and kernel block each take at most 1/8 of a task's memory {@code taskBudget}
   * (so that a tile of several blocks fits), reduced so that there are at least √(8·cores) row
   * blocks (≥ 4·cores block pairs) for {@code parallelism} task slots.
   */
  public static int autoBlockSize(BlockKernel<?> kernel, long rows, int parallelism, long taskBudget) {
    int k = kernel.rowsPerExample();
    int b = MAX_AUTO_BLOCK;
    while (b > 1 && (kernel.preparedBytes(b) > taskBudget / 8 || 8L * b * k * b * k > taskBudget / 8)) {
      b /= 2;
    }
    int minBlocks = (int) Math.ceil(Math.sqrt(8.0 * parallelism));
    while (b > 16 && (rows + b - 1) / b < minBlocks) {
      b /= 2;
    }
    return b;
  }
}
