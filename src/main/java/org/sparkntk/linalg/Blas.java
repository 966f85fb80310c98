package org.sparkntk.linalg;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The small BLAS facade every kernel goes through (the role of Spark's mllib-local BLAS).
 *
 * <p>Matrices are dense, <b>row-major</b> {@code double[]} with an explicit leading dimension.
 * netlib is column-major, so a row-major product {@code C = A B} is issued as the column-major
 * product {@code Cᵀ = Bᵀ Aᵀ}: same memory, no copies.
 *
 * <p>The implementation is dev.ludovic.netlib's choice at start-up: the system's native BLAS
 * (e.g. OpenBLAS through {@code libblas.so.3}) when it loads, otherwise the pure-Java one.
 * {@link #implementation()} says which, for logs and metrics.
 */
public final class Blas {
  private final BLAS blas;

  private Blas(BLAS blas) {
    this.blas = blas;
  }

  private static final class Default {
    static final Blas INSTANCE = new Blas(BLAS.getInstance());
  }

  /** netlib's preferred implementation: native when available, else Java. */
  public static Blas get() {
    return Default.INSTANCE;
  }

  /** The pure-Java implementation, whatever is installed (for contract tests and fallbacks). */
  public static Blas java() {
    return new Blas(dev.ludovic.netlib.blas.JavaBLAS.getInstance());
  }

  /** Fully qualified class name of the netlib implementation in use, e.g. {@code ...JNIBLAS}. */
  public String implementation() {
    return blas.getClass().getName();
  }

  /** True when the calls go to a native library rather than Java code. */
  public boolean isNative() {
    return blas instanceof dev.ludovic.netlib.blas.NativeBLAS;
  }

  /**
   * Row-major {@code C := alpha * op(A) * op(B) + beta * C} with op(A) m×k, op(B) k×n, C m×n.
   *
   * @param transA whether op(A) = Aᵀ (A stored k×m)
   * @param transB whether op(B) = Bᵀ (B stored n×k)
   */
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
                   double alpha, double[] a, int aOffset, int lda,
                   double[] b, int bOffset, int ldb,
                   double beta, double[] c, int cOffset, int ldc) {
    checkOperand("A", a, aOffset, transA ? k : m, transA ? m : k, lda);
    checkOperand("B", b, bOffset, transB ? n : k, transB ? k : n, ldb);
    checkOperand("C", c, cOffset, m, n, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    // Row-major C = op(A) op(B)  <=>  column-major Cᵀ = op(B)ᵀ op(A)ᵀ.
    blas.dgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k,
        alpha, b, bOffset, ldb, a, aOffset, lda, beta, c, cOffset, ldc);
  }

  /**
   * Row-major {@code y := alpha * op(A) * x + beta * y}, A stored m×n with leading dimension lda,
   * op(A) = A (y has m entries, x n) or Aᵀ (y has n, x m); x and y contiguous. For one right-hand
   * side this is what {@link #gemm} computes, but OpenBLAS's GEMV kernels stream A at close to
   * memory bandwidth where its GEMM with one column does not.
   */
  public void gemv(boolean transA, int m, int n, double alpha, double[] a, int aOffset, int lda,
                   double[] x, int xOffset, double beta, double[] y, int yOffset) {
    checkOperand("A", a, aOffset, m, n, lda);
    int xLength = transA ? m : n;
    int yLength = transA ? n : m;
    if (xOffset < 0 || yOffset < 0 || (long) xOffset + xLength > x.length || (long) yOffset + yLength > y.length) {
      throw new IllegalArgumentException("gemv: x needs " + xLength + " entries from " + xOffset + " (has " + x.length
          + "), y needs " + yLength + " from " + yOffset + " (has " + y.length + ")");
    }
    if (m == 0 || n == 0) {
      return;
    }
    // Row-major A (m×n) is column-major Aᵀ (n×m): op(A) x is Aᵀᵀ x, i.e. "T" on the column-major view.
    blas.dgemv(transA ? "N" : "T", n, m, alpha, a, aOffset, lda, x, xOffset, 1, beta, y, yOffset, 1);
  }

  /** Row-major {@code C := alpha * A * B + beta * C} for contiguous A (m×k), B (k×n), C (m×n). */
  public void gemm(int m, int n, int k, double alpha, double[] a, double[] b, double beta, double[] c) {
    gemm(false, false, m, n, k, alpha, a, 0, k, b, 0, n, beta, c, 0, n);
  }

  /** Row-major {@code C := alpha * A * Bᵀ + beta * C} for contiguous A (m×k), B (n×k), C (m×n). */
  public void gemmNT(int m, int n, int k, double alpha, double[] a, double[] b, double beta, double[] c) {
    gemm(false, true, m, n, k, alpha, a, 0, k, b, 0, k, beta, c, 0, n);
  }

  /** Float32 row-major {@code C := alpha * op(A) * op(B) + beta * C}; same conventions as the double one. */
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                    float alpha, float[] a, int aOffset, int lda,
                    float[] b, int bOffset, int ldb,
                    float beta, float[] c, int cOffset, int ldc) {
    checkOperand("A", a.length, aOffset, transA ? k : m, transA ? m : k, lda);
    checkOperand("B", b.length, bOffset, transB ? n : k, transB ? k : n, ldb);
    checkOperand("C", c.length, cOffset, m, n, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k,
        alpha, b, bOffset, ldb, a, aOffset, lda, beta, c, cOffset, ldc);
  }

  /** Row-major symmetric {@code y := alpha * A * x + beta * y}, A n×n (full storage). */
  public void symv(int n, double alpha, double[] a, double[] x, double beta, double[] y) {
    checkOperand("A", a, 0, n, n, n);
    if (x.length < n || y.length < n) {
      throw new IllegalArgumentException("symv: x has " + x.length + " and y has " + y.length
          + " entries, both need n = " + n);
    }
    if (n == 0) {
      return;
    }
    blas.dsymv("U", n, alpha, a, n, x, 1, beta, y, 1);
  }

  /**
   * Column-major {@code B := B C⁻¹} for B m×n and C n×n upper triangular (dtrsm, side R): the
   * columns of B recombined so that (B C⁻¹) C = B.
   */
  public void solveRightUpperColumnMajor(int m, int n, double[] c, double[] b) {
    if (c.length < (long) n * n || b.length < (long) m * n) {
      throw new IllegalArgumentException("trsm: C needs " + (long) n * n + " and B " + (long) m * n
          + " entries, got " + c.length + " and " + b.length);
    }
    if (m == 0 || n == 0) {
      return;
    }
    blas.dtrsm("R", "U", "N", "N", m, n, 1.0, c, n, b, m);
  }

  /**
   * Row-major {@code B := op(C)⁻¹ B} for B n×c and C the n×n upper triangular factor in the
   * column-major layout of {@link Lapack#choleskyUpper} (op(C) = Cᵀ when {@code transpose}): the
   * solution X of C X = B, or of Cᵀ X = B (dtrsm on the column-major view Bᵀ, from the right).
   */
  public void solveUpperRowMajor(boolean transpose, int n, int c, double[] upper, double[] b) {
    if (!checkTriangularSolve(n, c, upper, b)) {
      return;
    }
    // C X = B ⟺ Xᵀ Cᵀ = Bᵀ, and Cᵀ X = B ⟺ Xᵀ C = Bᵀ, with Bᵀ the column-major c×n view of B.
    blas.dtrsm("R", "U", transpose ? "N" : "T", "N", c, n, 1.0, upper, n, b, c);
  }

  /**
   * {@link #solveUpperRowMajor} for the upper triangular n×n U stored transposed: Uᵀ in the
   * column-major lower triangle and diagonal of {@code lower} (the upper triangle is not read), so
   * that one array can hold two triangular factors. Solves U X = B, or Uᵀ X = B with
   * {@code transpose}, for row-major B (n×c), in place.
   */
  public void solveUpperStoredTransposedRowMajor(boolean transpose, int n, int c, double[] lower, double[] b) {
    if (!checkTriangularSolve(n, c, lower, b)) {
      return;
    }
    // With L = Uᵀ: U X = B ⟺ Xᵀ L = Bᵀ, and Uᵀ X = B ⟺ Xᵀ Lᵀ = Bᵀ, Bᵀ the column-major c×n view of B.
    blas.dtrsm("R", "L", transpose ? "T" : "N", "N", c, n, 1.0, lower, n, b, c);
  }

  /** Whether a triangular solve has work to do; throws when the arrays are too short for its shape. */
  private static boolean checkTriangularSolve(int n, int c, double[] triangle, double[] b) {
    if (triangle.length < (long) n * n || b.length < (long) n * c) {
      throw new IllegalArgumentException("trsm: C needs " + (long) n * n + " and B " + (long) n * c
          + " entries, got " + triangle.length + " and " + b.length);
    }
    return n > 0 && c > 0;
  }

  /** Dot product of the first n entries. */
  public double dot(int n, double[] x, double[] y) {
    if (x.length < n || y.length < n) {
      throw new IllegalArgumentException("dot: x has " + x.length + " and y has " + y.length
          + " entries, both need n = " + n);
    }
    return n == 0 ? 0.0 : blas.ddot(n, x, 1, y, 1);
  }

  private static void checkOperand(String name, double[] data, int offset, int rows, int cols, int ld) {
    checkOperand(name, data.length, offset, rows, cols, ld);
  }

  private static void checkOperand(String name, int length, int offset, int rows, int cols, int ld) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("gemm: " + name + " has negative shape " + rows + "×" + cols);
    }
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException("gemm: leading dimension of " + name + " is " + ld
          + " but its rows have " + cols + " columns");
    }
    long needed = rows == 0 ? 0 : (long) offset + (long) (rows - 1) * ld + cols;
    if (needed > length) {
      throw new IllegalArgumentException("gemm: " + name + " is " + rows + "×" + cols + " (ld " + ld
          + ", offset " + offset + ") and needs " + needed + " entries, the array has " + length);
    }
  }
}
