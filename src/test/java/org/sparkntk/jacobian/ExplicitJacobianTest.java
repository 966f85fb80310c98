package org.sparkntk.jacobian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.Golden;
import org.sparkntk.io.Npy;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.empirical.ExplicitNtk;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/** The per-sample Jacobian against PyTorch autograd (golden files) and central finite differences. */
class ExplicitJacobianTest {

  static List<Golden> goldenCases() {
    return Golden.cases();
  }

  /**
   * Outputs, Jacobians and both NTK forms match autograd to 1e-12 relative to the largest entry:
   * both sides are float64 sums of at most a few hundred products, so their rounding differs by
   * far less (the worst case measured is about 1e-15).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenCases")
  void matchesAutogradGolden(Golden golden) {
    Mlp mlp = golden.model();
    Npy.Array x = golden.array("x.npy");
    int rows = x.dim(0);
    Npy.Array f = golden.array("f.npy");
    Npy.Array jac = golden.array("jac.npy");
    assertEquals(mlp.architecture().parameterCount(), jac.shape()[2], "P of the golden Jacobian");

    assertTrue(Matrices.maxRelativeDifference(mlp.outputs(x.data(), rows), f.data()) < 1e-12, "outputs");
    double[] ours = ExplicitJacobian.of(mlp.factors(x.data(), rows));
    double rel = Matrices.maxRelativeDifference(ours, jac.data());
    assertTrue(rel < 1e-12, "Jacobian differs from autograd by " + rel);

    ExplicitNtk full = new ExplicitNtk(mlp, KernelOutputs.FULL);
    ExplicitNtk trace = new ExplicitNtk(mlp, KernelOutputs.TRACE);
    double[] kFull = full.block(full.prepare(x.data(), rows), full.prepare(x.data(), rows));
    double[] kTrace = trace.block(trace.prepare(x.data(), rows), trace.prepare(x.data(), rows));
    assertTrue(Matrices.maxRelativeDifference(kFull, golden.array("ntk_full.npy").data()) < 1e-12, "full NTK");
    assertTrue(Matrices.maxRelativeDifference(kTrace, golden.array("ntk_trace.npy").data()) < 1e-12,
        "trace NTK");
  }

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of(new int[] {3, 6, 2}, Activation.TANH, Parameterization.NTK, 1.0, 0.1),
        Arguments.of(new int[] {4, 5, 7, 3}, Activation.ERF, Parameterization.STANDARD, 1.3, 0.4),
        Arguments.of(new int[] {2, 8, 8, 8, 1}, Activation.RELU, Parameterization.NTK, 1.0, 0.1),
        Arguments.of(new int[] {3, 5, 4}, Activation.GELU, Parameterization.STANDARD, 2.0, 0.0),
        Arguments.of(new int[] {3, 4, 4, 2}, Activation.SIN, Parameterization.NTK, 1.0, 0.5),
        Arguments.of(new int[] {5, 3}, Activation.IDENTITY, Parameterization.NTK, 1.0, 0.1),
        Arguments.of(new int[] {2, 6, 2}, Activation.ABS, Parameterization.STANDARD, 1.0, 0.2),
        Arguments.of(new int[] {3, 7, 5, 2}, Activation.leakyRelu(0.2), Parameterization.NTK, 1.2, 0.1));
  }

  /**
   * Central differences over every raw parameter with h = 1e-5: truncation h²/6·|f'''| and
   * rounding ε|f|/h are both below 1e-9 here, so 1e-7 relative to the largest entry leaves a
   * wide margin while any wrong factor (σ_w/√n, σ_b, a derivative) shows up at order 1.
   * In the standard parameterisation θ = (σ_w/√n·W, σ_b·b), so ∂f/∂θ = ∂f/∂W_raw ÷ that factor.
   */
  @ParameterizedTest
  @MethodSource("networks")
  void matchesCentralDifferences(int[] widths, Activation activation, Parameterization parameterization,
                                 double sigmaW, double sigmaB) {
    Architecture arch = new Architecture(widths, activation, parameterization, sigmaW, sigmaB);
    Mlp mlp = Mlp.initialise(arch, 11);
    int rows = 3;
    double[] x = new Random(5).doubles(rows * arch.inputs(), -1.5, 1.5).toArray();
    double[] jac = ExplicitJacobian.of(mlp.factors(x, rows));
    int o = arch.outputs();
    int p = Math.toIntExact(arch.parameterCount());
    double[] numeric = new double[jac.length];
    double h = 1e-5;
    for (int l = 0; l < arch.depth(); l++) {
      int offset = (int) arch.weightOffset(l);
      int nw = mlp.weight(l).length;
      double wScale = parameterization == Parameterization.NTK ? 1.0 : arch.forwardWeightScale(l);
      double bScale = parameterization == Parameterization.NTK ? 1.0 : sigmaB;
      for (int q = 0; q < nw + mlp.bias(l).length; q++) {
        boolean weight = q < nw;
        double scale = weight ? wScale : bScale;
        if (scale == 0) {
          continue; // σ_b = 0 in the standard parameterisation: b' is fixed at 0, J is δ.
        }
        double[] plus = perturbed(mlp, l, weight, weight ? q : q - nw, h).outputs(x, rows);
        double[] minus = perturbed(mlp, l, weight, weight ? q : q - nw, -h).outputs(x, rows);
        for (int r = 0; r < rows * o; r++) {
          numeric[r * p + offset + q] = (plus[r] - minus[r]) / (2 * h) / scale;
        }
      }
    }
    if (parameterization == Parameterization.STANDARD && sigmaB == 0) {
      zeroBiasColumns(arch, jac, numeric, rows * o, p);
    }
    double rel = Matrices.maxRelativeDifference(jac, numeric);
    assertTrue(rel < 1e-7, arch + ": Jacobian differs from finite differences by " + rel);
  }

