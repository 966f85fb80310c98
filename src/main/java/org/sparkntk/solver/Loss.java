package org.sparkntk.solver;

import java.util.Locale;

/**
 * The cost C(f) = (1/N) Σ_i c(f(x_i), y_i) of kernel gradient descent (NTK-NOTES.md §4).
 * <ul>
 *   <li>{@code mse}: c = ½‖f − y‖², d = ∂c/∂f = f − y;</li>
 *   <li>{@code xent}: softmax cross-entropy, c = −Σ_a y_a log softmax(f)_a, d = softmax(f) − y,
 *       with the label columns read as target probabilities.</li>
 * </ul>
 */
public enum Loss {
  MSE("mse"),
  XENT("xent");

  private final String configName;

  Loss(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static Loss fromConfig(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Loss l : values()) {
      if (l.configName.equals(n)) {
        return l;
      }
    }
    throw new IllegalArgumentException("unknown loss '" + name + "'; expected mse or xent");
  }
}
