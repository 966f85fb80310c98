package org.sparkntk.kernel;

import java.io.IOException;

/**
 * Kernel blocks kept outside the driver's memory while a Gram is assembled, so that a job
 * restarted after its driver died computes only the blocks it does not already have. Block (I, J)
 * is row block I against column block J of the Gram's {@link BlockPlan}s, stored row-major.
 */
public interface BlockStore {
  /** Whether block (I, J) is stored and intact. */
  boolean has(int row, int col);

  /** Block (I, J), as saved. */
  double[] load(int row, int col) throws IOException;

  /**
   * Saves block (I, J); after this returns, a new store over the same place {@link #has} it. May be
   * called from several threads at once (tasks that run in the driver's JVM save their own blocks).
   */
  void save(int row, int col, double[] block) throws IOException;
}
