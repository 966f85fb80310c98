package org.sparkntk.linalg;

/** Small dense helpers over row-major {@code double[]} that are not BLAS calls. */
public final class Matrices {
  private Matrices() {}

  /** The transpose of the row-major rows×cols matrix {@code a}. */
  public static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }

  /**
   * Copies the strict lower triangle of the row-major n×n matrix into its upper triangle, in 64×64
   * tiles, as {@link #mirrorUpper} the other way (in column-major terms: the upper triangle into
   * the lower one).
   */
  public static void mirrorLower(double[] a, int n) {
    for (int c0 = 0; c0 < n; c0 += 64) {
      for (int r0 = c0; r0 < n; r0 += 64) {
        int cEnd = Math.min(n, c0 + 64);
        int rEnd = Math.min(n, r0 + 64);
        for (int c = c0; c < cEnd; c++) {
          for (int r = Math.max(r0, c + 1); r < rEnd; r++) {
            a[c * n + r] = a[r * n + c];
          }
        }
      }
    }
  }

  /**
   * Copies the upper triangle of the row-major n×n matrix into its lower triangle, in 64×64 tiles
   * so that both the rows read and the columns written stay in cache (for a 20,000² Gram a column
   * written entry by entry touches a new cache line per entry).
   */
  public static void mirrorUpper(double[] a, int n) {
    for (int r0 = 0; r0 < n; r0 += 64) {
      for (int c0 = 0; c0 <= r0; c0 += 64) {
        int rEnd = Math.min(n, r0 + 64);
        int cEnd = Math.min(n, c0 + 64);
        for (int r = r0; r < rEnd; r++) {
          for (int c = c0; c < Math.min(cEnd, r); c++) {
            a[r * n + c] = a[c * n + r];
          }
        }
      }
    }
  }

  /** max |a - b| / max |b|: the relative difference the tests and checks report. */
  public static double maxRelativeDifference(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("arrays differ in length: " + a.length + " vs " + b.length);
    }
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }

  /** Frobenius norm. */
  public static double frobenius(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  /** ‖x_i‖² of each row of the row-major [rows × cols] matrix x. */
  public static double[] rowSquaredNorms(double[] x, int rows, int cols) {
    double[] out = new double[rows];
    for (int i = 0; i < rows; i++) {
      double s = 0;
      for (int k = 0; k < cols; k++) {
        double v = x[i * cols + k];
        s += v * v;
      }
      out[i] = s;
    }
    return out;
  }

  /**
   * ‖a_i − b_j‖², row-major [m × n], for the rows of a [m × d] and b [n × d] with their squared norms,
   * as ‖a_i‖² + ‖b_j‖² − 2 a_iᵀb_j (one GEMM), clamped at 0 against rounding.
   */
  public static double[] squaredDistances(double[] a, double[] aNorms, int m, double[] b, double[] bNorms, int n,
                                          int d) {
    double[] out = new double[m * n];
    Blas.get().gemmNT(m, n, d, -2.0, a, b, 0.0, out);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int e = i * n + j;
        out[e] = Math.max(0.0, aNorms[i] + bNorms[j] + out[e]);
      }
    }
    return out;
  }

  /** Sum of the diagonal of the row-major n×n matrix. */
  public static double trace(double[] a, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) {
      t += a[i * n + i];
    }
    return t;
  }
}
