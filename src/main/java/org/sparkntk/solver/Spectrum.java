package org.sparkntk.solver;

import java.util.Arrays;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.linalg.Matrices;

/**
 * The eigen-decomposition Θ = V diag(λ) Vᵀ of a training kernel (LAPACK dsyevd), eigenvalues in
 * descending order λ_0 ≥ λ_1 ≥ …, the eigenvector of λ_k in column k of V.
 *
 * <p>Under kernel gradient descent with the MSE cost each component v_kᵀ(f_t(X) − Y) of the training
 * residual decays as (1 − ηλ_k/N)^t ≈ e^{−ηtλ_k/N} (docs/THEORY.md §8): {@link #project} gives those
 * components. For a trace kernel the residual is [N × O] and each output column is projected; for a
 * full kernel it is the vector of all outputs, index i·O + a.
 *
 * @param size    n, the kernel's order (N, or N·O for a full kernel)
 * @param values  λ, descending
 * @param vectors V column-major: column k (entries k·n … k·n + n − 1) is the unit eigenvector of λ_k;
 *                read as row-major, the same array is Vᵀ
 */
public record Spectrum(int size, double[] values, double[] vectors) {

  public Spectrum {
    if (values.length != size || vectors.length != (long) size * size) {
      throw new IllegalArgumentException("a spectrum of order " + size + " needs " + size + " values and "
          + size + " × " + size + " vector entries, got " + values.length + " and " + vectors.length);
    }
  }

  /** The decomposition of a symmetric training kernel. */
  public static Spectrum of(GramMatrix kernel) {
    if (kernel.rows() != kernel.cols()) {
      throw new IllegalArgumentException("the spectrum needs a square kernel, got " + kernel.rows() + " × "
          + kernel.cols());
    }
    return of(kernel.data(), kernel.rows());
  }

  /** The decomposition of the symmetric row-major n×n matrix {@code a} (not modified). */
  public static Spectrum of(double[] a, int n) {
    Lapack.SymmetricEigen eig = Lapack.get().symmetricEigen(a, n);
    // dsyevd returns λ ascending; reverse the values and swap the contiguous columns of V in place.
    double[] values = eig.values();
    double[] v = eig.vectorsColumnMajor();
    double[] column = new double[n];
    for (int k = 0, j = n - 1; k < j; k++, j--) {
      double t = values[k];
      values[k] = values[j];
      values[j] = t;
      System.arraycopy(v, k * n, column, 0, n);
      System.arraycopy(v, j * n, v, k * n, n);
      System.arraycopy(column, 0, v, j * n, n);
    }
    return new Spectrum(n, values, v);
  }

  /** λ_0, the largest eigenvalue (0 for an empty kernel). */
  public double largest() {
    return size == 0 ? 0.0 : values[0];
  }

  /** Σ_k λ_k = trace(Θ). */
  public double sum() {
    double s = 0;
    for (double l : values) {
      s += l;
    }
    return s;
  }

  /** Component i of the eigenvector of λ_k. */
  public double vector(int i, int k) {
    return vectors[k * size + i];
  }

  /** The top-k eigenvectors as the columns of a row-major [n × k] matrix. */
  public double[] topVectors(int k) {
    checkCount(k);
    return Matrices.transpose(Arrays.copyOf(vectors, k * size), k, size);
  }

  /**
   * The components of {@code residual} along the top-k eigenvectors, P = V_kᵀ R, row-major
   * [k × c] where R is {@code residual} read as row-major [n × c] (c = residual.length / n: O for a
   * trace kernel's [N × O] outputs, 1 for a full kernel's).
   */
  public double[] project(double[] residual, int k) {
    checkCount(k);
    if (size == 0 || residual.length % size != 0) {
      throw new IllegalArgumentException("a residual of " + residual.length + " values does not have "
          + size + " rows");
    }
    int c = residual.length / size;
    double[] p = new double[k * c];
    // The first k columns of column-major V are row-major V_kᵀ, [k × n].
    Blas.get().gemm(false, false, k, c, size, 1.0, vectors, 0, size, residual, 0, c, 0.0, p, 0, c);
    return p;
  }

  private void checkCount(int k) {
    if (k < 0 || k > size) {
      throw new IllegalArgumentException("asked for " + k + " eigenvectors of a kernel of order " + size);
    }
  }
}
