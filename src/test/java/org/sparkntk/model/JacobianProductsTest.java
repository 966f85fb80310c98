package org.sparkntk.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.jacobian.ExplicitJacobian;
import org.sparkntk.linalg.Matrices;

/**
 * {@link Mlp#vjp} and {@link Mlp#jvp} against the explicit Jacobian (itself checked against
 * central differences and autograd golden values in ExplicitJacobianTest): Σ_i J_iᵀ g_i and J_i u
 * formed from J entry by entry here. Both routes sum the same products in other orders, so they
 * agree to rounding, 1e-12 relative to the largest entry.
 */
class JacobianProductsTest {
  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of(new int[] {3, 6, 2}, Activation.TANH, Parameterization.NTK, 1.0, 0.1),
        Arguments.of(new int[] {4, 5, 7, 3}, Activation.ERF, Parameterization.STANDARD, 1.3, 0.4),
        Arguments.of(new int[] {2, 8, 8, 8, 1}, Activation.RELU, Parameterization.NTK, 1.0, 0.1),
        Arguments.of(new int[] {3, 5, 4}, Activation.GELU, Parameterization.STANDARD, 2.0, 0.0),
        Arguments.of(new int[] {5, 3}, Activation.IDENTITY, Parameterization.NTK, 1.0, 0.1));
  }

  @ParameterizedTest
  @MethodSource("networks")
  void productsEqualTheExplicitJacobians(int[] widths, Activation activation, Parameterization parameterization,
                                         double sigmaW, double sigmaB) {
    Architecture arch = new Architecture(widths, activation, parameterization, sigmaW, sigmaB);
    Mlp mlp = Mlp.initialise(arch, 13);
    int rows = 5;
    int o = arch.outputs();
    int p = Math.toIntExact(arch.parameterCount());
    Random r = new Random(7);
    double[] x = r.doubles(rows * arch.inputs(), -1.5, 1.5).toArray();
    double[] jac = ExplicitJacobian.of(mlp.factors(x, rows));
    Mlp.ForwardPass fw = mlp.forwardPass(x, rows);

    double[] g = r.doubles(rows * o, -1, 1).toArray();
    double[] expectedVjp = new double[p];
    for (int q = 0; q < rows * o; q++) {
      for (int k = 0; k < p; k++) {
        expectedVjp[k] += jac[q * p + k] * g[q];
      }
    }
    double vjp = Matrices.maxRelativeDifference(mlp.vjp(fw, g, null), expectedVjp);
    assertTrue(vjp < 1e-12, arch + ": Jᵀg differs by " + vjp);

    double[] u = r.doubles(p, -1, 1).toArray();
    double[] expectedJvp = new double[rows * o];
    for (int q = 0; q < rows * o; q++) {
      for (int k = 0; k < p; k++) {
        expectedJvp[q] += jac[q * p + k] * u[k];
      }
    }
    double jvp = Matrices.maxRelativeDifference(mlp.jvp(fw, u), expectedJvp);
    assertTrue(jvp < 1e-12, arch + ": J u differs by " + jvp);
  }
}
