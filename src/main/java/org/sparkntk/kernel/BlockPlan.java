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
}
