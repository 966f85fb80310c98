package org.sparkntk.solver;

/**
 * One step of kernel gradient descent (docs/THEORY.md §5; Jacot et al. 2018, §3) written out index by index, the reference
 * the solver tests compare against: f ← f − (η/N) Θ(X, X) d on the training rows and
 * g ← g − (η/N) Θ(X*, X) d on the test rows, with d = ∂c/∂f computed by the caller for its loss.
 */
final class DirectKernelStep {
  private DirectKernelStep() {}

  /**
   * Applies the step to {@code fNext} [N × O] and {@code gNext} [M × O] (which start as f and g).
   * {@code trace}: k [N × N] and kx [M × N] act on each output column; otherwise k [NO × NO] and
   * kx [MO × NO] hold Θ_ab(x_i, x_j) at row i·O + a, column j·O + b. {@code size} is k's row length.
   */
  static void apply(boolean trace, double[] k, double[] kx, int size, int n, int m, int o, double lr, double[] d,
                    double[] fNext, double[] gNext) {
    if (trace) {
      // f[i][a] -= η/N Σ_j K[i][j] d[j][a]: the N×N kernel on each output column a.
      for (int a = 0; a < o; a++) {
        for (int i = 0; i < n; i++) {
          double s = 0;
          for (int j = 0; j < n; j++) {
            s += k[i * size + j] * d[j * o + a];
          }
          fNext[i * o + a] -= lr / n * s;
        }
        for (int i = 0; i < m; i++) {
          double s = 0;
          for (int j = 0; j < n; j++) {
            s += kx[i * size + j] * d[j * o + a];
          }
          gNext[i * o + a] -= lr / n * s;
        }
      }
      return;
    }
    // f[i][a] -= η/N Σ_{j,b} Θ_ab(x_i, x_j) d[j][b]
    for (int i = 0; i < n; i++) {
      for (int a = 0; a < o; a++) {
        double s = 0;
        for (int j = 0; j < n; j++) {
          for (int b = 0; b < o; b++) {
            s += k[(i * o + a) * size + j * o + b] * d[j * o + b];
          }
        }
        fNext[i * o + a] -= lr / n * s;
      }
    }
    for (int i = 0; i < m; i++) {
      for (int a = 0; a < o; a++) {
        double s = 0;
        for (int j = 0; j < n; j++) {
          for (int b = 0; b < o; b++) {
            s += kx[(i * o + a) * size + j * o + b] * d[j * o + b];
          }
        }
        gNext[i * o + a] -= lr / n * s;
      }
    }
  }
}
