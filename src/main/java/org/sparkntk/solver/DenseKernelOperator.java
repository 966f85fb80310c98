package org.sparkntk.solver;

import java.util.concurrent.atomic.AtomicLong;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Blas;

/**
 * A kernel held as one dense array on the driver: Θ V is one GEMM. The reference the iterative
 * solvers are tested against, and what they run on for the driver backend.
 */
public final class DenseKernelOperator implements TransposableOperator {
  private final GramMatrix kernel;
  private final AtomicLong products = new AtomicLong();

  public DenseKernelOperator(GramMatrix kernel) {
    this.kernel = kernel;
  }

  @Override
  public int rows() {
    return kernel.rows();
  }

  @Override
  public int cols() {
    return kernel.cols();
  }

  @Override
  public int rowsPerExample() {
    return kernel.rowsPerExample();
  }

  @Override
  public double[] apply(double[] v, int c) {
    if (v.length != (long) kernel.cols() * c) {
      throw new IllegalArgumentException("Θ V: V has " + v.length + " entries, expected " + kernel.cols() + " × " + c);
    }
    double[] out = new double[kernel.rows() * c];
    Blas.get().gemm(kernel.rows(), c, kernel.cols(), 1.0, kernel.data(), v, 0.0, out);
    products.incrementAndGet();
    return out;
  }

  @Override
  public double[] applyTransposed(double[] u, int c) {
    if (u.length != (long) kernel.rows() * c) {
      throw new IllegalArgumentException("Θᵀ U: U has " + u.length + " entries, expected " + kernel.rows() + " × "
          + c);
    }
    double[] out = new double[kernel.cols() * c];
    Blas.get().gemm(true, false, kernel.cols(), c, kernel.rows(), 1.0, kernel.data(), 0, kernel.cols(), u, 0, c, 0.0,
        out, 0, c);
    products.incrementAndGet();
    return out;
  }

  @Override
  public long products() {
    return products.get();
  }

  @Override
  public String describe() {
    return "dense " + kernel.rows() + " × " + kernel.cols() + " on the driver";
  }
}
