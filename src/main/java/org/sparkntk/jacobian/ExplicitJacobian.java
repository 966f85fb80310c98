package org.sparkntk.jacobian;

import org.sparkntk.model.Architecture;
import org.sparkntk.model.LayerFactors;

/**
 * The explicit per-sample Jacobian J(x) = ∂f(x)/∂θ ∈ R^{O×P}, assembled from layer factors:
 * for θ = (W_0, b_0, W_1, b_1, …), W_l flattened row-major,
 * ∂f_a/∂(W_l)_{jk} = c_W(l)·δ_{l+1}^a[j]·a_l[k] and ∂f_a/∂(b_l)_j = c_b·δ_{l+1}^a[j],
 * with c_W, c_b from the {@link org.sparkntk.model.Parameterization}.
 */
public final class ExplicitJacobian {
  private ExplicitJacobian() {}

  /** Row-major [rows·O × P], row i·O + a is ∂f_a(x_i)/∂θ. */
  public static double[] of(LayerFactors factors) {
    Architecture arch = factors.architecture();
    int rows = factors.rows();
    int o = arch.outputs();
    long pLong = arch.parameterCount();
    long size = (long) rows * o * pLong;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("the explicit Jacobian of " + rows + " rows × " + o + " outputs × "
          + pLong + " parameters has " + size + " entries, more than one Java array holds: use fewer rows "
          + "per block (kernel.blockSize) or the structured route (kernel.method = structured)");
    }
    int p = (int) pLong;
    double[] jac = new double[(int) size];
    double cb = arch.parameterization().biasGradientScale(arch.sigmaB());
    for (int l = 0; l < arch.depth(); l++) {
      int in = arch.width(l);
      int out = arch.width(l + 1);
      double cw = arch.parameterization().weightGradientScale(arch.sigmaW(), in);
      int offset = (int) arch.weightOffset(l);
      double[] act = factors.activation(l);
      double[] sens = factors.sensitivity(l);
      for (int i = 0; i < rows; i++) {
        for (int a = 0; a < o; a++) {
          int row = (i * o + a) * p + offset;
          int s = (i * o + a) * out;
          for (int j = 0; j < out; j++) {
            double d = cw * sens[s + j];
            int w = row + j * in;
            for (int k = 0; k < in; k++) {
              jac[w + k] = d * act[i * in + k];
            }
          }
          int bias = row + out * in;
          for (int j = 0; j < out; j++) {
            jac[bias + j] = cb * sens[s + j];
          }
        }
      }
    }
    return jac;
  }
}
