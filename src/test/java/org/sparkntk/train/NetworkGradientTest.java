package org.sparkntk.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.jacobian.ExplicitJacobian;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.solver.Loss;

/**
 * The batched back-propagation of {@link NetworkGradient} against two independent routes: central
 * finite differences of the cost through the forward pass only, and Σ_i J(x_i)ᵀ d_i with the
 * explicit per-sample Jacobian that the NTK code uses.
 */
class NetworkGradientTest {
  static final int ROWS = 6;
  static final int INPUTS = 3;
  static final int OUTPUTS = 3;
  static final double[] X = new Random(17).doubles(ROWS * INPUTS, -1.5, 1.5).toArray();

  static Architecture arch(Activation phi, Parameterization param) {
    return new Architecture(new int[] {INPUTS, 7, 5, OUTPUTS}, phi, param, 1.3, 0.2);
  }

  /** mse: Gaussian targets; xent: one-hot rows and two soft rows of probabilities. */
  static double[] targets(Loss loss) {
    Random r = new Random(5);
    double[] y = new double[ROWS * OUTPUTS];
    if (loss == Loss.MSE) {
      for (int k = 0; k < y.length; k++) {
        y[k] = r.nextGaussian();
      }
      return y;
    }
    for (int i = 0; i < ROWS - 2; i++) {
      y[i * OUTPUTS + i % OUTPUTS] = 1.0;
    }
    System.arraycopy(new double[] {0.2, 0.5, 0.3, 0.0, 0.9, 0.1}, 0, y, (ROWS - 2) * OUTPUTS, 2 * OUTPUTS);
    return y;
  }

  static double costSum(Mlp mlp, Loss loss, double[] y) {
    return loss.costSum(mlp.outputs(X, ROWS), y, OUTPUTS);
  }

  static Stream<Arguments> cases() {
    return Stream.of(Activation.TANH, Activation.ERF, Activation.GELU, Activation.SIN, Activation.RELU)
        .flatMap(phi -> Stream.of(Loss.values())
            .flatMap(loss -> Stream.of(Parameterization.values()).map(p -> Arguments.of(phi, loss, p))));
  }

