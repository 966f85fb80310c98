package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkntk.solver.SolverArrays.assertClose;
import static org.sparkntk.solver.SolverArrays.dot;
import static org.sparkntk.solver.SolverArrays.gaussian;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Lapack;

/**
 * Every solver mode against an independent route written here: naive loops for the discrete
 * steps, Gaussian elimination with partial pivoting for regression, the small-step limit of the
 * discrete steps for the flow, and LAPACK's dsyevd for the power iteration.
 *
 * <p>The kernels are K = A Aᵀ + δI with A ~ N(0, 1/p) of size [N·k × p], p > N·k, so that λ(K) lies
 * roughly in [δ, 5]: condition numbers stay below ~50 and the rounding bounds quoted at each
 * tolerance (a few n·ε·cond) are far below the tolerances used. The cross kernel is B Aᵀ.
 */
class DenseSolversTest {
  /** Training examples N, test examples M, outputs O. */
  private static final int N = 12;
  private static final int M = 5;
  private static final int O = 2;
  private static final double EPS = Math.ulp(1.0);

  /** The two kernel layouts of KernelProblem: trace (k = 1, N×N on each output column), full (k = O). */
  enum Layout {
    TRACE(1), FULL(O);

    final int k;

    Layout(int k) {
      this.k = k;
    }
  }

  /** A problem with its raw arrays, so the reference routes can use them directly. */
  private record Case(Layout layout, int size, double[] k, double[] kx, double[] f0, double[] y, double[] g0,
                      double[] yTest, KernelProblem problem) {
    double lambdaMax() {
      double[] l = Lapack.get().symmetricEigen(k, size).values();
      return l[l.length - 1];
    }

    DenseFits solver() {
      return new DenseFits(problem);
    }
  }

