package org.sparkntk.model;

import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.math3.special.Erf;

/**
 * Elementwise nonlinearities φ with their derivatives φ', as used between dense layers.
 * Conventions follow PyTorch so that autograd golden values match: relu'(0) = 0, abs'(0) = 0,
 * gelu is the exact form x·Φ(x) (not the tanh approximation).
 */
public enum Activation {
  IDENTITY("identity") {
    @Override public double value(double x) { return x; }
    @Override public double derivative(double x) { return 1.0; }
  },
  RELU("relu") {
    @Override public double value(double x) { return x > 0 ? x : 0.0; }
    @Override public double derivative(double x) { return x > 0 ? 1.0 : 0.0; }
  },
  /** erf(x); φ'(x) = 2/√π · e^{−x²}. */
  ERF("erf") {
    @Override public double value(double x) { return Erf.erf(x); }
    @Override public double derivative(double x) { return TWO_OVER_SQRT_PI * Math.exp(-x * x); }
  },
  TANH("tanh") {
    @Override public double value(double x) { return Math.tanh(x); }
    @Override public double derivative(double x) {
      double t = Math.tanh(x);
      return 1.0 - t * t;
    }
  },
  SIN("sin") {
    @Override public double value(double x) { return Math.sin(x); }
    @Override public double derivative(double x) { return Math.cos(x); }
  },
  /** x·Φ(x) with Φ the standard normal CDF; φ'(x) = Φ(x) + x·e^{−x²/2}/√(2π). */
  GELU("gelu") {
    @Override public double value(double x) { return x * normalCdf(x); }
    @Override public double derivative(double x) {
      return normalCdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_TWO_PI;
    }
  },
  ABS("abs") {
    @Override public double value(double x) { return Math.abs(x); }
    @Override public double derivative(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }
  };

  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  private static final double INV_SQRT_TWO_PI = 1.0 / Math.sqrt(2.0 * Math.PI);
  private static final double INV_SQRT_TWO = 1.0 / Math.sqrt(2.0);

  private final String configName;

  Activation(String configName) {
    this.configName = configName;
  }

  public abstract double value(double x);

  public abstract double derivative(double x);

  /** The name used in configs and model.json. */
  public String configName() {
    return configName;
  }

  static double normalCdf(double x) {
    return 0.5 * Erf.erfc(-x * INV_SQRT_TWO);
  }

  /** All names accepted in configs, for error messages. */
  public static String[] configNames() {
    return Arrays.stream(values()).map(Activation::configName).toArray(String[]::new);
  }

  /** Parses a config name; unknown names give an exception listing the valid ones. */
  public static Activation fromConfig(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Activation a : values()) {
      if (a.configName.equals(n)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of "
        + String.join(", ", configNames()));
  }
}