  /** With σ_b = 0, finite differences cannot see b'; compare those columns against δ itself elsewhere. */
  private static void zeroBiasColumns(Architecture arch, double[] jac, double[] numeric, int rowsTimesO, int p) {
    for (int l = 0; l < arch.depth(); l++) {
      int start = (int) arch.weightOffset(l) + arch.width(l) * arch.width(l + 1);
      for (int r = 0; r < rowsTimesO; r++) {
        for (int j = 0; j < arch.width(l + 1); j++) {
          numeric[r * p + start + j] = jac[r * p + start + j];
        }
      }
    }
  }

  private static Mlp perturbed(Mlp mlp, int layer, boolean weight, int index, double h) {
    Architecture arch = mlp.architecture();
    double[][] w = new double[arch.depth()][];
    double[][] b = new double[arch.depth()][];
    for (int l = 0; l < arch.depth(); l++) {
      w[l] = mlp.weight(l).clone();
      b[l] = mlp.bias(l).clone();
    }
    (weight ? w : b)[layer][index] += h;
    return new Mlp(arch, w, b);
  }

  /** The same parameters give the same function in both parameterisations; only the Jacobian differs. */
  @org.junit.jupiter.api.Test
  void parameterisationsShareTheFunction() {
    Architecture ntk = new Architecture(new int[] {3, 7, 2}, Activation.TANH, Parameterization.NTK, 1.5, 0.3);
    Architecture std = new Architecture(new int[] {3, 7, 2}, Activation.TANH, Parameterization.STANDARD, 1.5, 0.3);
    Mlp a = Mlp.initialise(ntk, 3);
    Mlp b = new Mlp(std, new double[][] {a.weight(0), a.weight(1)}, new double[][] {a.bias(0), a.bias(1)});
    double[] x = {0.1, -0.4, 0.9, 1.0, 0.0, -1.0};
    assertArrayEquals(a.outputs(x, 2), b.outputs(x, 2), 0.0);
    double[] ja = ExplicitJacobian.of(a.factors(x, 2));
    double[] jb = ExplicitJacobian.of(b.factors(x, 2));
    // W_0 entries: ntk carries σ_w/√n_0 more than standard.
    assertEquals(ja[0], jb[0] * 1.5 / Math.sqrt(3), 1e-15 * Math.abs(ja[0]) + 1e-300);
  }
}
