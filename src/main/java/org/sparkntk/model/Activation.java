package org.sparkntk.model;

import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.math3.special.Erf;

/**
 * Elementwise nonlinearities φ with their derivatives φ', as used between dense layers.
 * Conventions follow PyTorch so that autograd golden values match: relu'(0) = 0, abs'(0) = 0,
 * leaky_relu'(0) = α (PyTorch takes the x ≤ 0 branch), gelu is the exact form x·Φ(x) (not the
 * tanh approximation).
 *
 * <p>The fixed activations are constants compared by identity ({@code ==}), also after Java
 * serialisation to executors ({@link #readResolve}); the leaky ReLU α·min(x, 0) + max(x, 0)
 * carries its negative slope α and is written {@code leaky_relu(α)} in configs and model.json
 * ({@code leaky_relu} alone means α = 0.01, PyTorch's default). Compare with {@link #kind()}.
 */
public abstract class Activation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The family of φ; {@link #LEAKY_RELU} instances differ by their slope. */
  public enum Kind { IDENTITY, RELU, LEAKY_RELU, ERF, TANH, SIN, GELU, ABS }

  /** PyTorch's {@code nn.LeakyReLU} default negative slope. */
  public static final double DEFAULT_NEGATIVE_SLOPE = 0.01;

  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, "identity") {
    @Override public double value(double x) { return x; }
    @Override public double derivative(double x) { return 1.0; }
  };

  public static final Activation RELU = new Activation(Kind.RELU, "relu") {
    @Override public double value(double x) { return x > 0 ? x : 0.0; }
    @Override public double derivative(double x) { return x > 0 ? 1.0 : 0.0; }
  };

  /** erf(x); φ'(x) = 2/√π · e^{−x²}. */
  public static final Activation ERF = new Activation(Kind.ERF, "erf") {
    @Override public double value(double x) { return Erf.erf(x); }
    @Override public double derivative(double x) { return TWO_OVER_SQRT_PI * Math.exp(-x * x); }
  };

  public static final Activation TANH = new Activation(Kind.TANH, "tanh") {
    @Override public double value(double x) { return Math.tanh(x); }
    @Override public double derivative(double x) {
      double t = Math.tanh(x);
      return 1.0 - t * t;
    }
  };

  public static final Activation SIN = new Activation(Kind.SIN, "sin") {
    @Override public double value(double x) { return Math.sin(x); }
    @Override public double derivative(double x) { return Math.cos(x); }
  };

  /** x·Φ(x) with Φ the standard normal CDF; φ'(x) = Φ(x) + x·e^{−x²/2}/√(2π). */
  public static final Activation GELU = new Activation(Kind.GELU, "gelu") {
    @Override public double value(double x) { return x * normalCdf(x); }
    @Override public double derivative(double x) {
      return normalCdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_TWO_PI;
    }
  };

  public static final Activation ABS = new Activation(Kind.ABS, "abs") {
    @Override public double value(double x) { return Math.abs(x); }
    @Override public double derivative(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }
  };

  private static final List<Activation> FIXED = List.of(IDENTITY, RELU, ERF, TANH, SIN, GELU, ABS);
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  private static final double INV_SQRT_TWO_PI = 1.0 / Math.sqrt(2.0 * Math.PI);
  private static final double INV_SQRT_TWO = 1.0 / Math.sqrt(2.0);

  private final Kind kind;
  private final String configName;

  private Activation(Kind kind, String configName) {
    this.kind = kind;
    this.configName = configName;
  }

  public abstract double value(double x);

  public abstract double derivative(double x);

  public Kind kind() {
    return kind;
  }

  /** The name used in configs and model.json; parsing it with {@link #fromConfig} gives an equal φ. */
  public String configName() {
    return configName;
  }

  /** The slope of φ for x &lt; 0 for the ReLU family φ = a·min(x, 0) + b·max(x, 0) (relu 0, abs −1). */
  public double negativeSlope() {
    return switch (kind) {
      case RELU -> 0.0;
      case ABS -> -1.0;
      case IDENTITY -> 1.0;
      default -> throw new UnsupportedOperationException(configName + " is not piecewise linear");
    };
  }

  /** The leaky ReLU α·min(x, 0) + max(x, 0) for a finite α. */
  public static Activation leakyRelu(double negativeSlope) {
    if (!Double.isFinite(negativeSlope)) {
      throw new IllegalArgumentException("the leaky_relu slope must be a finite number, got " + negativeSlope);
    }
    return new LeakyRelu(negativeSlope);
  }

  private static final class LeakyRelu extends Activation {
    private static final long serialVersionUID = 1L;
    private final double slope;

    LeakyRelu(double slope) {
      super(Kind.LEAKY_RELU, "leaky_relu(" + slope + ")");
      this.slope = slope;
    }

    @Override public double value(double x) { return x > 0 ? x : slope * x; }
    @Override public double derivative(double x) { return x > 0 ? 1.0 : slope; }
    @Override public double negativeSlope() { return slope; }

    @Override public boolean equals(Object o) {
      return o instanceof LeakyRelu l && Double.compare(slope, l.slope) == 0;
    }

    @Override public int hashCode() {
      return Double.hashCode(slope);
    }

    private Object readResolve() {
      return this;
    }
  }

  /** Keeps the fixed constants unique after deserialisation, so {@code ==} keeps working. */
  private Object readResolve() throws ObjectStreamException {
    return fromConfig(configName);
  }

  static double normalCdf(double x) {
    return 0.5 * Erf.erfc(-x * INV_SQRT_TWO);
  }

  /** One activation of every kind (leaky ReLU with slope 0.2), for tests and listings. */
  public static List<Activation> examples() {
    ArrayList<Activation> all = new ArrayList<>(FIXED);
    all.add(2, leakyRelu(0.2));
    return List.copyOf(all);
  }

  /** All names accepted in configs, for error messages. */
  public static String[] configNames() {
    String[] names = new String[FIXED.size() + 1];
    for (int i = 0; i < FIXED.size(); i++) {
      names[i] = FIXED.get(i).configName;
    }
    names[FIXED.size()] = "leaky_relu(α)";
    return names;
  }

  /**
   * Parses a config name: one of the fixed names, {@code leaky_relu} or {@code leaky_relu(α)}; unknown
   * names give an exception listing the valid ones.
   */
  public static Activation fromConfig(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Activation a : FIXED) {
      if (a.configName.equals(n)) {
        return a;
      }
    }
    if (n.equals("leaky_relu")) {
      return leakyRelu(DEFAULT_NEGATIVE_SLOPE);
    }
    if (n.startsWith("leaky_relu(") && n.endsWith(")")) {
      String slope = n.substring("leaky_relu(".length(), n.length() - 1).trim();
      double alpha;
      try {
        alpha = Double.parseDouble(slope);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("activation '" + name + "': the leaky_relu slope '" + slope
            + "' is not a number; write e.g. leaky_relu(0.2)");
      }
      if (!Double.isFinite(alpha)) {
        throw new IllegalArgumentException("activation '" + name + "': the leaky_relu slope must be finite");
      }
      return leakyRelu(alpha);
    }
    throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of "
        + String.join(", ", configNames()));
  }

  @Override
  public String toString() {
    return configName;
  }
}
