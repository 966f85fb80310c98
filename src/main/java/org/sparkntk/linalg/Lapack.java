package org.sparkntk.linalg;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.netlib.util.intW;

/**
 * The LAPACK routines the solvers need, over row-major symmetric matrices. Every call checks
 * {@code info}: a negative value is a bug (bad argument), a positive one is a property of the
 * matrix and becomes an exception that tells the user what to change.
 *
 * <p>For a symmetric matrix row-major and column-major storage coincide, so symmetric inputs are
 * passed as they are; eigenvectors come back column-major and are transposed into rows.
 */
public final class Lapack {
  private final LAPACK lapack;

  private Lapack(LAPACK lapack) {
    this.lapack = lapack;
  }

  private static final class Default {
    static final Lapack INSTANCE = new Lapack(LAPACK.getInstance());
  }

  public static Lapack get() {
    return Default.INSTANCE;
  }

  public String implementation() {
    return lapack.getClass().getName();
  }

  /** Eigen-decomposition {@code A = V diag(λ) Vᵀ} of a symmetric matrix, λ ascending. */
  public record SymmetricEigen(int n, double[] values, double[] vectorsColumnMajor) {
    /** Component i of eigenvector k (the k-th column of V). */
    public double vector(int i, int k) {
      return vectorsColumnMajor[k * n + i];
    }
  }

  /**
   * Eigenvalues and eigenvectors of the symmetric n×n matrix {@code a} by divide and conquer
   * (LAPACK dsyevd). {@code a} is not modified.
   */
  public SymmetricEigen symmetricEigen(double[] a, int n) {
    requireSquare("dsyevd", a, n);
    double[] v = a.clone();
    double[] w = new double[n];
    if (n == 0) {
      return new SymmetricEigen(0, w, v);
    }
    intW info = new intW(0);
    double[] work = new double[1];
    int[] iwork = new int[1];
    lapack.dsyevd("V", "U", n, v, n, w, work, -1, iwork, -1, info);
    checkArgumentInfo("dsyevd (workspace query)", info.val);
    work = new double[(int) work[0]];
    iwork = new int[iwork[0]];
    lapack.dsyevd("V", "U", n, v, n, w, work, work.length, iwork, iwork.length, info);
    checkArgumentInfo("dsyevd", info.val);
    if (info.val > 0) {
      throw new ArithmeticException("dsyevd: the eigen-decomposition of the " + n + "×" + n
          + " kernel did not converge (info = " + info.val + "); the kernel may hold NaN or "
          + "infinite entries, or be too ill-conditioned");
    }
    return new SymmetricEigen(n, w, v);
  }

  /**
   * Solves {@code A X = B} for symmetric positive-definite A (n×n) and row-major B (n×nrhs) by
   * Cholesky (dpotrf + dpotrs). Neither input is modified.
   *
   * @throws NotPositiveDefiniteException when the factorisation breaks down
   */
  public double[] choleskySolve(double[] a, int n, double[] b, int nrhs) {
    return choleskySolveOverwriting(a.clone(), n, b, nrhs);
  }

  /** As {@link #choleskySolve}, but factors {@code a} in place (it is overwritten): one n×n copy less. */
  public double[] choleskySolveOverwriting(double[] a, int n, double[] b, int nrhs) {
    requireSquare("dpotrf", a, n);
    if (b.length != (long) n * nrhs) {
      throw new IllegalArgumentException("dpotrs: right-hand side has " + b.length
          + " entries, expected n × nrhs = " + n + " × " + nrhs);
    }
    if (n == 0) {
      return new double[0];
    }
    double[] factor = a;
    factorUpperInPlace(factor, n);
    intW info = new intW(0);
    // dpotrs wants B column-major (n×nrhs): that is the transpose of our row-major storage.
    double[] x = Matrices.transpose(b, n, nrhs);
    lapack.dpotrs("U", n, nrhs, factor, n, x, n, info);
    checkArgumentInfo("dpotrs", info.val);
    return Matrices.transpose(x, nrhs, n);
  }

