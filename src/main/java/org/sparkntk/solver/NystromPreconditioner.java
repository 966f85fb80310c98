package org.sparkntk.solver;

import java.util.SplittableRandom;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.linalg.Matrices;

/**
 * The randomized Nyström preconditioner of Frangella, Tropp &amp; Udell, "Randomized Nyström
 * preconditioning", SIAM J. Matrix Anal. Appl. 44(2), 2023, Algorithm 2.1 and eq. (5.3), for
 * (Θ + ρI) x = b. From one product Y = Θ Ω with r orthonormalised Gaussian columns:
 * <pre>
 *   ν = √n · u · ‖Y‖_F   (u = 2⁻⁵², a shift that keeps the Cholesky below well defined)
 *   Y_ν = Y + νΩ,  C = chol(Ωᵀ Y_ν) (upper),  B = Y_ν C⁻¹,  [U, Σ, ~] = svd(B, thin)
 *   Λ̂ = max(0, Σ² − νI)          so that Θ ≈ Θ̂ = U Λ̂ Uᵀ, the Nyström approximation
 *   P⁻¹ = (λ̂_r + ρ) U (Λ̂ + ρI)⁻¹ Uᵀ + (I − U Uᵀ)
 * </pre>
 * The paper uses ‖Y‖₂ for ν; ‖Y‖_F ≥ ‖Y‖₂ only makes the shift a little larger, which is as
 * safe. The driver holds U, n × r; applying P⁻¹ costs two n × r × c GEMMs. When r exceeds the
 * number of eigenvalues of Θ above ρ, κ(P⁻¹(Θ + ρI)) is small and PCG converges in tens of
 * iterations (the paper's Theorem 5.1).
 */
public final class NystromPreconditioner implements Preconditioner {
  private final int n;
  private final int rank;
  /** U column-major n × r, which read row-major is Uᵀ [r × n]. */
  private final double[] u;
  /** (λ̂_r + ρ)/(λ̂_i + ρ) − 1 for each column i of U. */
  private final double[] gain;
  private final double[] eigenvalues;

  private NystromPreconditioner(int n, int rank, double[] u, double[] gain, double[] eigenvalues) {
    this.n = n;
    this.rank = rank;
    this.u = u;
    this.gain = gain;
    this.eigenvalues = eigenvalues;
  }

