package org.sparkntk.kernel;

import java.util.Locale;

/**
 * Storage and GEMM precision of a kernel. {@code float32} halves memory and shuffle volume and
 * runs SGEMM (about twice the DGEMM rate); layer sums and the assembled kernel stay float64.
 */
public enum Precision {
  FLOAT64("float64"),
  FLOAT32("float32");

  private final String configName;

  Precision(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static Precision fromConfig(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Precision p : values()) {
      if (p.configName.equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + name + "'; expected float64 or float32");
  }
}