  /**
   * Solves (A + shift·I) X = B for symmetric A (n×n, positive definite once shifted) and row-major B
   * (n×nrhs) by Cholesky, in A's own array and without a copy of it: A is as it was when this
   * returns or throws, bit for bit.
   *
   * <p>dpotrf("U") on an n×n array reads and overwrites only the upper triangle in column-major
   * order, which is the lower triangle and the diagonal in row-major order; the strict upper
   * triangle in row-major order is left alone. For a symmetric A that triangle holds all of A but
   * its diagonal, so A is rebuilt by mirroring it over the factor and putting back the saved
   * diagonal. A kernel is symmetric only up to rounding, though: a diagonal block computed by a GEMM
   * can differ from its own transpose in the last bit. The entries of the overwritten triangle that
   * differ from their mirror image are therefore saved too (12 bytes each, at most n²/16 of them,
   * an eighth of a copy; beyond that A is copied whole instead). This saves the n×n copy {@link #choleskySolve} makes (3.2 GB at
   * n = 20,000) while giving the same solution to the bit.
   *
   * @throws NotPositiveDefiniteException when the factorisation breaks down (A restored first)
   */
  public double[] shiftedCholeskySolveRestoring(double[] a, int n, double shift, double[] b, int nrhs) {
    requireSquare("dpotrf", a, n);
    Asymmetry saved = Asymmetry.of(a, n, (long) n * n / 16);
    double[] shifted = saved == null ? a.clone() : a;
    for (int i = 0; i < n; i++) {
      shifted[i * n + i] += shift;
    }
    try {
      return choleskySolveOverwriting(shifted, n, b, nrhs);
    } finally {
      if (saved != null) {
        saved.restore(a, n);
      }
    }
  }

  /**
   * What the row-major lower triangle and diagonal of a nearly symmetric matrix hold beyond the
   * mirror image of its strict upper triangle: the diagonal, and the row-major index and value of
   * each strictly lower entry that differs from its mirror.
   */
  private record Asymmetry(double[] diagonal, int[] at, double[] values) {
    /** The record of {@code a}, or null when more than {@code limit} entries differ from their mirror. */
    static Asymmetry of(double[] a, int n, long limit) {
      double[] diagonal = new double[n];
      for (int i = 0; i < n; i++) {
        diagonal[i] = a[i * n + i];
      }
      int count = 0;
      int[] at = new int[16];
      double[] values = new double[16];
      for (int r0 = 0; r0 < n; r0 += 64) {
        for (int c0 = 0; c0 <= r0; c0 += 64) {
          int rEnd = Math.min(n, r0 + 64);
          int cEnd = Math.min(n, c0 + 64);
          for (int r = r0; r < rEnd; r++) {
            for (int c = c0; c < Math.min(cEnd, r); c++) {
              double v = a[r * n + c];
              if (Double.doubleToRawLongBits(v) != Double.doubleToRawLongBits(a[c * n + r])) {
                if (count >= limit) {
                  return null;
                }
                if (count == at.length) {
                  at = Arrays.copyOf(at, 2 * count);
                  values = Arrays.copyOf(values, 2 * count);
                }
                at[count] = r * n + c;
                values[count++] = v;
              }
            }
          }
        }
      }
      return new Asymmetry(diagonal, Arrays.copyOf(at, count), Arrays.copyOf(values, count));
    }

    /** Rebuilds the row-major lower triangle and diagonal of {@code a} from its strict upper triangle and this record. */
    void restore(double[] a, int n) {
      Matrices.mirrorUpper(a, n);
      for (int i = 0; i < n; i++) {
        a[i * n + i] = diagonal[i];
      }
      for (int e = 0; e < values.length; e++) {
        a[at[e]] = values[e];
      }
    }
  }

  /**
   * Replaces the column-major m×n matrix {@code a} (m ≥ n) by the n orthonormal columns Q of its
   * thin QR factorisation (LAPACK dgeqrf + dorgqr).
   */
  public void orthonormaliseColumns(double[] a, int m, int n) {
    if (a.length != (long) m * n || n > m) {
      throw new IllegalArgumentException("dgeqrf: a " + m + "×" + n + " matrix (m ≥ n) needs " + (long) m * n
          + " entries, got " + a.length);
    }
    if (n == 0) {
      return;
    }
    double[] tau = new double[n];
    intW info = new intW(0);
    double[] query = new double[1];
    lapack.dgeqrf(m, n, a, m, tau, query, -1, info);
    checkArgumentInfo("dgeqrf (workspace query)", info.val);
    double[] work = new double[Math.max(1, (int) query[0])];
    lapack.dgeqrf(m, n, a, m, tau, work, work.length, info);
    checkArgumentInfo("dgeqrf", info.val);
    lapack.dorgqr(m, n, n, a, m, tau, query, -1, info);
    checkArgumentInfo("dorgqr (workspace query)", info.val);
    work = new double[Math.max(work.length, (int) query[0])];
    lapack.dorgqr(m, n, n, a, m, tau, work, work.length, info);
    checkArgumentInfo("dorgqr", info.val);
  }

  /**
   * The upper Cholesky factor C of the symmetric positive-definite n×n matrix {@code a}, A = CᵀC
   * (dpotrf), with the strict lower triangle zeroed; column-major (for a symmetric input the same
   * as row-major). {@code a} is not modified.
   *
   * @throws NotPositiveDefiniteException when the factorisation breaks down
   */
  public double[] choleskyUpper(double[] a, int n) {
    requireSquare("dpotrf", a, n);
    return choleskyUpperOverwriting(a.clone(), n);
  }

