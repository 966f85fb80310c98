/**
 * Block kernels: {@link org.sparkntk.kernel.BlockKernel} prepares a block of rows once and
 * computes kernel blocks Θ_IJ from two prepared blocks; {@link
 * org.sparkntk.kernel.KernelBlock}, {@link org.sparkntk.kernel.BlockPlan} and {@link
 * org.sparkntk.kernel.GramMatrix} hold and index them. {@link org.sparkntk.kernel.Kernels} is
 * the one place kernels are built, from a {@link org.sparkntk.kernel.KernelSpec}; the
 * implementations are in the packages below. Plain Java; depends on {@code model}, {@code
 * jacobian} and {@code linalg}, and only {@code Kernels} on the packages below.
 */
package org.sparkntk.kernel;
