package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkntk.solver.SolverArrays.assertClose;
import static org.sparkntk.solver.SolverArrays.dot;
import static org.sparkntk.solver.SolverArrays.gaussian;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkntk.kernel.GramMatrix;

/**
 * Kernel gradient descent with the softmax cross-entropy (docs/THEORY.md §7, d = softmax(f) − y)
 * against the update written out index by index here, its stability bound 4N/λ_max, and the
 * stable softmax.
 *
 * <p>Kernels are K = A Aᵀ + δI with A ~ N(0, 1/p), [N·k × p], p > N·k (λ(K) roughly in [δ, 5]), the
 * cross kernel B Aᵀ, as in DenseSolversTest.
 */
class CrossEntropyTest {
  private static final int N = 12;
  private static final int M = 5;
  private static final int O = 3;

  enum Layout {
    TRACE, FULL;

    int k(int outputs) {
      return this == TRACE ? 1 : outputs;
    }
  }

  /** A problem with its raw arrays. */
  private record Case(Layout layout, int outputs, int size, double[] k, double[] kx, double[] f0, double[] y,
                      double[] g0, double[] yTest) {
    KernelProblem problem() {
      int kk = layout.k(outputs);
      return new KernelProblem(new GramMatrix(size, size, kk, k), new GramMatrix(M * kk, size, kk, kx), f0, y, g0,
          yTest, outputs);
    }

    DenseFits solver() {
      return new DenseFits(problem(), Loss.XENT);
    }
  }

