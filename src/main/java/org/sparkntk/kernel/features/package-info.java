/**
 * The random-features kernel K̃ = (1/P) Σ_p f_p f_pᵀ and its closed-form P → ∞ limit. Built by
 * {@code kernel.Kernels} only.
 */
package org.sparkntk.kernel.features;
