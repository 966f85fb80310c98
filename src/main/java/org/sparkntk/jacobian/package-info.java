/**
 * Explicit per-sample Jacobians J(x) of the MLP, the reference route the structured kernel is
 * tested against (docs/THEORY.md, section 2). Plain Java; depends on {@code model} and {@code
 * linalg}.
 */
package org.sparkntk.jacobian;
