package org.sparkntk.kernel;

/**
 * A dense kernel matrix on the driver: row-major [rows × cols] where rows = N·k, cols = M·k and
 * k = kernel rows per example (1 for trace, O for full; index i·k + a).
 */
public record GramMatrix(int rows, int cols, int rowsPerExample, double[] data) {
  public GramMatrix {
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException("kernel data has " + data.length + " entries, expected "
          + rows + " × " + cols);
    }
  }

  public double get(int i, int j) {
    return data[i * cols + j];
  }

  /** Bytes a dense float64 matrix of this shape takes. */
  public static long denseBytes(long rows, long cols) {
    return 8L * rows * cols;
  }
}
