package org.sparkntk.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width this project's Vector API code uses (the block products' pass, the analytic
 * kernels' recursion), and whether using it is worth it. Loaded only in a JVM that has the module
 * jdk.incubator.vector (see {@code VectorModule}).
 */
public final class VectorWidths {
  /** Bits of the JVM's widest vectors (the preferred species: 512 with AVX-512, 256 with AVX2). */
  private static final int PREFERRED_BITS = DoubleVector.SPECIES_PREFERRED.vectorBitSize();

  /** float64 vectors: 512 bits where the CPU has them, else 256. */
  public static final VectorSpecies<Double> DOUBLES =
      PREFERRED_BITS >= 512 ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_256;

  private VectorWidths() {}

  /**
   * Whether the JVM's vectors are 256 bits or wider (AVX2, AVX-512). Narrower ones (SSE only, a
   * virtual machine's default CPU model, say) run the Vector API as plain Java, far slower than
   * BLAS or scalar code.
   */
  public static boolean worthwhile() {
    return PREFERRED_BITS >= 256;
  }
}
