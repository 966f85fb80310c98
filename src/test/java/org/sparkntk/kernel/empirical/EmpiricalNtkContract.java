package org.sparkntk.kernel.empirical;

import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.ReferenceNtk;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The contract every empirical-NTK route meets (as EJML's generic decomposition tests): it equals
 * the definition Θ = J Jᵀ, computed by plain loops over explicit Jacobians, for random networks
 * of several depths, widths, output counts, activations and both parameterisations, for the
 * trace and full kernels, on the training Gram and a cross kernel.
 *
 * <p>Tolerance 1e-12 relative to the largest entry: both sides are float64 sums of the same
 * products (the structured route regroups them per layer), so they differ only by rounding,
 * a few ulps of the partial sums for P ≤ a few thousand.
 */
public abstract class EmpiricalNtkContract {

  abstract BlockKernel<?> kernel(Mlp mlp, KernelOutputs outputs);

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of(new int[] {3, 1}, Activation.IDENTITY, Parameterization.NTK),
        Arguments.of(new int[] {4, 9, 1}, Activation.RELU, Parameterization.NTK),
        Arguments.of(new int[] {2, 7, 5, 3}, Activation.ERF, Parameterization.STANDARD),
        Arguments.of(new int[] {5, 6, 6, 6, 4}, Activation.TANH, Parameterization.NTK),
        Arguments.of(new int[] {3, 12, 2}, Activation.GELU, Parameterization.STANDARD),
        Arguments.of(new int[] {1, 4, 8, 10}, Activation.SIN, Parameterization.NTK),
        Arguments.of(new int[] {6, 3, 5}, Activation.ABS, Parameterization.NTK),
        Arguments.of(new int[] {4, 6, 5, 2}, Activation.leakyRelu(0.2), Parameterization.STANDARD));
  }

  @ParameterizedTest
  @MethodSource("networks")
  void equalsExplicitJacobianContraction(int[] widths, Activation activation, Parameterization parameterization) {
    Architecture arch = new Architecture(widths, activation, parameterization, 1.3, 0.2);
    Mlp mlp = Mlp.initialise(arch, widths.length * 31L + activation.kind().ordinal());
    Random r = new Random(17);
    int n = 9;
    int m = 4;
    double[] x = r.doubles(n * arch.inputs(), -2, 2).toArray();
    double[] xs = r.doubles(m * arch.inputs(), -2, 2).toArray();
    for (KernelOutputs outputs : KernelOutputs.values()) {
      double[] train = gram(kernel(mlp, outputs), x, n, x, n);
      double rel = Matrices.maxRelativeDifference(train, ReferenceNtk.of(mlp, x, n, x, n, outputs));
      assertTrue(rel < 1e-12, arch + " " + outputs + ": training Gram differs from J Jᵀ by " + rel);
      double[] cross = gram(kernel(mlp, outputs), xs, m, x, n);
      double relCross = Matrices.maxRelativeDifference(cross, ReferenceNtk.of(mlp, xs, m, x, n, outputs));
      assertTrue(relCross < 1e-12, arch + " " + outputs + ": cross kernel differs from J Jᵀ by " + relCross);
    }
  }

  /** A Gram assembled from blocks of any size equals the one-block Gram, entry for entry. */
  @Test
  void blocksOfAnySizeAssembleTheSameGram() {
    Architecture arch = new Architecture(new int[] {3, 8, 8, 2}, Activation.TANH, Parameterization.NTK, 1.0, 0.1);
    Mlp mlp = Mlp.initialise(arch, 5);
    int n = 11;
    double[] x = new Random(3).doubles(n * 3, -1, 1).toArray();
    for (KernelOutputs outputs : KernelOutputs.values()) {
      BlockKernel<?> kernel = kernel(mlp, outputs);
      int k = kernel.rowsPerExample();
      double[] whole = gram(kernel, x, n, x, n);
      int split = 4;
      double[] top = java.util.Arrays.copyOfRange(x, 0, split * 3);
      double[] bottom = java.util.Arrays.copyOfRange(x, split * 3, n * 3);
      double[] upperRight = gram(kernel, top, split, bottom, n - split);
      for (int i = 0; i < split * k; i++) {
        for (int j = 0; j < (n - split) * k; j++) {
          assertEquals(whole[i * n * k + split * k + j], upperRight[i * (n - split) * k + j],
              1e-14 * Math.abs(whole[i * n * k + split * k + j]) + 1e-300);
        }
      }
      // Symmetric to rounding: Θ(x, x') = Θ(x', x)ᵀ.
      for (int i = 0; i < n * k; i++) {
        for (int j = 0; j < i; j++) {
          assertEquals(whole[i * n * k + j], whole[j * n * k + i], 1e-13 * Math.abs(whole[i * n * k + i]));
        }
      }
    }
  }

  @Test
  void emptyBlocksGiveEmptyKernels() {
    Architecture arch = new Architecture(new int[] {2, 4, 3}, Activation.RELU, Parameterization.NTK, 1.0, 0.1);
    Mlp mlp = Mlp.initialise(arch, 1);
    double[] x = {0.5, -0.5};
    assertArrayEquals(new double[0], gram(kernel(mlp, KernelOutputs.FULL), new double[0], 0, x, 1));
  }

  @SuppressWarnings("unchecked")
  public static <F extends Serializable> double[] gram(BlockKernel<F> kernel, double[] xl, int nl, double[] xr, int nr) {
    return kernel.block(kernel.prepare(xl, nl), kernel.prepare(xr, nr));
  }

  /**
   * Asserts that the n × n Gram {@code g} has finite entries, |g_ij − g_ji| ≤ asymmetry · λ_max and
   * λ_min ≥ −1e-12 λ_max (PSD up to rounding); {@code what} names the case in failures.
   */
  public static void assertSymmetricPsdAndFinite(double[] g, int n, double asymmetry, String what) {
    assertEquals((long) n * n, g.length, what);
    double asym = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        assertTrue(Double.isFinite(g[i * n + j]), what);
        asym = Math.max(asym, Math.abs(g[i * n + j] - g[j * n + i]));
      }
    }
    double[] values = Lapack.get().symmetricEigen(g, n).values();
    double lmax = values[n - 1];
    assertTrue(asym <= asymmetry * lmax, what + ": asymmetry " + asym);
    assertTrue(values[0] >= -1e-12 * lmax, what + ": λmin " + values[0] + ", λmax " + lmax);
  }
}
