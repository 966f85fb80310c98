package org.sparkntk.kernel;

import org.sparkntk.model.ConfigNamed;

/**
 * Storage and GEMM precision of a kernel. {@code float32} halves memory and shuffle volume and
 * runs SGEMM (about twice the DGEMM rate); layer sums and the assembled kernel stay float64.
 */
public enum Precision implements ConfigNamed {
  FLOAT64("float64"),
  FLOAT32("float32");

  private final String configName;

  Precision(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  public static Precision fromConfig(String name) {
    return ConfigNamed.parse(Precision.class, name, "precision");
  }
}
