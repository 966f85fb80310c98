package org.sparkntk;

import org.sparkntk.jacobian.ExplicitJacobian;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.model.Mlp;

/** The NTK by plain loops over explicit Jacobians of all rows at once: the single-JVM reference. */
public final class ReferenceNtk {
  private ReferenceNtk() {}

  /** Θ(X_l, X_r): [nl·k × nr·k], k = 1 (trace, mean over outputs) or O (full, index i·O + a). */
  public static double[] of(Mlp mlp, double[] xl, int nl, double[] xr, int nr, KernelOutputs outputs) {
    int o = mlp.architecture().outputs();
    int p = Math.toIntExact(mlp.architecture().parameterCount());
    double[] jl = ExplicitJacobian.of(mlp.factors(xl, nl));
    double[] jr = ExplicitJacobian.of(mlp.factors(xr, nr));
    int k = outputs.rowsPerExample(o);
    double[] out = new double[nl * k * nr * k];
    for (int i = 0; i < nl; i++) {
      for (int j = 0; j < nr; j++) {
        for (int a = 0; a < o; a++) {
          for (int b = 0; b < o; b++) {
            if (outputs == KernelOutputs.TRACE && a != b) {
              continue;
            }
            double s = 0;
            for (int q = 0; q < p; q++) {
              s += jl[(i * o + a) * p + q] * jr[(j * o + b) * p + q];
            }
            if (outputs == KernelOutputs.FULL) {
              out[(i * o + a) * nr * o + j * o + b] = s;
            } else {
              out[i * nr + j] += s / o;
            }
          }
        }
      }
    }
    return out;
  }
}
