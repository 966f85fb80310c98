package org.sparkntk.kernel;

import java.io.Serializable;
import java.util.Arrays;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.BlockProducts;

/**
 * One kernel block Θ_IJ kept where it was computed, in float64 or float32 (half the storage;
 * products still accumulate in float64), and its contribution to a product Θ V (NTK products
 * by blocks, e.g. Adlam et al. 2023, §3):
 * <pre>
 *   (Θ V)_I += Θ_IJ V_J,   and for a block of the upper triangle of a symmetric Θ with I ≠ J
 *   (Θ V)_J += Θ_IJᵀ V_I.
 * </pre>
 * Both terms are taken in one pass over the block, one chunk of rows at a time, so the block is
 * read from memory once per product, which is what bounds a product's time: by
 * {@link BlockProducts}, which multiplies each loaded vector of entries into both terms (and
 * widens float32 in registers), where the JVM has the Vector API; otherwise by two BLAS calls per
 * chunk, the second reading the chunk from cache (after widening it into a float64 buffer when
 * stored as float32).
 *
 * <p>The entries are stored as those row chunks of at most {@value #CHUNK_BYTES} bytes, not as
 * one array. The JVM's G1 collector puts an object of half a heap region or more in whole regions
 * of its own: a 1024 × 1024 float64 block (8 MiB and a header) took two 8 MiB regions, so a Gram
 * kept in executor memory occupied up to twice its size and a 60,000-row float64 Gram ran out of
 * a 20 GiB heap. Chunks of 256 KiB are below that threshold for every region size.
 */
