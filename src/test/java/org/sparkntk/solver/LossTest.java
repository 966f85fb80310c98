package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The per-example costs against their textbook formulas, and their derivatives against finite differences. */
class LossTest {
  static final int O = 4;

  @Test
  void configNames() {
    assertEquals(Loss.MSE, Loss.fromConfig(" MSE "));
    assertEquals(Loss.XENT, Loss.fromConfig("xent"));
    assertEquals("xent", Loss.XENT.configName());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Loss.fromConfig("hinge"));
    assertTrue(e.getMessage().contains("'hinge'") && e.getMessage().contains("mse, xent"), e.getMessage());
  }

  /** For moderate logits the naive −Σ y_a log(e^{f_a}/Σ_b e^{f_b}) is accurate to a few ulps; so is ½‖f − y‖². */
  @Test
  void costsMatchTextbookFormulas() {
    Random r = new Random(3);
    double[] f = r.doubles(3 * O, -3, 3).toArray();
    double[] y = {0, 1, 0, 0, 0.25, 0.25, 0.5, 0, 0.1, 0, 0, 0.9};
    double xent = 0;
    double mse = 0;
    for (int i = 0; i < 3; i++) {
      double z = 0;
      for (int a = 0; a < O; a++) {
        z += Math.exp(f[i * O + a]);
      }
      for (int a = 0; a < O; a++) {
        xent -= y[i * O + a] * Math.log(Math.exp(f[i * O + a]) / z);
        mse += 0.5 * (f[i * O + a] - y[i * O + a]) * (f[i * O + a] - y[i * O + a]);
      }
    }
    assertEquals(xent, Loss.XENT.costSum(f, y, O), 1e-14 * xent);
    assertEquals(mse, Loss.MSE.costSum(f, y, O), 1e-14 * mse);
  }

  /**
   * d = ∂c/∂f against central differences with h = 1e-6: truncation h²/6·|c'''| ≲ 1e-12, rounding
   * ε·|c|/h ≲ 1e-9 for |c| ≲ 5; 1e-7 absolute is well above both. The last targets do not sum to 1,
   * where d is (Σ_a y_a)·softmax(f) − y, the exact derivative of c.
   */
  @ParameterizedTest
  @EnumSource(Loss.class)
  void derivativeMatchesCentralDifferences(Loss loss) {
    double[] f = {0.3, -1.2, 2.0, 0.1};
    for (double[] y : new double[][] {{0, 0, 1, 0}, {0.1, 0.2, 0.3, 0.4}, {0.5, 0, 1.5, 0}}) {
      double[] d = new double[O];
      loss.costAndDerivative(f, y, 0, O, d);
      for (int a = 0; a < O; a++) {
        double h = 1e-6;
        double[] up = f.clone();
        up[a] += h;
        double[] down = f.clone();
        down[a] -= h;
        double fd = (loss.costAndDerivative(up, y, 0, O, null) - loss.costAndDerivative(down, y, 0, O, null)) / (2 * h);
        assertEquals(fd, d[a], 1e-7, loss + " output " + a);
      }
    }
  }

  /** Logits far beyond exp's range (e^{710} overflows): the cost is the exact gap to the largest logit. */
  @Test
  void crossEntropyOfHugeLogits() {
    double[] f = {1e4, -1e4, 0.0};
    double[] d = new double[3];
    assertEquals(2e4, Loss.XENT.costAndDerivative(f, new double[] {0, 1, 0}, 0, 3, d), 0.0);
    assertEquals(1.0, d[0], 0.0);
    assertEquals(-1.0, d[1], 0.0);
    assertEquals(0.0, d[2], 0.0);
    assertEquals(0.0, Loss.XENT.costAndDerivative(f, new double[] {1, 0, 0}, 0, 3, null), 0.0);
    assertTrue(Double.isNaN(Loss.XENT.costAndDerivative(new double[] {Double.NaN, 0, 0}, new double[] {1, 0, 0}, 0,
        3, null)), "NaN logits give a NaN cost, which a divergence check sees");
  }
}
