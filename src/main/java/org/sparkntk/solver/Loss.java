package org.sparkntk.solver;

import java.util.Arrays;
import org.sparkntk.model.ConfigNamed;

/**
 * The per-example cost c(f, y) of C = (1/N) Σ_i c(f(x_i), y_i) and its derivative d = ∂c/∂f
 * (docs/THEORY.md §5–§7; Jacot et al. 2018, §3), for one example's O outputs f and targets y:
 * <ul>
 *   <li>{@code mse}: c = ½‖f − y‖², d = f − y;</li>
 *   <li>{@code xent} (softmax cross-entropy against target probabilities y, typically one-hot):
 *       c = −Σ_a y_a log softmax(f)_a = (Σ_a y_a)·lse(f) − Σ_a y_a f_a with
 *       lse(f) = log Σ_b e^{f_b}, and d = (Σ_a y_a)·softmax(f) − y, which is softmax(f) − y for
 *       targets that sum to 1.</li>
 * </ul>
 * lse(f) is evaluated as m + log Σ_b e^{f_b − m} with m = max_b f_b, so that every exponent is
 * ≤ 0 and one term is 1: finite for any finite logits (e^{f} itself overflows from f ≈ 710).
 */
public enum Loss implements ConfigNamed {
  MSE("mse", "MSE", 2.0) {
    @Override
    public double costAndDerivative(double[] f, double[] y, int offset, int outputs, double[] d) {
      double s = 0;
      for (int a = offset; a < offset + outputs; a++) {
        double r = f[a] - y[a];
        s += r * r;
        if (d != null) {
          d[a] = r;
        }
      }
      return 0.5 * s;
    }

    /** (1/N) · ½ Σ over all N·O entries of (f − y)², one running sum in index order. */
    @Override
    public double meanCost(double[] f, double[] y, int outputs) {
      int examples = y.length / outputs;
      double s = 0;
      for (int i = 0; i < f.length; i++) {
        double d = f[i] - y[i];
        s += d * d;
      }
      return examples == 0 ? 0.0 : 0.5 * s / examples;
    }

    @Override
    void checkTargets(int outputs, double[] yTrain, double[] yTest) {
      // any real targets
    }
  },
  XENT("xent", "cross-entropy", 4.0) {
    @Override
    public double costAndDerivative(double[] f, double[] y, int offset, int outputs, double[] d) {
      double m = Double.NEGATIVE_INFINITY;
      for (int a = offset; a < offset + outputs; a++) {
        m = Math.max(m, f[a]);
      }
      double sum = 0;
      for (int a = offset; a < offset + outputs; a++) {
        sum += Math.exp(f[a] - m);
      }
      double logSum = Math.log(sum);
      double mass = 0;
      double cost = 0;
      for (int a = offset; a < offset + outputs; a++) {
        mass += y[a];
        // −y_a log softmax(f)_a = y_a (lse − f_a) = y_a ((m − f_a) + log Σ e^{f_b − m}); a zero target adds 0
        if (y[a] != 0.0) {
          cost += y[a] * ((m - f[a]) + logSum);
        }
      }
      if (d != null) {
        for (int a = offset; a < offset + outputs; a++) {
          d[a] = mass * (Math.exp(f[a] - m) / sum) - y[a];
        }
      }
      return cost;
    }

    @Override
    public double meanCost(double[] f, double[] y, int outputs) {
      int rows = f.length / outputs;
      return rows == 0 ? 0.0 : costSumAndDerivative(f, y, outputs, null) / rows;
    }

    /** At least two outputs, and every target row a probability vector. */
    @Override
    void checkTargets(int outputs, double[] yTrain, double[] yTest) {
      if (outputs < 2) {
        throw new IllegalArgumentException("the cross-entropy needs at least 2 outputs (one per class), got "
            + outputs);
      }
      String train = CrossEntropy.targetError(yTrain, outputs);
      if (train != null) {
        throw new IllegalArgumentException("cross-entropy targets: training " + train);
      }
      String test = yTest == null ? null : CrossEntropy.targetError(yTest, outputs);
      if (test != null) {
        throw new IllegalArgumentException("cross-entropy targets: test " + test);
      }
    }
  };

  private final String configName;
  private final String displayName;
  private final double stableStepFactor;

  Loss(String configName, String displayName, double stableStepFactor) {
    this.configName = configName;
    this.displayName = displayName;
    this.stableStepFactor = stableStepFactor;
  }

  /** The name in messages: MSE, cross-entropy. */
  public String displayName() {
    return displayName;
  }

  /**
   * s in the stable step bound η &lt; s·N/λ_max of kernel gradient descent: 2 for MSE, whose Hessian
   * in f is I, and 4 for the cross-entropy, whose Hessian blocks have eigenvalues ≤ ½ ({@link StepSize}).
   */
  public double stableStepFactor() {
    return stableStepFactor;
  }

  /** C = (1/N) Σ_i c(f_i, y_i) over row-major [N × outputs] arrays; 0 for no rows. */
  public abstract double meanCost(double[] f, double[] y, int outputs);

  /** Refuses targets the loss is not defined for (training, and test when not null). */
  abstract void checkTargets(int outputs, double[] yTrain, double[] yTest);

  /**
   * c(f, y) of one example whose O outputs start at {@code offset} of {@code f} and {@code y}; when
   * {@code d} is not null, also writes ∂c/∂f to the same positions of {@code d}.
   */
  public abstract double costAndDerivative(double[] f, double[] y, int offset, int outputs, double[] d);

  /** Σ_i c(f_i, y_i) over the examples of row-major [examples × outputs] arrays, in row order. */
  public double costSum(double[] f, double[] y, int outputs) {
    return costSumAndDerivative(f, y, outputs, null);
  }

  /**
   * {@link #costSum}, and when {@code d} is not null ∂c/∂f of every example written to {@code d}:
   * the direction of a kernel gradient step.
   */
  public double costSumAndDerivative(double[] f, double[] y, int outputs, double[] d) {
    if (f.length != y.length || outputs <= 0 || f.length % outputs != 0) {
      throw new IllegalArgumentException("outputs have " + f.length + " values and targets " + y.length
          + ", both must be examples × " + outputs);
    }
    double s = 0;
    for (int offset = 0; offset < f.length; offset += outputs) {
      s += costAndDerivative(f, y, offset, outputs, d);
    }
    return s;
  }

  /** The name used in configs. */
  @Override
  public String configName() {
    return configName;
  }

  /** All names accepted in configs, for error messages. */
  public static String[] configNames() {
    return Arrays.stream(values()).map(Loss::configName).toArray(String[]::new);
  }

  public static Loss fromConfig(String name) {
    Loss loss = ConfigNamed.find(Loss.class, name);
    if (loss == null) {
      // its wording since the first release ("one of"), kept
      throw new IllegalArgumentException("unknown loss '" + name + "'; expected one of "
          + String.join(", ", configNames()));
    }
    return loss;
  }
}
