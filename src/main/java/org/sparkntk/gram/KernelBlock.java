package org.sparkntk.gram;

import java.io.Serializable;
import org.sparkntk.linalg.Blas;

/**
 * One kernel block Θ_IJ kept where it was computed, in float64 or float32 (half the storage;
 * products still accumulate in float64), and its contribution to a product Θ V (NTK products
 * by blocks, e.g. Adlam et al. 2023, §3):
 * <pre>
 *   (Θ V)_I += Θ_IJ V_J,   and for a block of the upper triangle of a symmetric Θ with I ≠ J
 *   (Θ V)_J += Θ_IJᵀ V_I.
 * </pre>
 * Both terms are taken in one pass over the block, a chunk of {@link #CHUNK_ROWS} rows at a time
 * (converted to float64 when stored as float32): the chunk stays in cache for its two GEMMs, so
 * the block is read from memory once per product, which is what bounds a product's time.
 *
 * @param row  block row I
 * @param col  block column J
 * @param rows rows of the block (rows of block I times the kernel rows per example)
 * @param cols columns of the block
 * @param f64  row-major entries in float64, or null
 * @param f32  row-major entries in float32, or null
 */
public record KernelBlock(int row, int col, int rows, int cols, double[] f64, float[] f32) implements Serializable {
  /** Rows per chunk: 64 rows × 1024 columns of float64 are 512 KiB, an L2 cache's worth. */
  static final int CHUNK_ROWS = 64;

  public KernelBlock {
    if ((f64 == null) == (f32 == null)) {
      throw new IllegalArgumentException("a kernel block holds either float64 or float32 entries");
    }
    long length = f64 != null ? f64.length : f32.length;
    if (length != (long) rows * cols) {
      throw new IllegalArgumentException("kernel block (" + row + ", " + col + ") has " + length + " entries, expected "
          + rows + " × " + cols);
    }
  }

  /** The block of {@code data} stored in {@code precision}. */
  public static KernelBlock of(int row, int col, int rows, int cols, double[] data, Precision precision) {
    if (precision == Precision.FLOAT64) {
      return new KernelBlock(row, col, rows, cols, data, null);
    }
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) data[i];
    }
    return new KernelBlock(row, col, rows, cols, null, f);
  }

  /** Bytes of the stored entries. */
  public long bytes() {
    return f64 != null ? 8L * f64.length : 4L * f32.length;
  }

  /** The entries in float64 (a copy when stored as float32). */
  public double[] toDoubles() {
    if (f64 != null) {
      return f64;
    }
    double[] d = new double[f32.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = f32[i];
    }
    return d;
  }

  /**
   * out_I += Θ_IJ V_J and, when {@code mirror}, out_J += Θ_IJᵀ V_I, with V row-major [· × c] and
   * the block's rows at row {@code vRowI} of V, its columns at row {@code vRowJ}.
   *
   * @param outI row-major [rows × c]
   * @param outJ row-major [cols × c], or null without the mirror term
   */
  public void multiplyInto(double[] v, int vRowI, int vRowJ, int c, double[] outI, double[] outJ, boolean mirror) {
    Blas blas = Blas.get();
    double[] chunk = f64 != null ? null : new double[Math.min(CHUNK_ROWS, rows) * cols];
    for (int r0 = 0; r0 < rows; r0 += CHUNK_ROWS) {
      int r = Math.min(CHUNK_ROWS, rows - r0);
      double[] a;
      int offset;
      if (f64 != null) {
        a = f64;
        offset = r0 * cols;
      } else {
        for (int i = 0, at = r0 * cols; i < r * cols; i++) {
          chunk[i] = f32[at + i];
        }
        a = chunk;
        offset = 0;
      }
      if (c == 1) {
        // One column: GEMV streams the chunk at close to memory speed, GEMM with n = 1 at a third of it.
        blas.gemv(false, r, cols, 1.0, a, offset, cols, v, vRowJ, 1.0, outI, r0);
        if (mirror) {
          blas.gemv(true, r, cols, 1.0, a, offset, cols, v, vRowI + r0, 1.0, outJ, 0);
        }
        continue;
      }
      // out_I[r0 : r0 + r] += A_chunk · V_J
      blas.gemm(false, false, r, c, cols, 1.0, a, offset, cols, v, vRowJ * c, c, 1.0, outI, r0 * c, c);
      if (mirror) {
        // out_J += A_chunkᵀ · V_I[r0 : r0 + r]
        blas.gemm(true, false, cols, c, r, 1.0, a, offset, cols, v, (vRowI + r0) * c, c, 1.0, outJ, 0, c);
      }
    }
  }
}