  private static Case randomCase(Layout layout, int outputs, long seed) {
    Random r = new Random(seed);
    int n = N * layout.k(outputs);
    int m = M * layout.k(outputs);
    int p = n + 6;
    double[] a = gaussian(r, n * p, 1.0 / Math.sqrt(p));
    double[] b = gaussian(r, m * p, 1.0 / Math.sqrt(p));
    double[] k = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        k[i * n + j] = dot(a, i, a, j, p) + (i == j ? 0.2 : 0.0);
      }
    }
    double[] kx = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        kx[i * n + j] = dot(b, i, a, j, p);
      }
    }
    return new Case(layout, outputs, n, k, kx, gaussian(r, N * outputs, 1.0), oneHot(r, N, outputs),
        gaussian(r, M * outputs, 1.0), oneHot(r, M, outputs));
  }

  // ------------------------------------------------------------------------------------------
  // the stable softmax

  /**
   * Logits of ±1e4: e^{1e4} overflows, so a direct softmax would give ∞/∞ = NaN. The expected values
   * are closed forms: for (1e4, 1e4 − 1, −1e4), log Σ e^f = 1e4 + log(1 + e^{−1}) (the e^{−2e4} term
   * is far below rounding), for (−1e4, −1e4, −1e4 + 2) it is −1e4 + 2 + log(1 + 2e^{−2}). The
   * cost of the unlikely class −1e4 in row 0 is 2e4 + log(1 + e^{−1}). Tolerances: a few ulp of the
   * value (the row max is subtracted exactly, one log and one sum remain).
   */
  @Test
  void softmaxIsStableForLogitsOfTenThousand() {
    assertTrue(Double.isInfinite(Math.exp(1e4)), "the direct formula would overflow");
    double[] f = {1e4, 1e4 - 1, -1e4, -1e4, -1e4, -1e4 + 2};
    double[] lse = CrossEntropy.logSumExp(f, O);
    double expected0 = 1e4 + Math.log1p(Math.exp(-1));
    double expected1 = -1e4 + 2 + Math.log1p(2 * Math.exp(-2));
    assertEquals(expected0, lse[0], 4 * Math.ulp(expected0));
    assertEquals(expected1, lse[1], 4 * Math.ulp(expected1));

    double[] p = CrossEntropy.softmax(f, O);
    double e1 = Math.exp(-1);
    double e2 = Math.exp(-2);
    double[] expectedP = {1 / (1 + e1), e1 / (1 + e1), 0.0, e2 / (1 + 2 * e2), e2 / (1 + 2 * e2), 1 / (1 + 2 * e2)};
    for (int i = 0; i < f.length; i++) {
      assertTrue(Double.isFinite(p[i]), "p[" + i + "] = " + p[i]);
      assertEquals(expectedP[i], p[i], 1e-15, "p[" + i + "]");
      // p = e^{f − log Σ e^f} from the log-sum-exp above: f − lse cancels two numbers of size 1e4, so
      // this route is only good to ~ulp(1e4) ≈ 1.8e-12 absolute
      assertEquals(Math.exp(f[i] - lse[i / O]), p[i], 4 * Math.ulp(1e4), "p[" + i + "] against log-sum-exp");
    }
    assertEquals(1.0, p[0] + p[1] + p[2], 2e-16);
    assertEquals(1.0, p[3] + p[4] + p[5], 2e-16);

    // one-hot on the unlikely class of row 0 and on the likely class of row 1
    double[] y = {0, 0, 1, 0, 0, 1};
    double c0 = 2e4 + Math.log1p(e1);
    double c1 = Math.log1p(2 * e2);
    double cost = Loss.XENT.meanCost(f, y, O);
    assertEquals((c0 + c1) / 2, cost, 4 * Math.ulp(c0));
    double[] d = new double[f.length];
    assertEquals(2 * cost, Loss.XENT.costSumAndDerivative(f, y, O, d));
    for (int i = 0; i < f.length; i++) {
      assertEquals(expectedP[i] - y[i], d[i], 1e-15, "d = p − y at " + i);
    }
    assertEquals(0.5, CrossEntropy.accuracy(f, y, O), "row 0 is wrong, row 1 right");
  }

  // ------------------------------------------------------------------------------------------
  // steps against direct loops

  /**
   * The update of docs/THEORY.md §5 for the cross-entropy, index by index: p by the textbook softmax
   * e^{f_a}/Σ_b e^{f_b} (the logits here stay below ~10, so it does not overflow), d = p − y once per
   * step, used for both the training and the test update.
   */
  private static double[][] directSteps(Case c, double lr, int steps) {
    int o = c.outputs;
    double[] f = c.f0.clone();
    double[] g = c.g0.clone();
    int n = c.size;
    for (int t = 0; t < steps; t++) {
      double[] d = new double[f.length];
      for (int i = 0; i < N; i++) {
        double s = 0;
        for (int a = 0; a < o; a++) {
          s += Math.exp(f[i * o + a]);
        }
        for (int a = 0; a < o; a++) {
          d[i * o + a] = Math.exp(f[i * o + a]) / s - c.y[i * o + a];
        }
      }
      double[] fNext = f.clone();
      double[] gNext = g.clone();
      DirectKernelStep.apply(c.layout == Layout.TRACE, c.k, c.kx, n, N, M, o, lr, d, fNext, gNext);
      f = fNext;
      g = gNext;
    }
    return new double[][] {f, g};
  }

  /** −(1/rows) Σ_i Σ_a y_ia log(e^{f_ia} / Σ_b e^{f_ib}), textbook form. */
  private static double directCost(double[] f, double[] y, int rows, int o) {
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double s = 0;
      for (int a = 0; a < o; a++) {
        s += Math.exp(f[i * o + a]);
      }
      for (int a = 0; a < o; a++) {
        total -= y[i * o + a] * Math.log(Math.exp(f[i * o + a]) / s);
      }
    }
    return total / rows;
  }

  private static double directAccuracy(double[] f, double[] y, int rows, int o) {
    int right = 0;
    for (int i = 0; i < rows; i++) {
      int fa = 0;
      int ya = 0;
      for (int a = 1; a < o; a++) {
        fa = f[i * o + a] > f[i * o + fa] ? a : fa;
        ya = y[i * o + a] > y[i * o + ya] ? a : ya;
      }
      right += fa == ya ? 1 : 0;
    }
    return (double) right / rows;
  }

  /**
   * Same arithmetic in another order. Each step adds rounding of order n·ε·‖f‖ and below the bound
   * the step does not expand perturbations (the eigenvalues of I − (η/N)ΘH lie in (−1, 1]), so after
   * T = 30 steps the difference is ≲ 30·36·2.2e-16 ≈ 2.4e-13 relative; 1e-12 holds it, while a wrong
   * factor (η vs η/N, N·k instead of N, softmax over the wrong axis, d = y − p) changes values at O(1).
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void xentStepsMatchDirectLoopsOnTrainingAndTestRows(Layout layout) {
    Case c = randomCase(layout, O, 101 + layout.ordinal());
    double lambdaMax = StepSize.largestEigenvalue(c.k, c.size);
    double lr = 0.6 * 4.0 * N / lambdaMax;
    int steps = 30;
    FitResult fit = c.solver().steps(lr, steps, new int[] {0, 1, 10, 30});
    assertEquals(List.of(0.0, 1.0, 10.0, 30.0), fit.snapshots().stream().map(Snapshot::t).toList());
    double worst = 0;
    for (Snapshot s : fit.snapshots()) {
      double[][] ref = directSteps(c, lr, (int) s.t());
      worst = Math.max(worst, assertClose(ref[0], s.trainPredictions(), 1e-12, "train logits at step " + s.t()));
      worst = Math.max(worst, assertClose(ref[1], s.testPredictions(), 1e-12, "test logits at step " + s.t()));
      double cost = directCost(ref[0], c.y, N, O);
      assertEquals(cost, s.trainLoss(), 1e-12 * cost, "training cost at step " + s.t());
      double testCost = directCost(ref[1], c.yTest, M, O);
      assertEquals(testCost, s.testLoss(), 1e-12 * testCost, "test cost at step " + s.t());
      assertEquals(directAccuracy(ref[0], c.y, N, O), s.trainAccuracy(), "training accuracy at step " + s.t());
      assertEquals(directAccuracy(ref[1], c.yTest, M, O), s.testAccuracy(), "test accuracy at step " + s.t());
    }
    System.out.printf("xent steps (%s): max relative difference to the direct loops %.2e%n", layout, worst);
    Snapshot first = fit.snapshots().get(0);
    assertTrue(fit.last().trainLoss() < 0.5 * first.trainLoss(),
        "the cost falls: " + first.trainLoss() + " → " + fit.last().trainLoss());
    assertEquals(1.0, fit.last().trainAccuracy(), "12 one-hot rows, a well-conditioned kernel: all fitted");
  }

  // ------------------------------------------------------------------------------------------
  // stability bound, auto step, non-finite cost

  /**
   * The guard refuses η = 1.01·4N/λ_max (λ_max by power iteration) for both layouts; just below the
   * bound the cost never rises, and auto takes 0.5 × the bound and runs the same steps as the direct loop.
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void guardRefusesStepsJustAboveFourNOverLambdaMaxAndAutoRuns(Layout layout) {
    Case c = randomCase(layout, O, 201 + layout.ordinal());
    double lambdaMax = StepSize.largestEigenvalue(c.k, c.size);
    double bound = 4.0 * N / lambdaMax;
    assertEquals(bound, StepSize.stableBound(Loss.XENT, N, lambdaMax));
    DenseFits solver = c.solver();
    StepSize.DivergentStepException e = assertThrows(StepSize.DivergentStepException.class,
        () -> solver.steps(1.01 * bound, 10, new int[] {10}));
    assertTrue(e.getMessage().contains("4N/λ_max") && e.getMessage().contains(String.format("%.6g", bound)),
        e.getMessage());
    // Just below the bound (and well above the MSE bound 2N/λ_max) the cost never rises (descent
    // lemma, StepSize's class doc); rounding allows 1e-14 relative per step.
    int[] everyStep = java.util.stream.IntStream.rangeClosed(0, 50).toArray();
    List<Snapshot> below = solver.steps(0.99 * bound, 50, everyStep).snapshots();
    for (int t = 1; t <= 50; t++) {
      assertTrue(below.get(t).trainLoss() <= below.get(t - 1).trainLoss() * (1 + 1e-14),
          "cost rose at step " + t + ": " + below.get(t - 1).trainLoss() + " → " + below.get(t).trainLoss());
    }

    FitResult auto = solver.steps(Double.NaN, 20, new int[] {0, 20});
    assertEquals(0.5 * bound, auto.learningRate(), 1e-12 * bound, "auto: η = 0.5 · 4N/λ_max");
    assertEquals(lambdaMax, auto.largestEigenvalue());
    assertClose(directSteps(c, auto.learningRate(), 20)[0], auto.last().trainPredictions(), 1e-12, "auto steps");
    assertTrue(auto.last().trainLoss() < auto.snapshots().get(0).trainLoss());
  }

  /**
   * The bound is tight, so the guard refuses only what can really diverge: with soft targets (½, ½)
   * the optimum has curvature ½ along (1, −1), so a perturbation ε·v_top ⊗ (1, −1) of the optimum
   * (trace kernel, top eigenvector v_top) is multiplied by 1 − ηλ_max/(2N) per step: −1.02 at 1.01×
   * the bound, −0.98 at 0.99×. Over 200 steps that is 1.02²⁰⁰ ≈ 52.5 against 0.98²⁰⁰ ≈ 0.0176; from
   * ε = 1e-4 the amplitude stays below 1e-2, where the curvature differs from ½ by O(amplitude²) ≈ 1e-4
   * relative, so the linear factors hold to well within the 5 % allowed.
   */
  @Test
  void theBoundIsTightForSoftTargets() {
    Case base = randomCase(Layout.TRACE, 2, 301);
    double[] eigen = topEigenvector(base.k, N);
    double lambdaMax = StepSize.largestEigenvalue(base.k, N);
    double bound = 4.0 * N / lambdaMax;
    Random r = new Random(302);
    double eps = 1e-4;
    double[] y = new double[N * 2];
    double[] f0 = new double[N * 2];
    for (int i = 0; i < N; i++) {
      y[2 * i] = 0.5;
      y[2 * i + 1] = 0.5;
      double shift = r.nextGaussian(); // f_i = s_i (1, 1) is an optimum for every s_i
      f0[2 * i] = shift + eps * eigen[i];
      f0[2 * i + 1] = shift - eps * eigen[i];
    }
    Case c = new Case(Layout.TRACE, 2, N, base.k, base.kx, f0, y, base.g0, null);
    double above = topModeGrowth(c, eigen, 1.01 * bound, 200);
    double below = topModeGrowth(c, eigen, 0.99 * bound, 200);
    System.out.printf("soft targets, 200 steps: top mode ×%.4g at 1.01·4N/λ_max, ×%.4g at 0.99·4N/λ_max%n",
        above, below);
    assertEquals(Math.pow(1.02, 200), above, 0.05 * Math.pow(1.02, 200), "unstable just above the bound");
    assertEquals(Math.pow(0.98, 200), below, 0.05 * Math.pow(0.98, 200), "stable just below");
  }

  /** |v_topᵀ (f_T[:,0] − f_T[:,1])| / |v_topᵀ (f_0[:,0] − f_0[:,1])| by the direct loop. */
  private static double topModeGrowth(Case c, double[] v, double lr, int steps) {
    double[] f = directSteps(c, lr, steps)[0];
    double before = 0;
    double after = 0;
    for (int i = 0; i < N; i++) {
      before += v[i] * (c.f0[2 * i] - c.f0[2 * i + 1]);
      after += v[i] * (f[2 * i] - f[2 * i + 1]);
    }
    return Math.abs(after / before);
  }

  private static double[] topEigenvector(double[] k, int n) {
    Spectrum s = Spectrum.of(k, n);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = s.vector(i, 0);
    }
    return v;
  }

  @Test
  void aNonFiniteCostStopsTheSteps() {
    Case c = randomCase(Layout.TRACE, O, 401);
    double[] f0 = c.f0.clone();
    f0[4] = Double.POSITIVE_INFINITY;
    Case bad = new Case(c.layout, O, c.size, c.k, c.kx, f0, c.y, c.g0, c.yTest);
    ArithmeticException e = assertThrows(ArithmeticException.class,
        () -> bad.solver().steps(Double.NaN, 10, new int[] {10}));
    assertTrue(e.getMessage().contains("cross-entropy cost became NaN at step 0"), e.getMessage());
  }

  // ------------------------------------------------------------------------------------------
  // what the cross-entropy refuses

  @Test
  void targetsMustBeProbabilitiesAndThereIsNoClosedForm() {
    Case c = randomCase(Layout.TRACE, O, 501);
    double[] y = c.y.clone();
    y[2 * O] = 0.9;
    y[2 * O + 1] = 0.0;
    y[2 * O + 2] = 0.0;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DenseFits(new Case(c.layout, O, c.size, c.k, c.kx, c.f0, y, c.g0, c.yTest).problem(), Loss.XENT));
    assertTrue(e.getMessage().contains("training row 3 has targets (0.9, 0.0, 0.0), which sum to 0.9"), e.getMessage());

    double[] yTest = c.yTest.clone();
    yTest[0] = 1.5;
    yTest[1] = -0.5;
    yTest[2] = 0.0;
    e = assertThrows(IllegalArgumentException.class,
        () -> new DenseFits(new Case(c.layout, O, c.size, c.k, c.kx, c.f0, c.y, c.g0, yTest).problem(), Loss.XENT));
    assertTrue(e.getMessage().contains("test row 1 has targets (1.5, -0.5, 0.0), a negative value"), e.getMessage());

    // within 1e-9 of 1 is accepted, 1e-8 off is not
    double[] nearlyOne = c.y.clone();
    nearlyOne[0] += 5e-10;
    new DenseFits(new Case(c.layout, O, c.size, c.k, c.kx, c.f0, nearlyOne, c.g0, c.yTest).problem(), Loss.XENT);
    nearlyOne[0] += 1e-8;
    assertThrows(IllegalArgumentException.class, () -> new DenseFits(
        new Case(c.layout, O, c.size, c.k, c.kx, c.f0, nearlyOne, c.g0, c.yTest).problem(), Loss.XENT));

    DenseFits solver = c.solver();
    e = assertThrows(IllegalArgumentException.class, () -> solver.flow(new double[] {1.0}));
    assertTrue(e.getMessage().contains("the xent cost has none"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> solver.regression(0.0));

    Case single = randomCase(Layout.TRACE, 1, 502);
    double[] ones = new double[N];
    java.util.Arrays.fill(ones, 1.0);
    e = assertThrows(IllegalArgumentException.class, () -> new DenseFits(
        new Case(Layout.TRACE, 1, single.size, single.k, single.kx, single.f0, ones, single.g0, null).problem(),
        Loss.XENT));
    assertTrue(e.getMessage().contains("at least 2 outputs"), e.getMessage());
  }

  @Test
  void lossConfigNames() {
    assertEquals(Loss.XENT, Loss.fromConfig(" XEnt "));
    assertEquals(Loss.MSE, Loss.fromConfig("mse"));
    assertEquals("xent", Loss.XENT.configName());
    assertThrows(IllegalArgumentException.class, () -> Loss.fromConfig("hinge"));
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private static double[] oneHot(Random r, int rows, int o) {
    double[] y = new double[rows * o];
    for (int i = 0; i < rows; i++) {
      y[i * o + r.nextInt(o)] = 1.0;
    }
    return y;
  }
}
