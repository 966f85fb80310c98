/**
 * The models whose NTK is computed: the MLP (NTK or standard parameterisation) with its per-
 * sample layer factors, the Fourier-feature input mappings, the random-features model, and
 * their seeded initialisation. Plain Java; depends on {@code linalg} only.
 */
package org.sparkntk.model;
