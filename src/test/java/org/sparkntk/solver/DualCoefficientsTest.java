package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkntk.kernel.GramMatrix;

/**
 * Every solver's dual coefficients α reproduce its own predictions through
 * f(x) = f_0(x) + Θ(x, X) α, on the training points and on test points; the solver computes those
 * predictions by another route (step updates of f, or the eigen/Cholesky closed forms).
 */
class DualCoefficientsTest {
  private static final int N = 12;
  private static final int M = 5;
  private static final int P = 30;
  private static final int O = 3;

  /** Θ = J Jᵀ/P of random Jacobian rows, training and test, with random f_0 and one-hot targets. */
  private static KernelProblem problem(long seed) {
    Random r = new Random(seed);
    double[] j = new double[(N + M) * P];
    for (int i = 0; i < j.length; i++) {
      j[i] = r.nextGaussian();
    }
    double[] train = new double[N * N];
    double[] cross = new double[M * N];
    for (int a = 0; a < N + M; a++) {
      for (int b = 0; b < N; b++) {
        double s = 0;
        for (int p = 0; p < P; p++) {
          s += j[a * P + p] * j[b * P + p];
        }
        if (a < N) {
          train[a * N + b] = s / P;
        } else {
          cross[(a - N) * N + b] = s / P;
        }
      }
    }
    double[] f0Train = new double[N * O];
    double[] f0Test = new double[M * O];
    double[] y = new double[N * O];
    for (int i = 0; i < f0Train.length; i++) {
      f0Train[i] = 0.3 * r.nextGaussian();
    }
    for (int i = 0; i < f0Test.length; i++) {
      f0Test[i] = 0.3 * r.nextGaussian();
    }
    for (int i = 0; i < N; i++) {
      y[i * O + r.nextInt(O)] = 1.0;
    }
    return new KernelProblem(new GramMatrix(N, N, 1, train), new GramMatrix(M, N, 1, cross), f0Train, y, f0Test,
        null, O);
  }

  private static void assertDualForm(KernelProblem p, FitResult fit) {
    double[] alpha = fit.coefficients();
    assertEquals(N * O, alpha.length);
    check(p.train(), p.f0Train(), alpha, fit.last().trainPredictions(), fit.method() + " train");
    check(p.cross(), p.f0Test(), alpha, fit.last().testPredictions(), fit.method() + " test");
  }

  private static void check(GramMatrix k, double[] f0, double[] alpha, double[] expected, String what) {
    for (int i = 0; i < k.rows(); i++) {
      for (int a = 0; a < O; a++) {
        double f = f0[i * O + a];
        for (int j = 0; j < N; j++) {
          f += k.get(i, j) * alpha[j * O + a];
        }
        assertEquals(expected[i * O + a], f, 1e-10 * Math.max(1, Math.abs(expected[i * O + a])),
            what + " row " + i + " output " + a);
      }
    }
  }

  @Test
  void stepsMse() {
    KernelProblem p = problem(1);
    assertDualForm(p, new DenseFits(p).steps(Double.NaN, 200, new int[] {0, 200}));
  }

  @Test
  void stepsCrossEntropy() {
    KernelProblem p = problem(2);
    assertDualForm(p, new DenseFits(p, Loss.XENT).steps(Double.NaN, 200, new int[] {0, 200}));
  }

  @Test
  void flowAtTheLastTime() {
    KernelProblem p = problem(3);
    assertDualForm(p, new DenseFits(p).flow(new double[] {5.0, 0.0, 40.0}));
  }

  @Test
  void regressionWithRidge() {
    KernelProblem p = problem(4);
    assertDualForm(p, new DenseFits(p).regression(1e-3));
  }
}
