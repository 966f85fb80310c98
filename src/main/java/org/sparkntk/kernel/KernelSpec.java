package org.sparkntk.kernel;

/**
 * What the kernel factory ({@link Kernels}) builds, from the kernel.* keys: the kernel type,
 * the empirical route, the storage precision, the output structure, NTK or NNGP, the quadrature
 * of activations without a closed form, and the Monte-Carlo sample count and seed.
 *
 * @param type              empirical, analytic, montecarlo or randomfeatures (kernel.type)
 * @param method            structured or jacobian: the empirical NTK's route (kernel.method)
 * @param precision         float64 or float32 blocks (kernel.precision; structured and Monte-Carlo)
 * @param outputs           trace (one scalar kernel) or full (O×O blocks) (kernel.outputs)
 * @param ntk               the NTK; false: the NNGP kernel (kernel.get; analytic only)
 * @param quadraturePoints  0: the adaptive trapezoidal rule; n ≥ 1: n-point Gauss–Hermite (kernel.quadrature)
 * @param samples           initialisations averaged by the Monte-Carlo kernel (kernel.samples)
 * @param seed              the Monte-Carlo kernel's first seed (model.seed)
 */
public record KernelSpec(String type, String method, Precision precision, KernelOutputs outputs, boolean ntk,
                         int quadraturePoints, int samples, long seed) {
  /** The analytic route's quadrature default: the adaptive trapezoidal rule. */
  public static final int ADAPTIVE_QUADRATURE = 0;

  /** The same kernel with other outputs (the reports compare trace kernels). */
  public KernelSpec withOutputs(KernelOutputs other) {
    return new KernelSpec(type, method, precision, other, ntk, quadraturePoints, samples, seed);
  }

  /** The same kernel through another empirical route and precision (the benchmarks time each). */
  public KernelSpec withRoute(String otherMethod, Precision otherPrecision) {
    return new KernelSpec(type, otherMethod, otherPrecision, outputs, ntk, quadraturePoints, samples, seed);
  }
}