  /**
   * Builds the preconditioner of rank min(r, n) with one product of {@code op}.
   *
   * @param ridge ρ ≥ 0
   */
  public static NystromPreconditioner build(KernelOperator op, int r, double ridge, long seed) {
    int n = op.rows();
    if (op.cols() != n) {
      throw new IllegalArgumentException("the Nyström preconditioner needs a square kernel, got " + n + " × "
          + op.cols());
    }
    if (r < 1) {
      throw new IllegalArgumentException("solver.rank must be ≥ 1, got " + r);
    }
    int rank = Math.min(r, n);
    // Ω: Gaussian n × r, column-major, then orthonormal columns.
    double[] omega = new double[n * rank];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < omega.length; i++) {
      omega[i] = random.nextGaussian();
    }
    Lapack lapack = Lapack.get();
    lapack.orthonormaliseColumns(omega, n, rank);
    // Row-major [n × r] is the transpose of column-major n × r.
    double[] y = transpose(op.apply(transpose(omega, rank, n), rank), n, rank);
    double frobenius = 0;
    for (double v : y) {
      frobenius += v * v;
    }
    double nu = Math.sqrt(n) * Math.ulp(1.0) * Math.sqrt(frobenius);
    if (!Double.isFinite(nu)) {
      throw new ArithmeticException("the kernel holds NaN or infinite entries (Θ Ω is not finite)");
    }
    for (int i = 0; i < y.length; i++) {
      y[i] += nu * omega[i];
    }
    // Ωᵀ Y_ν, r × r: column-major Ω is row-major Ωᵀ [r × n]; Y_ν column-major is row-major Y_νᵀ [r × n].
    double[] small = new double[rank * rank];
    Blas.get().gemm(false, true, rank, rank, n, 1.0, omega, 0, n, y, 0, n, 0.0, small, 0, rank);
    for (int i = 0; i < rank; i++) {
      for (int j = i + 1; j < rank; j++) {
        double s = 0.5 * (small[i * rank + j] + small[j * rank + i]);
        small[i * rank + j] = s;
        small[j * rank + i] = s;
      }
    }
    double[] c = lapack.choleskyUpper(small, rank);
    Blas.get().solveRightUpperColumnMajor(n, rank, c, y);
    Lapack.ThinSvd svd = lapack.thinSvdOverwriting(y, n, rank);
    double[] lambda = new double[rank];
    for (int i = 0; i < rank; i++) {
      double s = svd.singularValues()[i];
      lambda[i] = Math.max(0.0, s * s - nu);
    }
    return of(new Basis(n, rank, svd.leftVectorsColumnMajor(), lambda), ridge);
  }

  /**
   * What the preconditioner is built from, U and Λ̂ (a function of Θ, r and the seed only, not of
   * ρ), so that it can be saved and a rerun skip the product with r columns.
   *
   * @param uColumnMajor U, n × r column-major (row-major, Uᵀ [r × n])
   * @param eigenvalues  λ̂, descending
   */
  public record Basis(int n, int rank, double[] uColumnMajor, double[] eigenvalues) {
    public Basis {
      if (rank < 1 || uColumnMajor.length != (long) n * rank || eigenvalues.length != rank) {
        throw new IllegalArgumentException("a Nyström basis of rank " + rank + " for n = " + n + " needs " + n + " × "
            + rank + " entries of U and " + rank + " eigenvalues, got " + uColumnMajor.length + " and "
            + eigenvalues.length);
      }
    }
  }

  /** The preconditioner of a basis for ridge ρ: g_i = (λ̂_r + ρ)/(λ̂_i + ρ) − 1. */
  public static NystromPreconditioner of(Basis basis, double ridge) {
    int rank = basis.rank();
    double[] lambda = basis.eigenvalues();
    double last = lambda[rank - 1];
    double[] gain = new double[rank];
    for (int i = 0; i < rank; i++) {
      double denominator = lambda[i] + ridge;
      gain[i] = denominator > 0 ? (last + ridge) / denominator - 1.0 : 0.0;
    }
    return new NystromPreconditioner(basis.n(), rank, basis.uColumnMajor(), gain, lambda.clone());
  }

  /** U and Λ̂ of this preconditioner (U shared, not copied: it is n × r). */
  public Basis basis() {
    return new Basis(n, rank, u, eigenvalues.clone());
  }

  /** P⁻¹ R = R + U diag(g) Uᵀ R with g_i = (λ̂_r + ρ)/(λ̂_i + ρ) − 1. */
  @Override
  public double[] applyInverse(double[] r, int c) {
    if (r.length != (long) n * c) {
      throw new IllegalArgumentException("P⁻¹ R: R has " + r.length + " entries, expected " + n + " × " + c);
    }
    Blas blas = Blas.get();
    double[] w = new double[rank * c];
    blas.gemm(false, false, rank, c, n, 1.0, u, 0, n, r, 0, c, 0.0, w, 0, c);
    for (int i = 0; i < rank; i++) {
      for (int j = 0; j < c; j++) {
        w[i * c + j] *= gain[i];
      }
    }
    double[] z = r.clone();
    blas.gemm(true, false, n, c, rank, 1.0, u, 0, n, w, 0, c, 1.0, z, 0, c);
    return z;
  }

  @Override
  public int rank() {
    return rank;
  }

  /** λ̂, the eigenvalues of the Nyström approximation, descending. */
  public double[] eigenvalues() {
    return eigenvalues.clone();
  }

  private static double[] transpose(double[] a, int rows, int cols) {
    return Matrices.transpose(a, rows, cols);
  }
}
