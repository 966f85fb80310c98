package org.sparkntk.model;

import java.io.Serializable;
import java.util.Map;

/**
 * A model f_θ: R^{inputs} → R^{outputs} at its initialisation θ_0, as the job uses it: the outputs
 * f_0 that kernel gradient descent starts from (computed per block of rows on executors) and what
 * the run record says about it. The job asks the model for f_0 whatever the kernel, so there is
 * one code path for the network ({@link Mlp}) and the random-features model
 * ({@link RandomFeatures}, its P → ∞ limit included).
 */
public interface Model extends Serializable {

  /** Input dimension d = n_0. */
  int inputs();

  /** Outputs O. */
  int outputs();

  /** f_0(x) for every row of a row-major [rows × inputs] block: row-major [rows × outputs]. */
  double[] outputs(double[] x, int rows);

  /**
   * What metrics.json records about the model, in order: {@code P} (trainable parameters, or the
   * string {@code inf}), {@code O}, then the model's own settings.
   */
  Map<String, Object> summary();

  /** A short description, for logs. */
  String describe();
}
