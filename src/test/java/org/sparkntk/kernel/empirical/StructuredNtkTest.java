package org.sparkntk.kernel.empirical;

import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/** The structured (factorised) route against the contract, and its float32 variant against float64. */
class StructuredNtkTest extends EmpiricalNtkContract {
  @Override
  BlockKernel<?> kernel(Mlp mlp, KernelOutputs outputs) {
    return new StructuredNtk(mlp, outputs, Precision.FLOAT64);
  }

  /**
   * float32 storage and SGEMMs stay within 1e-5 of the float64 kernel, relative to its largest
   * entry: each GEMM entry is a sum of up to 2·256 float32 products, whose rounding error is
   * about √K·2⁻²⁴ ≈ 1.4e-6 relative to the sum of magnitudes (docs/BENCHMARKS.md gives the error
   * measured at the benchmark's sizes).
   */
  @ParameterizedTest
  @EnumSource(KernelOutputs.class)
  void float32StaysWithinItsDocumentedError(KernelOutputs outputs) {
    Architecture arch = new Architecture(new int[] {16, 256, 256, 3}, Activation.RELU, Parameterization.NTK, 1.4, 0.1);
    Mlp mlp = Mlp.initialise(arch, 8);
    int n = 40;
    double[] x = new Random(2).doubles(n * 16, -1, 1).toArray();
    double[] k64 = gram(new StructuredNtk(mlp, outputs, Precision.FLOAT64), x, n, x, n);
    double[] k32 = gram(new StructuredNtk(mlp, outputs, Precision.FLOAT32), x, n, x, n);
    double rel = Matrices.maxRelativeDifference(k32, k64);
    assertTrue(rel < 1e-5, "float32 kernel differs from float64 by " + rel);
    assertTrue(rel > 1e-9, "float32 must actually round: difference " + rel);
  }
}
