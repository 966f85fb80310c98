package org.sparkntk.train;

import java.io.Serializable;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.solver.Loss;

/**
 * The gradient of the training cost of a finite network with respect to its trainable parameters,
 * for a block of rows, by batched back-propagation (plain Java, no Spark).
 *
 * <p>For rows x_i with targets y_i and outputs f_i = f(x_i) (docs/THEORY.md §1), it returns
 * Σ_i c(f_i, y_i) and Σ_i ∇_θ c(f_i, y_i) = Σ_i J(x_i)ᵀ d_i with d_i = ∂c/∂f (f_i, y_i)
 * ({@link Loss}), where J(x) = ∂f(x)/∂θ is the Jacobian the NTK Θ(x, x') = J(x) J(x')ᵀ is built from
 * (same θ: raw draws for ntk, W' = (σ_w/√n_l)·W and b' = σ_b·b for standard). Hence gradient descent
 * θ ← θ − η ∇_θ C with C = (1/N) Σ_i c_i changes the outputs by −η J(x) ∇_θ C =
 * −(η/N) Σ_i Θ(x, x_i) d_i to first order in η: one step of kernel gradient descent with the NTK at
 * θ (Jacot et al. 2018, §3), which is why a wide network trained this way follows kernel gradient
 * descent with Θ_0 (Lee et al. 2019, "Wide Neural Networks of Any Depth Evolve as Linear Models").
 *
 * <p>With s_l = σ_w/√n_l, the block forward pass Z_{l+1} = s_l A_l W_lᵀ + σ_b 1 b_lᵀ, A_{l+1} = φ(Z_{l+1})
 * ([rows × n]) is followed by the backward pass G_{L−1} = D = [d_i]_i ([rows × O]),
 * G_{l−1} = (s_l G_l W_l) ∘ φ'(Z_l), one GEMM per layer, and
 * ∂/∂θ_{W_l} Σ_i c_i = c_W(l) G_lᵀ A_l (one GEMM), ∂/∂θ_{b_l} Σ_i c_i = c_b Σ_i (G_l)_i, with c_W(l), c_b the
 * factors of ∂z/∂θ of the {@link Parameterization} (the same as in the Jacobian).
 */
public final class NetworkGradient implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Mlp mlp;
  private final Loss loss;

  public NetworkGradient(Mlp mlp, Loss loss) {
    this.mlp = mlp;
    this.loss = loss;
  }

  /** Σ_i c_i and Σ_i ∇_θ c_i over the rows of row-major features [rows × n_0] and targets [rows × O]. */
  public GradientSum of(double[] features, double[] targets, int rows) {
    GradientSum sum = new GradientSum(Math.toIntExact(mlp.architecture().parameterCount()));
    accumulate(features, targets, rows, sum);
    return sum;
  }

  /** Adds Σ_i c_i and Σ_i ∇_θ c_i over the rows to {@code sum} (in place). */
  public void accumulate(double[] features, double[] targets, int rows, GradientSum sum) {
    Architecture arch = mlp.architecture();
    int o = arch.outputs();
    if (targets.length != (long) rows * o) {
      throw new IllegalArgumentException("targets have " + targets.length + " values, expected rows × outputs = "
          + rows + " × " + o);
    }
    if (sum.parameters() != arch.parameterCount()) {
      throw new IllegalArgumentException("gradient sum has " + sum.parameters() + " parameters, " + arch
          + " has " + arch.parameterCount());
    }
    if (rows == 0) {
      return;
    }
    Mlp.ForwardPass fw = mlp.forwardPass(features, rows);
    double[] outputs = fw.outputs();
    double[] g = new double[rows * o];
    double cost = 0;
    for (int offset = 0; offset < g.length; offset += o) {
      cost += loss.costAndDerivative(outputs, targets, offset, o, g);
    }
    // Σ_i ∇_θ c_i = Σ_i J(x_i)ᵀ g_i, added into the running sum by the backward pass of the class comment.
    mlp.vjp(fw, g, sum.gradientForUpdate());
    sum.addRows(rows, cost);
  }

  /**
   * One full-batch gradient-descent step θ ← θ − η ∇_θ C = θ − (η/N) Σ_i ∇_θ c_i, N = {@code sum.rows()};
   * returns a new network, {@code mlp} is unchanged.
   */
  public static Mlp step(Mlp mlp, GradientSum sum, double learningRate) {
    if (sum.rows() == 0) {
      throw new IllegalArgumentException("a gradient step needs at least one row");
    }
    double[] theta = mlp.parameters();
    double[] gradient = sum.gradient();
    double scale = learningRate / sum.rows();
    for (int p = 0; p < theta.length; p++) {
      theta[p] -= scale * gradient[p];
    }
    return mlp.withParameters(theta);
  }
}