  /**
   * U Uᵀ for the n×n upper triangular U in the column-major layout of {@link #choleskyUpper}, in
   * place (dlauum, n³/3 flops where a GEMM takes 2n³): on return the upper triangle of {@code u}
   * holds that of U Uᵀ; its strict lower triangle is left as it was.
   */
  public void upperTimesTransposeOverwriting(double[] u, int n) {
    requireSquare("dlauum", u, n);
    if (n == 0) {
      return;
    }
    intW info = new intW(0);
    lapack.dlauum("U", n, u, n, info);
    checkArgumentInfo("dlauum", info.val);
  }

  /**
   * The upper Cholesky factor of the symmetric positive definite n×n {@code a} in place, in the
   * column-major upper triangle (and diagonal) of {@code a}, reading only that triangle; the strict
   * lower triangle is left as it was, for a caller that keeps another matrix there.
   *
   * @throws NotPositiveDefiniteException when the factorisation breaks down
   */
  public void choleskyUpperInPlace(double[] a, int n) {
    requireSquare("dpotrf", a, n);
    if (n > 0) {
      factorUpperInPlace(a, n);
    }
  }

  /** {@link #choleskyUpper} in place: {@code a} becomes the factor (returned), for matrices too large to copy. */
  public double[] choleskyUpperOverwriting(double[] a, int n) {
    requireSquare("dpotrf", a, n);
    double[] c = a;
    if (n == 0) {
      return c;
    }
    factorUpperInPlace(c, n);
    for (int col = 0; col < n; col++) {
      for (int row = col + 1; row < n; row++) {
        c[col * n + row] = 0.0;
      }
    }
    return c;
  }

  /**
   * The thin singular value decomposition B = U diag(σ) Vᵀ of the column-major m×n matrix
   * {@code b} (m ≥ n) by divide and conquer (dgesdd): σ descending and U column-major m×n.
   * {@code b} is overwritten.
   */
  public record ThinSvd(double[] singularValues, double[] leftVectorsColumnMajor) {}

  public ThinSvd thinSvdOverwriting(double[] b, int m, int n) {
    if (b.length != (long) m * n || n > m) {
      throw new IllegalArgumentException("dgesdd: a " + m + "×" + n + " matrix (m ≥ n) needs " + (long) m * n
          + " entries, got " + b.length);
    }
    double[] s = new double[n];
    double[] u = new double[m * n];
    if (n == 0) {
      return new ThinSvd(s, u);
    }
    double[] vt = new double[n * n];
    int[] iwork = new int[8 * n];
    intW info = new intW(0);
    double[] query = new double[1];
    lapack.dgesdd("S", m, n, b, m, s, u, m, vt, n, query, -1, iwork, info);
    checkArgumentInfo("dgesdd (workspace query)", info.val);
    double[] work = new double[Math.max(1, (int) query[0])];
    lapack.dgesdd("S", m, n, b, m, s, u, m, vt, n, work, work.length, iwork, info);
    checkArgumentInfo("dgesdd", info.val);
    if (info.val > 0) {
      throw new ArithmeticException("dgesdd: the singular value decomposition of a " + m + "×" + n
          + " matrix did not converge (info = " + info.val + "); it may hold NaN or infinite entries");
    }
    return new ThinSvd(s, u);
  }

  /** Order from which {@link #factorUpperInPlace} splits the work across threads. */
  static final int PARALLEL_CHOLESKY_ORDER = 2048;

  /** Columns per panel of the blocked factorisation. */
  static final int PANEL = 256;

  /** Fewest columns of a panel one thread's triangular solve takes. */
  static final int MIN_SLICE = 32;

  /**
   * Threads for the blocked factorisation: the cores when BLAS runs one thread per call (this
   * project's runs set OPENBLAS_NUM_THREADS=1 for Spark's tasks, and the same setting holds for
   * the driver's LAPACK; the pure-Java BLAS is single-threaded too), else 1 and LAPACK's own
   * dpotrf, which then uses BLAS's threads.
   */
  static int choleskyThreads() {
    boolean singleThreadedBlas = !Blas.get().isNative() || "1".equals(System.getenv("OPENBLAS_NUM_THREADS"));
    return singleThreadedBlas ? Runtime.getRuntime().availableProcessors() : 1;
  }

