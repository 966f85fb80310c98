package org.sparkntk.linalg;

import java.util.Objects;

/**
 * Both terms of a stored kernel block's product in one pass over its rows, for one column of V:
 * <pre>
 *   out_I[i] += Σ_j A[i, j] v_J[j]      (skipped when out_I is null)
 *   out_J[j] += Σ_i A[i, j] v_I[i]      (skipped when out_J is null)
 * </pre>
 * with A row-major, {@code rows × cols} from {@code offset}. A product over stored blocks reads
 * each block from memory once (Adlam et al. 2023, §3, for products by blocks), so its speed is the
 * speed at which this pass streams A.
 *
 * <p>Two BLAS GEMVs per chunk of rows (the fallback, in {@code KernelBlock}) stream float64 at
 * 18–21 GB/s on one core of the benchmark machine, the second one reading the chunk again from
 * cache, and float32 only after a widening copy, at about 6 GB/s. One pass with the JDK's Vector
 * API (incubator module jdk.incubator.vector; this project's spark.jvm.flags and Spark 4's
 * launcher pass {@code --add-modules=jdk.incubator.vector}) multiplies each loaded vector of A
 * into both terms and widens float32 in registers: measured 18–25 GB/s on one core for float64
 * and 11–17 GB/s for float32, two to three times as many float32 entries per second
 * (docs/BENCHMARKS.md, "One pass per block"). Without the module, or on CPUs whose vectors are narrower than
 * 256 bits, {@link #VECTORISED} is false and neither {@code VectorBlockProducts} nor any class of
 * the Vector API is loaded: the JVM resolves a class at the first call into it, and the static
 * initializer below calls into it only when the module is there.
 *
 * <p>The two routes add in different orders, so they agree to rounding, not to the bit; each one
 * gives the same bits on every run with the same vector width.
 */
public final class BlockProducts {
  /** Whether the Vector API path is taken; the system property {@value #SWITCH}=false turns it off. */
  public static final boolean VECTORISED = VectorModule.present() && Boolean.parseBoolean(
      System.getProperty(BlockProducts.SWITCH, "true")) && VectorWidths.worthwhile();

  /** The system property that turns the Vector API path off (for comparisons and as a way out). */
  public static final String SWITCH = "org.sparkntk.vectorProducts";

  /** Whether products take the Vector API path now: {@link #VECTORISED} unless a benchmark chose BLAS. */
  private static volatile boolean onePass = VECTORISED;

  /**
   * Whether block products take this one-pass route in this JVM now. {@link #VECTORISED} unless
   * {@link #preferBlas} turned it off.
   */
  public static boolean onePass() {
    return onePass;
  }

  /**
   * Makes this JVM's block products take the BLAS route ({@code true}) or this one where available
   * ({@code false}): for the product benchmark, which times both routes in one run, alternately.
   */
  public static void preferBlas(boolean blas) {
    onePass = VECTORISED && !blas;
  }

  private BlockProducts() {}

  /**
   * The route this JVM takes, for the log and metrics.json: executors decide for themselves, so on a
   * cluster this is the driver's (in an embedded run, the same JVM's).
   */
  public static String describe() {
    if (onePass) {
      return "one pass, Vector API, " + VectorBlockProducts.bits() + "-bit vectors";
    }
    if (VECTORISED) {
      return "BLAS (chosen by the caller)";
    }
    if (!VectorModule.present()) {
      return "BLAS (no module jdk.incubator.vector in this JVM)";
    }
    if (!Boolean.parseBoolean(System.getProperty(SWITCH, "true"))) {
      return "BLAS (" + SWITCH + "=false)";
    }
    return "BLAS (vectors narrower than 256 bits)";
  }


  /**
   * The pass over float64 entries. Only when {@link #VECTORISED}.
   *
   * @param vJ   v_J from {@code vJOffset}, {@code cols} entries
   * @param vI   v_I from {@code vIOffset}, {@code rows} entries (read only when {@code outJ} is set)
   * @param outI out_I from {@code outIOffset}, {@code rows} entries, or null
   * @param outJ out_J from {@code outJOffset}, {@code cols} entries, or null
   */
  public static void accumulate(double[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] vI,
                                int vIOffset, double[] outI, int outIOffset, double[] outJ, int outJOffset) {
    Objects.checkFromIndexSize(offset, rows * cols, a.length);
    check(rows, cols, vJ, vJOffset, vI, vIOffset, outI, outIOffset, outJ, outJOffset);
    if (outI != null && outJ != null) {
      VectorBlockProducts.both(a, offset, rows, cols, vJ, vJOffset, vI, vIOffset, outI, outIOffset, outJ, outJOffset);
    } else if (outI != null) {
      VectorBlockProducts.direct(a, offset, rows, cols, vJ, vJOffset, outI, outIOffset);
    } else if (outJ != null) {
      VectorBlockProducts.mirror(a, offset, rows, cols, vI, vIOffset, outJ, outJOffset);
    }
  }

  /** The same pass over float32 entries, each widened to float64 exactly. Only when {@link #VECTORISED}. */
  public static void accumulate(float[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] vI,
                                int vIOffset, double[] outI, int outIOffset, double[] outJ, int outJOffset) {
    Objects.checkFromIndexSize(offset, rows * cols, a.length);
    check(rows, cols, vJ, vJOffset, vI, vIOffset, outI, outIOffset, outJ, outJOffset);
    if (outI != null && outJ != null) {
      VectorBlockProducts.both(a, offset, rows, cols, vJ, vJOffset, vI, vIOffset, outI, outIOffset, outJ, outJOffset);
    } else if (outI != null) {
      VectorBlockProducts.direct(a, offset, rows, cols, vJ, vJOffset, outI, outIOffset);
    } else if (outJ != null) {
      VectorBlockProducts.mirror(a, offset, rows, cols, vI, vIOffset, outJ, outJOffset);
    }
  }

  /** Every range is checked before the first write, so a call out of range changes nothing. */
  private static void check(int rows, int cols, double[] vJ, int vJOffset, double[] vI, int vIOffset, double[] outI,
                            int outIOffset, double[] outJ, int outJOffset) {
    if (!VECTORISED) {
      throw new IllegalStateException("the Vector API path is off in this JVM; use the BLAS route");
    }
    if (outI != null) {
      Objects.checkFromIndexSize(vJOffset, cols, vJ.length);
      Objects.checkFromIndexSize(outIOffset, rows, outI.length);
    }
    if (outJ != null) {
      Objects.checkFromIndexSize(vIOffset, rows, vI.length);
      Objects.checkFromIndexSize(outJOffset, cols, outJ.length);
    }
  }
}
