package org.sparkntk.solver;

import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.commons.math3.transform.DftNormalization;
import org.apache.commons.math3.transform.FastFourierTransformer;
import org.apache.commons.math3.transform.TransformType;

/**
 * A stationary kernel between points of an L × L lattice, Θ_ij = κ(p_i − q_j), seen only through
 * its products, which are 2-D convolutions computed by FFT: O(P² log P) time and O(P²) memory per
 * column for a P × P transform, against O(rows · cols) for a stored matrix. Nothing of size
 * rows × cols exists.
 *
 * <p>This is the fast Toeplitz product in two dimensions: a matrix whose entries depend only on
 * the offset between lattice points is block Toeplitz with Toeplitz blocks, and it embeds in a
 * circulant whose products are diagonal in the Fourier basis (Golub & Van Loan, Matrix
 * Computations, 4th ed., §4.8.2, and Chan & Ng, "Conjugate gradient methods for Toeplitz systems",
 * SIAM Review 1996, §2). Offsets d ∈ (−L, L)² are placed at d mod P with P ≥ 2L − 1, where no two
 * of them meet, so the cyclic convolution of the zero-padded column with the embedded κ equals the
 * linear one at every lattice point. κ is real, so two real columns u, w go through one complex
 * transform: κ ∗ (u + iw) = κ ∗ u + i κ ∗ w.
 *
 * <p>The transforms are commons-math's radix-2 FFT (on Spark's class path), applied to the rows
 * and then the columns of the P × P array; pairs of columns run in parallel.
 */
public final class GridKernelOperator implements KernelOperator {
  private final int side;
  private final int fftSide;
  /** The P × P transform of the embedded κ: real and imaginary parts, row-major. */
  private final double[][] spectrum;
  /** Positions of the row points and the column points in the P × P array, r·P + c. */
  private final int[] rowCells;
  private final int[] colCells;
  private final AtomicLong products = new AtomicLong();

  /**
   * @param side      L, the lattice's points per side
   * @param kernel    κ at every offset (dr, dc) ∈ (−L, L)², row-major [(2L − 1) × (2L − 1)]: entry
   *                  (dr + L − 1)(2L − 1) + dc + L − 1
   * @param rowPoints the matrix's row points, as lattice indices r·L + c
   * @param colPoints the matrix's column points, as lattice indices r·L + c
   */
  public GridKernelOperator(int side, double[] kernel, int[] rowPoints, int[] colPoints) {
    if (side < 1 || side > (1 << 14)) {
      throw new IllegalArgumentException("lattice side must be in [1, 16384], got " + side);
    }
    int width = 2 * side - 1;
    if (kernel.length != (long) width * width) {
      throw new IllegalArgumentException("κ has " + kernel.length + " offsets, expected (2L − 1)² = " + width + "²");
    }
    this.side = side;
    this.fftSide = Integer.highestOneBit(width) == width ? width : Integer.highestOneBit(width) << 1;
    this.rowCells = cells(rowPoints, "row");
    this.colCells = cells(colPoints, "column");
    int p = fftSide;
    double[] re = new double[p * p];
    double[] im = new double[p * p];
    for (int dr = -(side - 1); dr < side; dr++) {
      for (int dc = -(side - 1); dc < side; dc++) {
        double value = kernel[(dr + side - 1) * width + dc + side - 1];
        if (!Double.isFinite(value)) {
          throw new IllegalArgumentException("κ(" + dr + ", " + dc + ") = " + value);
        }
        re[Math.floorMod(dr, p) * p + Math.floorMod(dc, p)] = value;
      }
    }
    transform(re, im, p, TransformType.FORWARD);
    this.spectrum = new double[][] {re, im};
  }

  private int[] cells(int[] points, String what) {
    int[] out = new int[points.length];
    for (int i = 0; i < points.length; i++) {
      int q = points[i];
      if (q < 0 || q >= side * side) {
        throw new IllegalArgumentException(what + " point " + i + " is lattice index " + q + ", outside [0, "
            + side * side + ")");
      }
      out[i] = (q / side) * fftSide + q % side;
    }
    return out;
  }

  @Override
  public int rows() {
    return rowCells.length;
  }

  @Override
  public int cols() {
    return colCells.length;
  }

  @Override
  public int rowsPerExample() {
    return 1;
  }

  /** P, the side of the transforms. */
  public int fftSide() {
    return fftSide;
  }

  @Override
  public double[] apply(double[] v, int c) {
    if (c < 1 || v.length != (long) colCells.length * c) {
      throw new IllegalArgumentException("Θ V: V has " + v.length + " entries, expected " + colCells.length + " × " + c);
    }
    double[] out = new double[rowCells.length * c];
    int pairs = (c + 1) / 2;
    IntStream.range(0, pairs).parallel().forEach(pair -> convolvePair(v, c, 2 * pair, out));
    products.incrementAndGet();
    return out;
  }

  /** Columns t and t + 1 (if any) of Θ V into {@code out}; disjoint entries per pair. */
  private void convolvePair(double[] v, int c, int t, double[] out) {
    int p = fftSide;
    boolean two = t + 1 < c;
    double[] re = new double[p * p];
    double[] im = new double[p * p];
    for (int j = 0; j < colCells.length; j++) {
      re[colCells[j]] = v[j * c + t];
      if (two) {
        im[colCells[j]] = v[j * c + t + 1];
      }
    }
    transform(re, im, p, TransformType.FORWARD);
    double[] kr = spectrum[0];
    double[] ki = spectrum[1];
    for (int e = 0; e < re.length; e++) {
      double a = re[e];
      double b = im[e];
      re[e] = a * kr[e] - b * ki[e];
      im[e] = a * ki[e] + b * kr[e];
    }
    transform(re, im, p, TransformType.INVERSE);
    for (int i = 0; i < rowCells.length; i++) {
      out[i * c + t] = re[rowCells[i]];
      if (two) {
        out[i * c + t + 1] = im[rowCells[i]];
      }
    }
  }

  /** The 2-D DFT of the P × P array (re, im) in place; INVERSE includes the 1/P² factor. */
  private static void transform(double[] re, double[] im, int p, TransformType type) {
    double[][] line = new double[2][p];
    for (int r = 0; r < p; r++) {
      System.arraycopy(re, r * p, line[0], 0, p);
      System.arraycopy(im, r * p, line[1], 0, p);
      FastFourierTransformer.transformInPlace(line, DftNormalization.STANDARD, type);
      System.arraycopy(line[0], 0, re, r * p, p);
      System.arraycopy(line[1], 0, im, r * p, p);
    }
    for (int col = 0; col < p; col++) {
      for (int r = 0; r < p; r++) {
        line[0][r] = re[r * p + col];
        line[1][r] = im[r * p + col];
      }
      FastFourierTransformer.transformInPlace(line, DftNormalization.STANDARD, type);
      for (int r = 0; r < p; r++) {
        re[r * p + col] = line[0][r];
        im[r * p + col] = line[1][r];
      }
    }
  }

  @Override
  public long products() {
    return products.get();
  }

  @Override
  public String describe() {
    return String.format("stationary kernel on a %d × %d lattice, %d × %d, products by %d × %d FFTs", side, side,
        rowCells.length, colCells.length, fftSide, fftSide);
  }
}
