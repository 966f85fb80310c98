/**
 * The experiments ({@link org.sparkntk.report.Report}) and their registry {@link
 * org.sparkntk.report.Reports}: convergence of the empirical NTK, random features, Jacot et
 * al.'s circle figure, the training dynamics, Tancik et al.'s image regression. Depends on
 * {@code pipeline} and below.
 */
package org.sparkntk.report;