  private static Case randomCase(Layout layout, long seed, double diagonal) {
    Random r = new Random(seed);
    int n = N * layout.k;
    int m = M * layout.k;
    int p = n + 6;
    double[] a = gaussian(r, n * p, 1.0 / Math.sqrt(p));
    double[] b = gaussian(r, m * p, 1.0 / Math.sqrt(p));
    double[] k = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        k[i * n + j] = dot(a, i, a, j, p) + (i == j ? diagonal : 0.0);
      }
    }
    double[] kx = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        kx[i * n + j] = dot(b, i, a, j, p);
      }
    }
    return makeCase(layout, k, kx, r);
  }

  private static Case makeCase(Layout layout, double[] k, double[] kx, Random r) {
    int n = N * layout.k;
    double[] f0 = gaussian(r, N * O, 0.5);
    double[] y = gaussian(r, N * O, 1.0);
    double[] g0 = gaussian(r, M * O, 0.5);
    double[] yTest = gaussian(r, M * O, 1.0);
    KernelProblem problem = new KernelProblem(new GramMatrix(n, n, layout.k, k),
        new GramMatrix(M * layout.k, n, layout.k, kx), f0, y, g0, yTest, O);
    return new Case(layout, n, k, kx, f0, y, g0, yTest, problem);
  }

  // ------------------------------------------------------------------------------------------
  // steps

  /**
   * The update of docs/THEORY.md §5 written out index by index for each layout, d = f − y computed
   * once per step and used for both the training and the test update.
   */
  private static double[][] naiveSteps(Case c, double lr, int steps) {
    double[] f = c.f0.clone();
    double[] g = c.g0.clone();
    int n = c.size;
    for (int t = 0; t < steps; t++) {
      double[] d = new double[f.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = f[i] - c.y[i];
      }
      double[] fNext = f.clone();
      double[] gNext = g.clone();
      DirectKernelStep.apply(c.layout == Layout.TRACE, c.k, c.kx, n, N, M, O, lr, d, fNext, gNext);
      f = fNext;
      g = gNext;
    }
    return new double[][] {f, g};
  }

  /** C = (1/count) Σ_i ½‖f_i − y_i‖², written per example and output. */
  private static double naiveCost(double[] f, double[] y, int count) {
    double total = 0;
    for (int i = 0; i < count; i++) {
      double s = 0;
      for (int a = 0; a < O; a++) {
        double d = f[i * O + a] - y[i * O + a];
        s += d * d;
      }
      total += 0.5 * s;
    }
    return total / count;
  }

  /**
   * Same arithmetic in a different order: each step adds rounding of order n·ε·‖f‖, and with
   * η < 2N/λ_max the map f ↦ f − (η/N)K(f − y) does not expand errors, so after T = 40 steps the
   * difference is ≲ T·n·ε ≈ 40·24·2.2e-16 ≈ 2e-13 relative; 1e-11 leaves a wide margin while any
   * wrong factor (η vs η/N, N·k instead of N, a transposed cross kernel) changes values at O(1).
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void stepsMatchNaiveLoopsAndRecordSnapshots(Layout layout) {
    Case c = randomCase(layout, 11 + layout.ordinal(), 0.2);
    double lr = 0.6 * 2.0 * N / c.lambdaMax();
    int steps = 40;
    FitResult fit = c.solver().steps(lr, steps, new int[] {40, 7, 0, 7, -3, 99, 1});

    assertEquals("steps", fit.method());
    assertEquals(lr, fit.learningRate());
    assertEquals(0.0, fit.ridge());
    assertEquals(List.of(0.0, 1.0, 7.0, 40.0), fit.snapshots().stream().map(Snapshot::t).toList(),
        "recorded steps: sorted, deduplicated, outside 0…steps dropped");

    Snapshot first = fit.snapshots().get(0);
    assertArrayEquals(c.f0, first.trainPredictions(), "step 0 is f_0 itself (and a copy, untouched by later steps)");
    assertArrayEquals(c.g0, first.testPredictions());
    for (Snapshot s : fit.snapshots()) {
      double[][] ref = naiveSteps(c, lr, (int) s.t());
      assertClose(ref[0], s.trainPredictions(), 1e-11, "train predictions at step " + s.t());
      assertClose(ref[1], s.testPredictions(), 1e-11, "test predictions at step " + s.t());
      assertEquals(naiveCost(ref[0], c.y, N), s.trainLoss(), 1e-11 * naiveCost(ref[0], c.y, N),
          "train loss at step " + s.t());
      assertEquals(naiveCost(ref[1], c.yTest, M), s.testLoss(), 1e-11 * naiveCost(ref[1], c.yTest, M),
          "test loss at step " + s.t());
    }
    assertTrue(fit.last().trainLoss() < first.trainLoss() / 2, "stable steps reduce the training cost");
  }

  @Test
  void stepsWithoutTestRowsOrTestLabels() {
    Case c = randomCase(Layout.TRACE, 5, 0.2);
    KernelProblem noTest = new KernelProblem(c.problem.train(), null, c.f0, c.y, null, null, O);
    FitResult fit = new DenseFits(noTest).steps(0.5 * 2 * N / c.lambdaMax(), 3, new int[] {3});
    assertNull(fit.last().testPredictions());
    assertTrue(Double.isNaN(fit.last().testLoss()));
    assertClose(naiveSteps(c, 0.5 * 2 * N / c.lambdaMax(), 3)[0], fit.last().trainPredictions(), 1e-12, "train");

    KernelProblem unlabeled = new KernelProblem(c.problem.train(), c.problem.cross(), c.f0, c.y, c.g0, null, O);
    Snapshot s = new DenseFits(unlabeled).steps(0.5 * 2 * N / c.lambdaMax(), 3, new int[] {3}).last();
    assertClose(naiveSteps(c, 0.5 * 2 * N / c.lambdaMax(), 3)[1], s.testPredictions(), 1e-12, "test");
    assertTrue(Double.isNaN(s.testLoss()), "no test labels: no test loss");
  }

  /**
   * In the eigenbasis of K the discrete update decouples: v_kᵀ(f_t − y) = (1 − ηλ_k/N)^t v_kᵀ(f_0 − y).
   * The factors here span (−0.4, 1), so oscillating and slow modes are both checked. Rounding:
   * each step adds ~n·ε·‖r_0‖ and dsyevd's eigenvectors are accurate to ~ε·‖K‖/gap ≈ 1e-14 for
   * these well-separated spectra; 1e-11·‖r_0‖ absolute over 25 steps is a safe bound.
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void eachEigenmodeDecaysGeometrically(Layout layout) {
    Case c = randomCase(layout, 21 + layout.ordinal(), 0.1);
    int n = c.size;
    int cols = O / layout.k;
    Lapack.SymmetricEigen eig = Lapack.get().symmetricEigen(c.k, n);
    double lr = 0.7 * 2.0 * N / eig.values()[n - 1];
    int steps = 25;
    FitResult fit = c.solver().steps(lr, steps, new int[] {0, 1, 2, 5, 25});
    double[] r0 = minus(c.f0, c.y);
    double scale = norm(r0);
    for (Snapshot s : fit.snapshots()) {
      double[] rt = minus(s.trainPredictions(), c.y);
      for (int kk = 0; kk < n; kk++) {
        double factor = Math.pow(1.0 - lr * eig.values()[kk] / N, s.t());
        for (int col = 0; col < cols; col++) {
          double p0 = 0;
          double pt = 0;
          for (int i = 0; i < n; i++) {
            p0 += eig.vector(i, kk) * r0[i * cols + col];
            pt += eig.vector(i, kk) * rt[i * cols + col];
          }
          assertEquals(factor * p0, pt, 1e-11 * scale, "mode " + kk + " column " + col + " at step " + s.t());
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // divergence guard and auto step

  @ParameterizedTest
  @EnumSource(Layout.class)
  void stepsRefuseTheUnstableRangeAndAutoUsesHalfTheBound(Layout layout) {
    Case c = randomCase(layout, 31 + layout.ordinal(), 0.2);
    // The bound uses the number of training examples N, also for a full kernel of size N·O.
    double bound = 2.0 * N / c.lambdaMax();
    DenseFits solver = c.solver();

    StepSize.DivergentStepException e = assertThrows(StepSize.DivergentStepException.class,
        () -> solver.steps(bound * (1 + 1e-6), 10, new int[] {10}));
    assertTrue(e.getMessage().contains(String.format("%.6g", bound)), e.getMessage());
    assertTrue(e.getMessage().contains("solver.lr"), e.getMessage());
    assertThrows(StepSize.DivergentStepException.class, () -> solver.steps(3 * bound, 10, new int[] {10}));

    // Power iteration is accurate to ~1e-9 relative, so 1e-6 below the bound is accepted — and
    // is indeed stable: the residual does not grow (|1 − ηλ/N| < 1 for every mode).
    FitResult below = solver.steps(bound * (1 - 1e-6), 200, new int[] {0, 200});
    assertTrue(below.last().trainLoss() <= below.snapshots().get(0).trainLoss() * (1 + 1e-9));
    // The reference loop shows that beyond the bound the same problem really diverges.
    double[] r0 = minus(c.f0, c.y);
    double[] rDiverged = minus(naiveSteps(c, bound * 1.05, 200)[0], c.y);
    assertTrue(norm(rDiverged) > 10 * norm(r0), "η above 2N/λ_max must blow up in the reference loop");

    FitResult auto = solver.steps(Double.NaN, 5, new int[] {5});
    assertEquals(0.5 * bound, auto.learningRate(), 1e-8 * bound, "auto: η = 0.5 · 2N/λ_max");
    assertEquals(c.lambdaMax(), auto.largestEigenvalue(), 1e-8 * c.lambdaMax());
    assertClose(naiveSteps(c, auto.learningRate(), 5)[0], auto.last().trainPredictions(), 1e-11, "auto steps");

    assertThrows(IllegalArgumentException.class, () -> solver.steps(0.0, 10, new int[] {10}));
    assertThrows(IllegalArgumentException.class, () -> solver.steps(-0.1, 10, new int[] {10}));
    assertThrows(IllegalArgumentException.class, () -> solver.steps(0.1 * bound, -1, new int[] {0}));
  }

  /**
   * Against dsyevd (an unrelated algorithm): power iteration stops when the Rayleigh quotient moves
   * by < 1e-10 relative; the remaining error is about that times r/(1 − r), r = (λ₂/λ₁)². These
   * random spectra have λ₂/λ₁ ≤ 0.972 (the n = 100 case), so r/(1 − r) ≤ 17 and the error is
   * ≲ 2e-9 (observed 1.6e-9 there, ≤ 7e-10 elsewhere), inside 1e-8.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7, 30, 100})
  void largestEigenvalueMatchesLapack(int n) {
    Random r = new Random(1000 + n);
    for (int trial = 0; trial < 3; trial++) {
      int p = n + 1 + trial * n;
      double[] a = gaussian(r, n * p, 1.0 + trial);
      double[] k = new double[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          k[i * n + j] = dot(a, i, a, j, p);
        }
      }
      double[] values = Lapack.get().symmetricEigen(k, n).values();
      double expected = values[n - 1];
      assertEquals(expected, StepSize.largestEigenvalue(k, n), 1e-8 * expected, "n = " + n + " trial " + trial);
    }
  }

  @Test
  void largestEigenvalueEdgeCases() {
    assertEquals(0.0, StepSize.largestEigenvalue(new double[0], 0));
    assertEquals(0.0, StepSize.largestEigenvalue(new double[9], 3));
    // diag(1, 3, 2): the start vector is not an eigenvector, the answer is exact to rounding.
    assertEquals(3.0, StepSize.largestEigenvalue(new double[] {1, 0, 0, 0, 3, 0, 0, 0, 2}, 3), 1e-9);
    assertThrows(ArithmeticException.class,
        () -> StepSize.largestEigenvalue(new double[] {1, Double.NaN, Double.NaN, 1}, 2));
  }

  // ------------------------------------------------------------------------------------------
  // flow

  /**
   * Euler's method: per mode (1 − hλ)^T − e^{−Thλ} with h = η/N, τ = ηT fixed, equals
   * e^{−s}(e^{−s·hλ/2 + O(s·(hλ)²)} − 1) ≈ −s·e^{−s}·hλ/2 with s = τλ/N: first order in η, so
   * halving η halves the error up to a relative O(hλ_max) correction. With hλ_max ≤ 0.02 that correction
   * is ≲ 1% (observed ratios: 2.00), hence the bound [1.9, 2.1]. Since s·e^{−s} ≤ 1/e, each mode's
   * error is ≤ hλ_max/(2e) of its residual, so the training error is ≤ hλ_max/(2e)·‖r_0‖ up to the
   * same O(hλ_max) factor: we allow 1.1× that (observed: 0.14×).
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void flowIsTheSmallStepLimitOfSteps(Layout layout) {
    Case c = randomCase(layout, 41 + layout.ordinal(), 0.1);
    double lambdaMax = c.lambdaMax();
    double eta0 = 0.02 * N / lambdaMax; // hλ_max = 0.02
    int t0 = 150;
    double tau = eta0 * t0;
    FitResult flow = c.solver().flow(new double[] {tau});
    assertEquals("flow", flow.method());
    assertEquals(tau, flow.last().t());

    double[] trainErrors = new double[3];
    double[] testErrors = new double[3];
    double r0 = norm(minus(c.f0, c.y));
    for (int i = 0; i < 3; i++) {
      double eta = eta0 / (1 << i);
      int steps = t0 << i;
      Snapshot s = c.solver().steps(eta, steps, new int[] {steps}).last();
      trainErrors[i] = maxAbsDiff(s.trainPredictions(), flow.last().trainPredictions());
      testErrors[i] = maxAbsDiff(s.testPredictions(), flow.last().testPredictions());
      assertTrue(trainErrors[i] <= 1.1 * (eta * lambdaMax / N) / (2 * Math.E) * r0,
          "train error " + trainErrors[i] + " at η = " + eta + " exceeds 1.1·hλ_max/(2e)·‖r_0‖");
    }
    for (int i = 0; i < 2; i++) {
      double trainRatio = trainErrors[i] / trainErrors[i + 1];
      double testRatio = testErrors[i] / testErrors[i + 1];
      assertTrue(trainRatio > 1.9 && trainRatio < 2.1, "train error ratio " + trainRatio + " "
          + Arrays.toString(trainErrors));
      assertTrue(testRatio > 1.9 && testRatio < 2.1, "test error ratio " + testRatio + " "
          + Arrays.toString(testErrors));
    }
    // The losses are those of the predictions.
    assertEquals(naiveCost(flow.last().trainPredictions(), c.y, N), flow.last().trainLoss(), 1e-14);
    assertEquals(naiveCost(flow.last().testPredictions(), c.yTest, M), flow.last().testLoss(), 1e-14);
  }

  /**
   * At τ = 0 both updates are exactly zero (gain 0 for the test rows, e^{−0} − 1 = 0 for the
   * training rows), so f_0 comes back bit for bit on both sides.
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void flowAtTimeZeroIsTheInitialNetwork(Layout layout) {
    Case c = randomCase(layout, 51 + layout.ordinal(), 0.1);
    FitResult flow = c.solver().flow(new double[] {0.0});
    assertArrayEquals(c.g0, flow.last().testPredictions());
    assertArrayEquals(c.f0, flow.last().trainPredictions());
    assertEquals(naiveCost(c.f0, c.y, N), flow.last().trainLoss(), 1e-12);
  }

  @Test
  void flowSortsTimesAndRefusesBadOnes() {
    Case c = randomCase(Layout.TRACE, 61, 0.1);
    FitResult flow = c.solver().flow(new double[] {5.0, 0.0, 1.5});
    assertEquals(List.of(0.0, 1.5, 5.0), flow.snapshots().stream().map(Snapshot::t).toList());
    assertTrue(flow.snapshots().get(2).trainLoss() < flow.snapshots().get(1).trainLoss());
    assertTrue(flow.snapshots().get(1).trainLoss() < flow.snapshots().get(0).trainLoss());
    assertThrows(IllegalArgumentException.class, () -> c.solver().flow(new double[] {1.0, -1.0}));
    assertThrows(IllegalArgumentException.class, () -> c.solver().flow(new double[] {Double.NaN}));
    assertThrows(IllegalArgumentException.class, () -> c.solver().flow(new double[] {Double.POSITIVE_INFINITY}));
  }

  /**
   * τ → ∞ is kernel regression with ρ = 0. With λ_min ≥ δ = 0.5 and τ = 2000·N/δ every factor
   * e^{−τλ/N} underflows to 0, so the remaining difference is rounding in two different solves of
   * a system with cond(K) ≲ 10: ≲ cond·n·ε ≈ 5e-14 relative; we allow 1e-11.
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void flowAtLargeTimeIsRidgelessRegression(Layout layout) {
    double delta = 0.5;
    Case c = randomCase(layout, 71 + layout.ordinal(), delta);
    Snapshot flow = c.solver().flow(new double[] {2000.0 * N / delta}).last();
    double[][] ref = referenceRegression(c, 0.0);
    assertClose(ref[0], flow.trainPredictions(), 1e-11, "train: the flow interpolates");
    assertClose(c.y, flow.trainPredictions(), 1e-11, "train predictions reach the labels");
    assertClose(ref[1], flow.testPredictions(), 1e-11, "test predictions");
    Snapshot regression = c.solver().regression(0.0).last();
    assertClose(regression.testPredictions(), flow.testPredictions(), 1e-11, "flow(∞) vs regression(0)");
  }

  // ------------------------------------------------------------------------------------------
  // regression

  /**
   * Cholesky (LAPACK) against Gaussian elimination with partial pivoting: both are backward stable,
   * so they agree to ~cond(K + ρI)·n·ε ≲ 50·24·2.2e-16 ≈ 3e-13 relative; the bound is 1e-10.
   */
  @ParameterizedTest
  @EnumSource(Layout.class)
  void regressionMatchesGaussianElimination(Layout layout) {
    Case c = randomCase(layout, 81 + layout.ordinal(), 0.05);
    for (double ridge : new double[] {0.0, 0.3}) {
      FitResult fit = c.solver().regression(ridge);
      assertEquals("regression", fit.method());
      assertEquals(ridge, fit.ridge());
      assertTrue(Double.isNaN(fit.learningRate()));
      assertEquals(List.of(0.0, Double.POSITIVE_INFINITY), fit.snapshots().stream().map(Snapshot::t).toList(),
          "regression records the initial network and the limit");
      Snapshot initial = fit.snapshots().get(0);
      assertArrayEquals(c.f0, initial.trainPredictions());
      assertArrayEquals(c.g0, initial.testPredictions());
      assertEquals(naiveCost(c.f0, c.y, N), initial.trainLoss(), 1e-14);
      assertEquals(naiveCost(c.g0, c.yTest, M), initial.testLoss(), 1e-14);
      Snapshot s = fit.last();
      double[][] ref = referenceRegression(c, ridge);
      assertClose(ref[0], s.trainPredictions(), 1e-10, "train, ridge " + ridge);
      assertClose(ref[1], s.testPredictions(), 1e-10, "test, ridge " + ridge);
      assertEquals(naiveCost(ref[0], c.y, N), s.trainLoss(), 1e-10 * (1 + naiveCost(ref[0], c.y, N)));
      assertEquals(naiveCost(ref[1], c.yTest, M), s.testLoss(), 1e-10 * naiveCost(ref[1], c.yTest, M));
      if (ridge == 0.0) {
        assertClose(c.y, s.trainPredictions(), 1e-10, "without a ridge the training labels are interpolated");
      } else {
        assertTrue(s.trainLoss() > 1e-6, "a ridge keeps the fit off the labels");
      }
    }
    assertThrows(IllegalArgumentException.class, () -> c.solver().regression(-1e-3));
    assertThrows(IllegalArgumentException.class, () -> c.solver().regression(Double.NaN));
  }

  /**
   * A rank-4 kernel whose last training example is all zeros (K's last row and column are 0):
   * the Cholesky pivot of that row is exactly 0 whatever rounding happened before, so dpotrf
   * must fail; a ridge makes the matrix positive definite.
   */
  @Test
  void singularKernelNeedsARidge() {
    Random r = new Random(91);
    int rank = 4;
    double[] a = gaussian(r, N * rank, 1.0);
    Arrays.fill(a, (N - 1) * rank, N * rank, 0.0);
    double[] k = new double[N * N];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        k[i * N + j] = dot(a, i, a, j, rank);
      }
    }
    double[] kx = gaussian(r, M * N, 1.0);
    Case c = makeCase(Layout.TRACE, k, kx, r);

    Lapack.NotPositiveDefiniteException e = assertThrows(Lapack.NotPositiveDefiniteException.class,
        () -> c.solver().regression(0.0));
    assertTrue(e.getMessage().contains("solver.ridge"), e.getMessage());
    assertTrue(e.order() > rank && e.order() <= N, "failing minor " + e.order());

    double ridge = 1e-3;
    Snapshot s = c.solver().regression(ridge).last();
    double[][] ref = referenceRegression(c, ridge);
    // cond(K + ρI) ≈ λ_max/ρ ≈ 5e4 here: rounding ≲ 5e4·n·ε ≈ 1e-10 relative.
    assertClose(ref[0], s.trainPredictions(), 1e-8, "train with ridge");
    assertClose(ref[1], s.testPredictions(), 1e-8, "test with ridge");
  }

  // ------------------------------------------------------------------------------------------
  // the independent routes

  /** f_0 + K α and f_0* + K* α with (K + ρI) α = Y − f_0, solved by Gaussian elimination. */
  private static double[][] referenceRegression(Case c, double ridge) {
    int n = c.size;
    int cols = O / c.layout.k;
    double[] a = c.k.clone();
    for (int i = 0; i < n; i++) {
      a[i * n + i] += ridge;
    }
    double[] alpha = gaussianElimination(a, n, minus(c.y, c.f0), cols);
    double[] f = c.f0.clone();
    double[] g = c.g0.clone();
    int m = M * c.layout.k;
    for (int col = 0; col < cols; col++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          f[i * cols + col] += c.k[i * n + j] * alpha[j * cols + col];
        }
      }
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          g[i * cols + col] += c.kx[i * n + j] * alpha[j * cols + col];
        }
      }
    }
    return new double[][] {f, g};
  }

  /** Solves A X = B (A n×n, B n×cols, both row-major) with partial pivoting. */
  static double[] gaussianElimination(double[] aIn, int n, double[] bIn, int cols) {
    double[] a = aIn.clone();
    double[] b = bIn.clone();
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int i = col + 1; i < n; i++) {
        if (Math.abs(a[i * n + col]) > Math.abs(a[pivot * n + col])) {
          pivot = i;
        }
      }
      if (a[pivot * n + col] == 0) {
        throw new ArithmeticException("singular");
      }
      swapRows(a, n, col, pivot);
      swapRows(b, cols, col, pivot);
      for (int i = col + 1; i < n; i++) {
        double factor = a[i * n + col] / a[col * n + col];
        for (int j = col; j < n; j++) {
          a[i * n + j] -= factor * a[col * n + j];
        }
        for (int j = 0; j < cols; j++) {
          b[i * cols + j] -= factor * b[col * cols + j];
        }
      }
    }
    double[] x = new double[n * cols];
    for (int j = 0; j < cols; j++) {
      for (int i = n - 1; i >= 0; i--) {
        double s = b[i * cols + j];
        for (int q = i + 1; q < n; q++) {
          s -= a[i * n + q] * x[q * cols + j];
        }
        x[i * cols + j] = s / a[i * n + i];
      }
    }
    return x;
  }

  @Test
  void referenceEliminationSolvesAKnownSystem() {
    // [[0, 2], [3, 1]] x = [4, 5] needs a row swap: x = (1, 2).
    assertArrayEquals(new double[] {1, 2}, gaussianElimination(new double[] {0, 2, 3, 1}, 2, new double[] {4, 5}, 1),
        1e-15);
  }

  private static void swapRows(double[] a, int width, int i, int j) {
    if (i == j) {
      return;
    }
    for (int q = 0; q < width; q++) {
      double t = a[i * width + q];
      a[i * width + q] = a[j * width + q];
      a[j * width + q] = t;
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private static double[] minus(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  private static double norm(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  private static double maxAbsDiff(double[] a, double[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