  /**
   * dpotrf("U") of the n×n {@code a} in place: on return its upper triangle in column-major order
   * holds C with A = CᵀC, and its strict lower triangle is as it was.
   *
   * @throws NotPositiveDefiniteException when the factorisation breaks down
   */
  private void factorUpperInPlace(double[] a, int n) {
    int threads = choleskyThreads();
    int order = n >= PARALLEL_CHOLESKY_ORDER && threads > 1
        ? factorUpperBlocked(a, n, PANEL, threads)
        : factorUpperByLapack(a, n);
    if (order > 0) {
      throw new NotPositiveDefiniteException(n, order);
    }
  }

  int factorUpperByLapack(double[] a, int n) {
    intW info = new intW(0);
    lapack.dpotrf("U", n, a, n, info);
    checkArgumentInfo("dpotrf", info.val);
    return info.val;
  }

  /**
   * The same factorisation by panels of {@code panel} columns, left-looking (the block Cholesky
   * of Golub &amp; Van Loan, "Matrix Computations", 4th ed., §4.2, written for the upper factor):
   * for the panel J of columns k … k + b − 1, with C's first k rows and columns final,
   * <pre>
   *   C[0:k, J] = C[0:k, 0:k]⁻ᵀ A[0:k, J]                       (dtrsm, n³/3 flops in all)
   *   C[J, J]   = chol(A[J, J] − C[0:k, J]ᵀ C[0:k, J])            (dsyrk and dpotrf on b × b)
   * </pre>
   * The triangular solves, nearly all the work, are split by columns of the panel across
   * {@code threads} threads, each one call of single-threaded BLAS: on the benchmark machine
   * dpotrf with one BLAS thread took 57 s at n = 20,000, the Fashion-MNIST job's longest phase.
   * The diagonal block goes through a b × b copy because dev.ludovic.netlib checks that every
   * matrix argument extends a whole leading dimension past its last column, which a block at row
   * k &gt; 0 of the last columns of an n × n array does not.
   *
   * @return 0, or the order of the leading minor that is not positive definite (as dpotrf's info)
   */
  int factorUpperBlocked(double[] a, int n, int panel, int threads) {
    BLAS blas = BLAS.getInstance();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, panel / MIN_SLICE)), r -> {
      Thread t = new Thread(r, "spark-ntk-cholesky");
      t.setDaemon(true);
      return t;
    });
    try {
      double[] diagonal = new double[panel * panel];
      intW info = new intW(0);
      for (int k = 0; k < n; k += panel) {
        int b = Math.min(panel, n - k);
        if (k > 0) {
          int rows = k;
          // At least MIN_SLICE columns per call: narrower triangular solves run far below GEMM's rate.
          int slices = Math.max(1, Math.min(threads, b / MIN_SLICE));
          List<Future<?>> parts = new ArrayList<>();
          for (int t = 0; t < slices; t++) {
            int from = k + b * t / slices;
            int width = k + b * (t + 1) / slices - from;
            parts.add(pool.submit(() -> blas.dtrsm("L", "U", "T", "N", rows, width, 1.0, a, 0, n, a, from * n, n)));
          }
          for (Future<?> part : parts) {
            part.get();
          }
        }
        for (int j = 0; j < b; j++) {
          System.arraycopy(a, (k + j) * n + k, diagonal, j * b, j + 1);
        }
        if (k > 0) {
          blas.dsyrk("U", "T", b, k, -1.0, a, k * n, n, 1.0, diagonal, 0, b);
        }
        lapack.dpotrf("U", b, diagonal, 0, b, info);
        checkArgumentInfo("dpotrf", info.val);
        if (info.val > 0) {
          return k + info.val;
        }
        for (int j = 0; j < b; j++) {
          System.arraycopy(diagonal, j * b, a, (k + j) * n + k, j + 1);
        }
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cholesky interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cholesky: a triangular solve failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** A kernel matrix on which Cholesky broke down: it is singular or indefinite in float64. */
  public static final class NotPositiveDefiniteException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    private final int order;

    NotPositiveDefiniteException(int n, int order) {
      super("Cholesky (dpotrf) failed: the leading minor of order " + order + " of the " + n + "×" + n
          + " kernel is not positive definite, so the kernel is singular or indefinite in float64 "
          + "(e.g. repeated training rows, or more rows than the kernel's rank). "
          + "Add a ridge: set solver.ridge to a small positive value, e.g. 1e-6 × the mean diagonal.");
      this.order = order;
    }

    public int order() {
      return order;
    }
  }

  private static void requireSquare(String routine, double[] a, int n) {
    if (n < 0 || a.length != (long) n * n) {
      throw new IllegalArgumentException(routine + ": matrix has " + a.length
          + " entries, expected n × n = " + n + " × " + n);
    }
  }

  private static void checkArgumentInfo(String routine, int info) {
    if (info < 0) {
      throw new IllegalStateException(routine + ": argument " + (-info) + " had an illegal value");
    }
  }
}