  /**
   * Central differences (C(θ + h e_p) − C(θ − h e_p))/2h with h = 1e-5 have truncation error
   * h²/6·|∂³C/∂θ_p³| ≈ 2e-11·|∂³C/∂θ_p³| and rounding error ≈ ε·|C|/h ≈ 2e-16·30/1e-5 ≈ 7e-10 for
   * these cost sums (|C| ≲ 30): about 1e-9 absolute. Here max_p |g_p| lies between 2 and 30 and the
   * measured worst errors are 1.4e-10 … 1.7e-9 absolute, at most 1.5e-10 of max_p |g_p|. The tolerance
   * 1e-8·max_p |g_p| is ≥ 2e-8, over ten times the bound, while a wrong factor (σ_w/√n_l on the wrong
   * side, σ_b, a missing φ', the other parameterisation's θ) moves entries by O(|g|).
   *
   * <p>ReLU is not differentiable at 0, but a central difference only sees the cost on
   * [θ_p − h, θ_p + h]; the test checks that no hidden pre-activation changes sign there (the
   * activation pattern is the same at θ ± h e_p as at θ), so on that segment the network is smooth
   * (affine in θ_p: mse is then exactly quadratic) and the same error bound and tolerance apply.
   */
  @ParameterizedTest(name = "{0}, {1}, {2}")
  @MethodSource("cases")
  void gradientMatchesCentralDifferences(Activation phi, Loss loss, Parameterization param) {
    Mlp mlp = Mlp.initialise(arch(phi, param), 3);
    double[] y = targets(loss);
    GradientSum sum = new NetworkGradient(mlp, loss).of(X, y, ROWS);
    assertEquals(costSum(mlp, loss, y), sum.cost(), 1e-13 * Math.abs(sum.cost()), "cost sum");
    assertEquals(ROWS, sum.rows());
    double[] g = sum.gradient();
    double[] theta = mlp.parameters();
    double h = 1e-5;
    double scale = Arrays.stream(g).map(Math::abs).max().orElseThrow();
    double worst = 0;
    for (int p = 0; p < theta.length; p++) {
      double[] plus = theta.clone();
      plus[p] += h;
      double[] minus = theta.clone();
      minus[p] -= h;
      Mlp up = mlp.withParameters(plus);
      Mlp down = mlp.withParameters(minus);
      if (phi == Activation.RELU) {
        assertSamePattern(mlp, up, p);
        assertSamePattern(mlp, down, p);
      }
      double fd = (costSum(up, loss, y) - costSum(down, loss, y)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[p]));
    }
    assertTrue(scale > 0.05, "gradient too small to test anything: " + scale);
    assertTrue(worst <= 1e-8 * scale, String.format("%s %s %s: max |FD − gradient| = %.3g, max |gradient| = %.3g",
        phi.configName(), loss.configName(), param.configName(), worst, scale));
    System.out.printf("FD %s %s %s: max |FD − g| = %.2e, relative %.2e%n", phi.configName(), loss.configName(),
        param.configName(), worst, worst / scale);
  }

  private static void assertSamePattern(Mlp base, Mlp moved, int p) {
    double[][] z0 = base.forwardPass(X, ROWS).preActivations();
    double[][] z1 = moved.forwardPass(X, ROWS).preActivations();
    for (int l = 1; l < z0.length; l++) {
      for (int k = 0; k < z0[l].length; k++) {
        assertEquals(z0[l][k] > 0, z1[l][k] > 0, "relu kink crossed by the stencil of parameter " + p);
      }
    }
  }

  /**
   * Σ_i J(x_i)ᵀ d_i with the explicit Jacobian of the NTK code: the gradient is taken with respect to
   * exactly the θ whose Jacobian gives the NTK. Both sides add the same products in a different order
   * (GEMM vs plain loop), a few ulps of the largest partial sums: 1e-12 of max|g| is ample.
   */
  @ParameterizedTest(name = "{0}, {1}, {2}")
  @MethodSource("cases")
  void gradientIsJacobianTransposeTimesLossDerivative(Activation phi, Loss loss, Parameterization param) {
    Mlp mlp = Mlp.initialise(arch(phi, param), 4);
    double[] y = targets(loss);
    double[] expected = jacobianTransposeD(mlp, loss, X, y, ROWS);
    double[] g = new NetworkGradient(mlp, loss).of(X, y, ROWS).gradient();
    double rel = Matrices.maxRelativeDifference(g, expected);
    assertTrue(rel < 1e-12, "gradient differs from Σ Jᵀd by " + rel);
  }

  /** Σ_i J(x_i)ᵀ d_i, d_i = ∂c/∂f from {@link Loss}, by loops over the explicit Jacobian. */
  static double[] jacobianTransposeD(Mlp mlp, Loss loss, double[] x, double[] y, int rows) {
    int o = mlp.architecture().outputs();
    int p = Math.toIntExact(mlp.architecture().parameterCount());
    double[] jac = ExplicitJacobian.of(mlp.factors(x, rows));
    double[] f = mlp.outputs(x, rows);
    double[] d = new double[f.length];
    for (int i = 0; i < rows; i++) {
      loss.costAndDerivative(f, y, i * o, o, d);
    }
    double[] out = new double[p];
    for (int r = 0; r < rows * o; r++) {
      for (int q = 0; q < p; q++) {
        out[q] += d[r] * jac[r * p + q];
      }
    }
    return out;
  }

  /**
   * Logits of order ±1e4 (a final layer with raw weights of 1e4): e^{f} overflows, yet the cost and
   * gradient are finite and match a reference written differently, lse = m + log1p(Σ_{b≠argmax} e^{f_b − m}),
   * c_i = Σ_a y_a (lse − f_a), d = softmax − y. Costs are O(1e4): 1e-12 relative is a few ulps of them.
   */
  @ParameterizedTest
  @EnumSource(Parameterization.class)
  void crossEntropyStaysFiniteForHugeLogits(Parameterization param) {
    Architecture arch = new Architecture(new int[] {INPUTS, 4, OUTPUTS}, Activation.TANH, param, 1.0, 0.1);
    Mlp base = Mlp.initialise(arch, 9);
    double[] w1 = base.weight(1).clone();
    for (int k = 0; k < w1.length; k++) {
      w1[k] *= 1e4;
    }
    Mlp mlp = new Mlp(arch, new double[][] {base.weight(0), w1}, new double[][] {base.bias(0), base.bias(1)});
    double[] f = mlp.outputs(X, ROWS);
    double maxLogit = Arrays.stream(f).map(Math::abs).max().orElseThrow();
    assertTrue(maxLogit > 3e3 && Double.isInfinite(Math.exp(maxLogit)),
        "logits must be large enough that e^f overflows, max |f| = " + maxLogit);
    double[] y = targets(Loss.XENT);

    double expectedCost = 0;
    double[] d = new double[f.length];
    for (int i = 0; i < ROWS; i++) {
      int off = i * OUTPUTS;
      int arg = off;
      for (int a = off; a < off + OUTPUTS; a++) {
        arg = f[a] > f[arg] ? a : arg;
      }
      double tail = 0;
      for (int a = off; a < off + OUTPUTS; a++) {
        tail += a == arg ? 0.0 : Math.exp(f[a] - f[arg]);
      }
      double lse = f[arg] + Math.log1p(tail);
      for (int a = off; a < off + OUTPUTS; a++) {
        expectedCost += y[a] == 0 ? 0.0 : y[a] * (lse - f[a]);
        d[a] = Math.exp(f[a] - lse) - y[a];
      }
    }
    GradientSum sum = new NetworkGradient(mlp, Loss.XENT).of(X, y, ROWS);
    assertTrue(Double.isFinite(sum.cost()) && Arrays.stream(sum.gradient()).allMatch(Double::isFinite),
        "cost and gradient must be finite");
    assertTrue(expectedCost > 1e3, "some targets sit on a logit far below the maximum: cost " + expectedCost);
    assertEquals(expectedCost, sum.cost(), 1e-12 * expectedCost, "cost against log-sum-exp reference");

    int p = Math.toIntExact(arch.parameterCount());
    double[] jac = ExplicitJacobian.of(mlp.factors(X, ROWS));
    double[] expected = new double[p];
    for (int r = 0; r < ROWS * OUTPUTS; r++) {
      for (int q = 0; q < p; q++) {
        expected[q] += d[r] * jac[r * p + q];
      }
    }
    double rel = Matrices.maxRelativeDifference(sum.gradient(), expected);
    assertTrue(rel < 1e-12, "gradient differs from Σ Jᵀ(softmax − y) by " + rel);
  }

  /** Sums over blocks add up: two blocks accumulated into one sum equal the whole block (rounding only). */
  @Test
  void blocksAddUp() {
    Mlp mlp = Mlp.initialise(arch(Activation.GELU, Parameterization.NTK), 6);
    double[] y = targets(Loss.MSE);
    NetworkGradient ng = new NetworkGradient(mlp, Loss.MSE);
    GradientSum whole = ng.of(X, y, ROWS);
    GradientSum parts = new GradientSum(whole.parameters());
    int split = 2;
    ng.accumulate(Arrays.copyOf(X, split * INPUTS), Arrays.copyOf(y, split * OUTPUTS), split, parts);
    GradientSum rest = ng.of(Arrays.copyOfRange(X, split * INPUTS, X.length),
        Arrays.copyOfRange(y, split * OUTPUTS, y.length), ROWS - split);
    parts.add(rest).add(new GradientSum(whole.parameters()));
    assertEquals(ROWS, parts.rows());
    assertEquals(whole.cost(), parts.cost(), 1e-14 * whole.cost());
    assertTrue(Matrices.maxRelativeDifference(parts.gradient(), whole.gradient()) < 1e-14);
  }

  /**
   * The parameter vector is the parameterisation's θ: raw draws (ntk), (σ_w/√n_l)·W and σ_b·b (standard),
   * at Architecture.weightOffset; withParameters inverts it (exactly for ntk, to rounding for standard)
   * and leaves the original network alone.
   */
  @ParameterizedTest
  @EnumSource(Parameterization.class)
  void parameterVectorLayoutAndRoundTrip(Parameterization param) {
    Architecture arch = arch(Activation.TANH, param);
    Mlp mlp = Mlp.initialise(arch, 1);
    double[] theta = mlp.parameters();
    assertEquals(arch.parameterCount(), theta.length);
    boolean standard = param == Parameterization.STANDARD;
    for (int l = 0; l < arch.depth(); l++) {
      int off = (int) arch.weightOffset(l);
      double cw = standard ? arch.sigmaW() / Math.sqrt(arch.width(l)) : 1.0;
      double cb = standard ? arch.sigmaB() : 1.0;
      for (int k = 0; k < mlp.weight(l).length; k++) {
        assertEquals(cw * mlp.weight(l)[k], theta[off + k], 0.0);
      }
      for (int j = 0; j < mlp.bias(l).length; j++) {
        assertEquals(cb * mlp.bias(l)[j], theta[off + mlp.weight(l).length + j], 0.0);
      }
    }
    double[] w0 = mlp.weight(0).clone();
    double[] moved = theta.clone();
    moved[0] += 1.0;
    Mlp other = mlp.withParameters(moved);
    assertArrayEquals(w0, mlp.weight(0), 0.0, "the original network is unchanged");
    assertEquals(moved[0], other.parameters()[0], 1e-15 * Math.abs(moved[0]));
    double rel = Matrices.maxRelativeDifference(mlp.withParameters(theta).parameters(), theta);
    assertTrue(standard ? rel < 1e-15 : rel == 0.0, "round trip differs by " + rel);
    assertThrows(IllegalArgumentException.class, () -> mlp.withParameters(new double[theta.length - 1]));
  }

  @Test
  void standardWithoutBiasScaleRefusesNonZeroBias() {
    Architecture arch = new Architecture(new int[] {2, 3, 1}, Activation.TANH, Parameterization.STANDARD, 1.0, 0.0);
    Mlp mlp = Mlp.initialise(arch, 1);
    double[] theta = mlp.parameters();
    assertArrayEquals(theta, mlp.withParameters(theta).parameters(), 1e-15);
    theta[(int) arch.weightOffset(1) + 3] = 0.5; // b'_1[0]
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mlp.withParameters(theta));
    assertTrue(e.getMessage().contains("σ_b = 0"), e.getMessage());
  }
}
