package org.sparkntk.kernel.empirical;

import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkntk.ReferenceNtk;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/** The Monte-Carlo kernel is the mean of the explicit J Jᵀ of its S networks (seeds seed … seed + S − 1). */
class MonteCarloNtkTest {
  static final Architecture ARCH = new Architecture(new int[] {3, 7, 5, 2}, Activation.ERF, Parameterization.NTK,
      1.2, 0.1);

  /** 1e-12 relative, as the structured-vs-explicit contract: the same products, regrouped, then averaged. */
  @Test
  void isTheMeanOfItsNetworksKernels() {
    int n = 8;
    int m = 3;
    Random r = new Random(6);
    double[] x = r.doubles(n * 3, -1, 1).toArray();
    double[] xs = r.doubles(m * 3, -1, 1).toArray();
    int samples = 4;
    for (KernelOutputs outputs : KernelOutputs.values()) {
      MonteCarloNtk mc = new MonteCarloNtk(ARCH, 100, samples, outputs, Precision.FLOAT64);
      double[] gram = mc.block(mc.prepare(xs, m), mc.prepare(x, n));
      double[] expected = new double[gram.length];
      for (int s = 0; s < samples; s++) {
        double[] k = ReferenceNtk.of(Mlp.initialise(ARCH, 100 + s), xs, m, x, n, outputs);
        for (int i = 0; i < k.length; i++) {
          expected[i] += k[i] / samples;
        }
      }
      double rel = Matrices.maxRelativeDifference(gram, expected);
      assertTrue(rel < 1e-12, outputs + ": Monte-Carlo kernel differs from the mean of J Jᵀ by " + rel);
    }
  }

  @Test
  void oneSampleIsTheJobsOwnNetwork() {
    double[] x = new Random(2).doubles(5 * 3).toArray();
    MonteCarloNtk mc = new MonteCarloNtk(ARCH, 7, 1, KernelOutputs.TRACE, Precision.FLOAT64);
    StructuredNtk own = new StructuredNtk(Mlp.initialise(ARCH, 7), KernelOutputs.TRACE, Precision.FLOAT64);
    assertArrayEquals(own.block(own.prepare(x, 5), own.prepare(x, 5)), mc.block(mc.prepare(x, 5), mc.prepare(x, 5)),
        0.0);
  }
}
