package org.sparkntk.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.kernel.analytic.AnalyticNtk;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * A block written into a caller's array has the bits of a block in a new array, whatever the
 * array held before (it is filled with NaN here), and is that array exactly when the kernel
 * writes into it and the length is the block's; otherwise a new array comes back.
 */
class BlockIntoTest {
  static final Architecture RELU = new Architecture(new int[] {6, 32, 32, 3}, Activation.RELU, Parameterization.NTK,
      1.4, 0.2);
  static final Architecture STANDARD = new Architecture(new int[] {6, 32, 32, 3}, Activation.fromConfig("erf"),
      Parameterization.STANDARD, 1.2, 0.3);

  static Stream<Arguments> kernels() {
    Mlp mlp = Mlp.initialise(RELU, 4);
    return Stream.of(
        Arguments.of("analytic NTK, trace", new AnalyticNtk(RELU, KernelOutputs.TRACE, true), true),
        Arguments.of("analytic NNGP, trace", new AnalyticNtk(RELU, KernelOutputs.TRACE, false), true),
        Arguments.of("analytic NTK, standard, erf", new AnalyticNtk(STANDARD, KernelOutputs.TRACE, true), true),
        Arguments.of("analytic NTK, full", new AnalyticNtk(RELU, KernelOutputs.FULL, true), false),
        Arguments.of("structured, trace", new StructuredNtk(mlp, KernelOutputs.TRACE, Precision.FLOAT64), true),
        Arguments.of("structured, full", new StructuredNtk(mlp, KernelOutputs.FULL, Precision.FLOAT64), true),
        Arguments.of("structured, float32", new StructuredNtk(mlp, KernelOutputs.TRACE, Precision.FLOAT32), true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  <F extends Serializable> void aBlockIntoAnArrayEqualsANewBlock(String name, BlockKernel<F> kernel,
                                                                 boolean writesInto) {
    Random rnd = new Random(6);
    int m = 9;
    int n = 13;
    F left = kernel.prepare(rnd.doubles(m * 6, -1, 1).toArray(), m);
    F right = kernel.prepare(rnd.doubles(n * 6, -1, 1).toArray(), n);
    double[] fresh = kernel.block(left, right);
    double[] used = new double[fresh.length];
    Arrays.fill(used, Double.NaN);
    double[] into = kernel.block(left, right, used);
    assertArrayEquals(fresh, into);
    if (writesInto) {
      assertSame(used, into);
    } else {
      assertNotSame(used, into);
    }
    double[] tooLong = new double[fresh.length + 1];
    double[] other = kernel.block(left, right, tooLong);
    assertNotSame(tooLong, other);
    assertArrayEquals(fresh, other);
    assertArrayEquals(fresh, kernel.block(left, right, null));
    F self = kernel.prepare(rnd.doubles(m * 6, -1, 1).toArray(), m);
    double[] diagonal = kernel.block(self, self);
    double[] reused = Arrays.copyOf(fresh, diagonal.length);
    assertArrayEquals(diagonal, kernel.block(self, self, reused), "a diagonal block into a used array");
  }
}