public final class KernelBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Largest chunk in bytes of float64: below half of G1's smallest region (1 MiB). */
  static final int CHUNK_BYTES = 256 * 1024;

  private final int row;
  private final int col;
  private final int rows;
  private final int cols;
  private final int chunkRows;
  private final double[][] f64;
  private final float[][] f32;

  /**
   * @param row  block row I
   * @param col  block column J
   * @param rows rows of the block (rows of block I times the kernel rows per example)
   * @param cols columns of the block
   * @param f64  row-major entries in float64, or null
   * @param f32  row-major entries in float32, or null
   */
  public KernelBlock(int row, int col, int rows, int cols, double[] f64, float[] f32) {
    if ((f64 == null) == (f32 == null)) {
      throw new IllegalArgumentException("a kernel block holds either float64 or float32 entries");
    }
    long length = f64 != null ? f64.length : f32.length;
    if (length != (long) rows * cols) {
      throw new IllegalArgumentException("kernel block (" + row + ", " + col + ") has " + length + " entries, expected "
          + rows + " × " + cols);
    }
    this.row = row;
    this.col = col;
    this.rows = rows;
    this.cols = cols;
    this.chunkRows = Math.max(1, CHUNK_BYTES / Double.BYTES / Math.max(1, cols));
    int chunks = (rows + chunkRows - 1) / chunkRows;
    this.f64 = f64 == null ? null : new double[chunks][];
    this.f32 = f32 == null ? null : new float[chunks][];
    for (int c = 0; c < chunks; c++) {
      int from = c * chunkRows * cols;
      int to = Math.min(rows, (c + 1) * chunkRows) * cols;
      if (f64 != null) {
        this.f64[c] = Arrays.copyOfRange(f64, from, to);
      } else {
        this.f32[c] = Arrays.copyOfRange(f32, from, to);
      }
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

  public int row() {
    return row;
  }

  public int col() {
    return col;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Bytes of the stored entries. */
  public long bytes() {
    return (f64 != null ? 8L : 4L) * rows * cols;
  }

  /** The row-major float64 entries (a new array), or null when stored as float32. */
  public double[] f64() {
    if (f64 == null) {
      return null;
    }
    double[] out = new double[rows * cols];
    for (int c = 0, at = 0; c < f64.length; at += f64[c].length, c++) {
      System.arraycopy(f64[c], 0, out, at, f64[c].length);
    }
    return out;
  }

  /** The row-major float32 entries (a new array), or null when stored as float64. */
  public float[] f32() {
    if (f32 == null) {
      return null;
    }
    float[] out = new float[rows * cols];
    for (int c = 0, at = 0; c < f32.length; at += f32[c].length, c++) {
      System.arraycopy(f32[c], 0, out, at, f32[c].length);
    }
    return out;
  }

  /** The row-major entries in float64 (a new array; widened when stored as float32). */
  public double[] toDoubles() {
    if (f64 != null) {
      return f64();
    }
    double[] d = new double[rows * cols];
    for (int c = 0, at = 0; c < f32.length; c++) {
      for (float x : f32[c]) {
        d[at++] = x;
      }
    }
    return d;
  }

  /**
   * One float64 buffer per task thread for widening a float32 chunk: a product over a float32 Gram
   * allocated a new one per block (270 MB per product at N = 32768), only to discard it.
   */
  private static final ThreadLocal<double[]> WIDENED = new ThreadLocal<>();

  private static double[] widenBuffer(int length) {
    return threadBuffer(WIDENED, length);
  }

  /**
   * out_I += Θ_IJ V_J and, when {@code mirror}, out_J += Θ_IJᵀ V_I, with V row-major [· × c] and
   * the block's rows at row {@code vRowI} of V, its columns at row {@code vRowJ}.
   *
   * @param outI row-major [rows × c], or null to compute only the mirror term (Θᵀ U)
   * @param outJ row-major [cols × c], or null without the mirror term
   */
  public void multiplyInto(double[] v, int vRowI, int vRowJ, int c, double[] outI, double[] outJ, boolean mirror) {
    if (BlockProducts.onePass() && c <= (f64 != null ? ONE_PASS_COLUMNS_F64 : ONE_PASS_COLUMNS_F32)) {
      multiplyInOnePass(v, vRowI, vRowJ, c, outI, outJ, mirror);
    } else {
      multiplyByBlas(v, vRowI, vRowJ, c, outI, outJ, mirror);
    }
  }

  /**
   * Most columns for which {@link #multiplyInto} takes the one pass: it makes one pass per column
   * over a chunk in cache, at about 30 GFLOP/s per core, while BLAS's GEMM gains with the columns.
   * Measured on one core over 24 blocks of 1024², GFLOP/s of BLAS against the one pass: float64
   * c = 10: 25 against 31, c = 16: 32 against 29, c = 64: 42 against 32; float32 c = 16: 29
   * against 36, c = 32: 37 against 34 (a Nyström preconditioner's product has hundreds of columns).
   */
  static final int ONE_PASS_COLUMNS_F64 = 12;
  static final int ONE_PASS_COLUMNS_F32 = 24;

  /**
   * {@link #multiplyInto} by {@link BlockProducts}: both terms in one pass over each chunk. With
   * c columns, each column is one pass over the chunk, which stays in cache after the first:
   * V's columns are gathered into contiguous arrays first, and the results added into out_I and
   * out_J at the end.
   */
  void multiplyInOnePass(double[] v, int vRowI, int vRowJ, int c, double[] outI, double[] outJ, boolean mirror) {
    double[] termsJ = mirror ? outJ : null;
    if (c == 1) {
      // V's column and the terms are contiguous already: no gathering.
      for (int chunk = 0, r0 = 0; r0 < rows; chunk++, r0 += chunkRows) {
        int r = Math.min(chunkRows, rows - r0);
        if (f64 != null) {
          BlockProducts.accumulate(f64[chunk], 0, r, cols, v, vRowJ, v, vRowI + r0, outI, r0, termsJ, 0);
        } else {
          BlockProducts.accumulate(f32[chunk], 0, r, cols, v, vRowJ, v, vRowI + r0, outI, r0, termsJ, 0);
        }
      }
      return;
    }
    // Column-major scratch: V_J's columns, V_I's columns, and the two terms' columns.
    double[] scratch = columnScratch(c * (2 * rows + 2 * cols));
    int vJAt = 0;
    int vIAt = c * cols;
    int outIAt = vIAt + c * rows;
    int outJAt = outIAt + c * rows;
    Arrays.fill(scratch, outIAt, outJAt + c * cols, 0.0);
    // V_J only for the direct term and V_I only for the mirror term: Θᵀ U passes a U with the
    // block's rows only.
    if (outI != null) {
      for (int j = 0; j < cols; j++) {
        for (int k = 0; k < c; k++) {
          scratch[vJAt + k * cols + j] = v[(vRowJ + j) * c + k];
        }
      }
    }
    if (mirror) {
      for (int i = 0; i < rows; i++) {
        for (int k = 0; k < c; k++) {
          scratch[vIAt + k * rows + i] = v[(vRowI + i) * c + k];
        }
      }
    }
    double[] scratchI = outI != null ? scratch : null;
    double[] scratchJ = mirror ? scratch : null;
    for (int chunk = 0, r0 = 0; r0 < rows; chunk++, r0 += chunkRows) {
      int r = Math.min(chunkRows, rows - r0);
      for (int k = 0; k < c; k++) {
        int vJ = vJAt + k * cols;
        int vI = vIAt + k * rows + r0;
        int oI = outIAt + k * rows + r0;
        int oJ = outJAt + k * cols;
        if (f64 != null) {
          BlockProducts.accumulate(f64[chunk], 0, r, cols, scratch, vJ, scratch, vI, scratchI, oI, scratchJ, oJ);
        } else {
          BlockProducts.accumulate(f32[chunk], 0, r, cols, scratch, vJ, scratch, vI, scratchI, oI, scratchJ, oJ);
        }
      }
    }
    if (outI != null) {
      for (int i = 0; i < rows; i++) {
        for (int k = 0; k < c; k++) {
          outI[i * c + k] += scratch[outIAt + k * rows + i];
        }
      }
    }
    if (mirror) {
      for (int j = 0; j < cols; j++) {
        for (int k = 0; k < c; k++) {
          outJ[j * c + k] += scratch[outJAt + k * cols + j];
        }
      }
    }
  }

  /** One scratch array per task thread for {@link #multiplyInOnePass}'s columns. */
  private static final ThreadLocal<double[]> COLUMNS = new ThreadLocal<>();

  private static double[] columnScratch(int length) {
    return threadBuffer(COLUMNS, length);
  }

  /** The calling thread's buffer in {@code holder}, of at least {@code length} doubles. */
  private static double[] threadBuffer(ThreadLocal<double[]> holder, int length) {
    double[] buffer = holder.get();
    if (buffer == null || buffer.length < length) {
      buffer = new double[length];
      holder.set(buffer);
    }
    return buffer;
  }

  /** {@link #multiplyInto} by two BLAS calls per chunk: the route without the Vector API. */
  void multiplyByBlas(double[] v, int vRowI, int vRowJ, int c, double[] outI, double[] outJ, boolean mirror) {
    Blas blas = Blas.get();
    double[] widened = f64 != null ? null : widenBuffer(Math.min(chunkRows, rows) * cols);
    for (int chunk = 0, r0 = 0; r0 < rows; chunk++, r0 += chunkRows) {
      int r = Math.min(chunkRows, rows - r0);
      double[] a;
      if (f64 != null) {
        a = f64[chunk];
      } else {
        float[] from = f32[chunk];
        for (int i = 0; i < from.length; i++) {
          widened[i] = from[i];
        }
        a = widened;
      }
      if (c == 1) {
        // One column: GEMV streams the chunk at close to memory speed, GEMM with n = 1 at a third of it.
        if (outI != null) {
          blas.gemv(false, r, cols, 1.0, a, 0, cols, v, vRowJ, 1.0, outI, r0);
        }
        if (mirror) {
          blas.gemv(true, r, cols, 1.0, a, 0, cols, v, vRowI + r0, 1.0, outJ, 0);
        }
        continue;
      }
      // out_I[r0 : r0 + r] += A_chunk · V_J
      if (outI != null) {
        blas.gemm(false, false, r, c, cols, 1.0, a, 0, cols, v, vRowJ * c, c, 1.0, outI, r0 * c, c);
      }
      if (mirror) {
        // out_J += A_chunkᵀ · V_I[r0 : r0 + r]
        blas.gemm(true, false, cols, c, r, 1.0, a, 0, cols, v, (vRowI + r0) * c, c, 1.0, outJ, 0, c);
      }
    }
  }
}
