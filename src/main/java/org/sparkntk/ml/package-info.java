/**
 * The Spark ML API: {@link org.sparkntk.ml.NtkRegressor} and {@link
 * org.sparkntk.ml.NtkClassifier}, their models and persistence, over the same pipeline as the
 * CLI.
 */
package org.sparkntk.ml;
