package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkntk.solver.SolverArrays.assertClose;
import static org.sparkntk.solver.SolverArrays.gaussian;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Lapack;

/**
 * Nyström regression by FALKON's preconditioned CG ({@link NystromSolver}) against two independent
 * routes on dense kernels: with every row a centre, the exact kernel regression by Cholesky of
 * Θ + ρI; with fewer centres, a direct Cholesky solve of the normal equations
 * (Θ(X, C)ᵀΘ(X, C) + ρ Θ(C, C)) α = Θ(X, C)ᵀ r. The kernel is a Gaussian one,
 * exp(−‖x − x'‖²/(2·ℓ²)), on random points (full outputs: the same kernel ⊗ a fixed 2×2 PSD
 * output kernel), whose spectrum decays fast, so that Θ(X, C) alone is badly conditioned and the
 * preconditioner has work to do; there the tolerances are 1e-7, and a length scale of 0.5, whose
 * kernel is well conditioned, meets 1e-8 (every row a centre) and 1e-10 (fewer centres).
 */
class NystromSolverTest {
  private static final int N = 80;
  private static final int TEST = 15;
  private static final int D = 3;
  private static final double LENGTH = 1.5;

  /** Row-major kernel of length scale {@code length} between the points a (na × D) and b (nb × D), k rows each. */
  private static double[] kernel(double[] a, int na, double[] b, int nb, int k, double length) {
    double[][] outputKernel = {{1.0, 0.3}, {0.3, 0.8}};
    double[] out = new double[na * k * nb * k];
    for (int i = 0; i < na; i++) {
      for (int j = 0; j < nb; j++) {
        double d2 = 0;
        for (int q = 0; q < D; q++) {
          double d = a[i * D + q] - b[j * D + q];
          d2 += d * d;
        }
        double v = Math.exp(-d2 / (2 * length * length));
        for (int p = 0; p < k; p++) {
          for (int s = 0; s < k; s++) {
            out[(i * k + p) * nb * k + j * k + s] = v * (k == 1 ? 1.0 : outputKernel[p][s]);
          }
        }
      }
    }
    return out;
  }

  private record Case(NystromProblem problem, GramMatrix train, GramMatrix cross, double[] knm, int m, int k,
                      int outputs) {}

  /** A problem with the given centres (example indices) among N random points; k = 1 (trace) or 2 (full). */
  private static Case problem(int[] centers, int k, long seed) {
    return problem(centers, k, seed, LENGTH);
  }

  private static Case problem(int[] centers, int k, long seed, double length) {
    Random r = new Random(seed);
    int outputs = k == 1 ? 3 : 2;
    double[] x = gaussian(r, N * D, 1.0);
    double[] xt = gaussian(r, TEST * D, 1.0);
    double[] c = new double[centers.length * D];
    for (int i = 0; i < centers.length; i++) {
      System.arraycopy(x, centers[i] * D, c, i * D, D);
    }
    int m = centers.length * k;
    double[] knm = kernel(x, N, c, centers.length, k, length);
    GramMatrix kmm = new GramMatrix(m, m, k, kernel(c, centers.length, c, centers.length, k, length));
    double[] ktm = kernel(xt, TEST, c, centers.length, k, length);
    double[] y = gaussian(r, N * outputs, 1.0);
    double[] f0 = gaussian(r, N * outputs, 0.3);
    double[] yt = gaussian(r, TEST * outputs, 1.0);
    double[] f0t = gaussian(r, TEST * outputs, 0.3);
    NystromProblem p = new NystromProblem(new DenseKernelOperator(new GramMatrix(N * k, m, k, knm)), kmm,
        new DenseKernelOperator(new GramMatrix(TEST * k, m, k, ktm)), f0, y, f0t, yt, outputs);
    GramMatrix train = new GramMatrix(N * k, N * k, k, kernel(x, N, x, N, k, length));
    GramMatrix cross = new GramMatrix(TEST * k, N * k, k, kernel(xt, TEST, x, N, k, length));
    return new Case(p, train, cross, knm, m, k, outputs);
  }

  private static FitResult nystrom(NystromProblem p, double ridge, double tol) {
    return FitContext.nystrom(p, FitRequest.nystrom(ridge, p.centers())
        .with(new SolverSettings(tol, 500, 0, 1e-10, 1))).fit();
  }

  /**
   * Every row a centre: (Θ² + ρΘ)α = Θ r has the solution of (Θ + ρI)α = r, so predictions equal
   * exact regression. The preconditioned system is then the identity up to rounding, so CG stops
   * within a few iterations; its attainable residual is bounded by the triangular solves with T,
   * κ(T) = √κ(Θ(C, C) + δI) ≈ 10⁶ here, so the tolerance is 1e-10. ρ = 1e-2 keeps κ(Θ + ρI) ≈ 10⁴,
   * and with the jitter δ = 1e-13 · tr Θ the predictions agree to about 1e-8.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void everyRowACentreIsExactRegression(int k) {
    Case c = problem(IntStream.range(0, N).toArray(), k, 11);
    NystromProblem p = c.problem();
    double ridge = 1e-2;
    FitResult exact = FitContext.dense(new KernelProblem(c.train(), c.cross(), p.f0Train(), p.yTrain(), p.f0Test(),
        p.yTest(), c.outputs()), FitRequest.regression(ridge)).fit();
    FitResult falkon = nystrom(p, ridge, 1e-10);
    assertClose(exact.last().trainPredictions(), falkon.last().trainPredictions(), 1e-7, "training predictions");
    assertClose(exact.last().testPredictions(), falkon.last().testPredictions(), 1e-7, "test predictions");
    // α itself is not compared: along eigenvectors of Θ with eigenvalues near the jitter, (Θ² + ρΘ)α = Θr
    // leaves α undetermined to ~δ⁻¹·rounding, which Θ(·, C) α then multiplies by those same small eigenvalues.
    assertEquals(Double.POSITIVE_INFINITY, falkon.last().t());
    assertEquals(0.0, falkon.snapshots().get(0).t());
  }

  /**
   * 20 of 80 rows as centres: α against a Cholesky solve of the normal equations, formed
   * explicitly here. Their condition number is about that of Θ(C, C)(Θ(C, C) + ρI), so the
   * comparison allows 1e-7.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void fewerCentresSolveTheNormalEquations(int k) {
    int[] centers = new Random(5).ints(0, N).distinct().limit(20).toArray();
    Case c = problem(centers, k, 12);
    NystromProblem p = c.problem();
    double ridge = 1e-2;
    double[] direct = normalEquations(c, ridge);
    FitResult falkon = nystrom(p, ridge, 1e-12);
    assertClose(direct, falkon.coefficients(), 1e-7, "α");
    assertClose(testPredictions(c, direct), falkon.last().testPredictions(), 1e-7, "test predictions");
  }

  /** α of (Θ(X, C)ᵀΘ(X, C) + ρ Θ(C, C)) α = Θ(X, C)ᵀ(Y − f_0), the normal equations, by Cholesky. */
  private static double[] normalEquations(Case c, double ridge) {
    NystromProblem p = c.problem();
    int m = c.m();
    int n = N * c.k();
    int cols = c.outputs() / c.k();
    double[] h = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int q = 0; q < n; q++) {
          s += c.knm()[q * m + i] * c.knm()[q * m + j];
        }
        h[i * m + j] = s + ridge * p.centerGram().data()[i * m + j];
      }
    }
    double[] rhs = new double[m * cols];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int q = 0; q < n; q++) {
          s += c.knm()[q * m + i] * (p.yTrain()[q * cols + j] - p.f0Train()[q * cols + j]);
        }
        rhs[i * cols + j] = s;
      }
    }
    return Lapack.get().choleskySolve(h, m, rhs, cols);
  }

  /** f_0 + Θ(·, C) α on the test rows. */
  private static double[] testPredictions(Case c, double[] alpha) {
    double[] out = c.problem().f0Test().clone();
    double[] kt = c.problem().testCenters().apply(alpha, c.outputs() / c.k());
    for (int i = 0; i < out.length; i++) {
      out[i] += kt[i];
    }
    return out;
  }

  /**
   * The issue's tolerances, on a kernel whose conditioning allows them: length scale 0.5 instead
   * of 1.5, so that Θ(C, C) is far from singular (κ(T) small) and CG's attainable accuracy is near
   * rounding. Every row a centre equals exact regression to 1e-8 (measured 4e-10 to 5e-10), 20
   * centres equal the normal equations solved densely to 1e-10 (measured 1e-13 to 5e-13).
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void onAWellConditionedKernelToTheIssuesTolerances(int k) {
    double ridge = 1e-2;
    Case all = problem(IntStream.range(0, N).toArray(), k, 11, 0.5);
    NystromProblem p = all.problem();
    FitResult exact = FitContext.dense(new KernelProblem(all.train(), all.cross(), p.f0Train(), p.yTrain(),
        p.f0Test(), p.yTest(), all.outputs()), FitRequest.regression(ridge)).fit();
    FitResult everyRow = nystrom(p, ridge, 1e-10);
    assertClose(exact.last().trainPredictions(), everyRow.last().trainPredictions(), 1e-8, "training predictions");
    assertClose(exact.last().testPredictions(), everyRow.last().testPredictions(), 1e-8, "test predictions");

    Case few = problem(new Random(5).ints(0, N).distinct().limit(20).toArray(), k, 12, 0.5);
    FitResult falkon = nystrom(few.problem(), ridge, 1e-12);
    assertClose(testPredictions(few, normalEquations(few, ridge)), falkon.last().testPredictions(), 1e-10,
        "test predictions, 20 centres");
  }

  /**
   * The preconditioner is what makes it fast: plain CG on the normal equations H α = b (the same
   * system, unpreconditioned) needs several times FALKON's iterations to the same tolerance.
   */
  @Test
  void thePreconditionerCutsTheIterations() {
    int[] centers = new Random(6).ints(0, N).distinct().limit(40).toArray();
    NystromProblem p = problem(centers, 1, 13).problem();
    double ridge = 1e-3;
    FitContext context = FitContext.nystrom(p, FitRequest.nystrom(ridge, p.centers())
        .with(new SolverSettings(1e-10, 2000, 0, 1e-10, 1)));
    context.fit();
    int falkon = (int) context.diagnostics().get("iterations");
    TransposableOperator knm = p.trainCenters();
    int m = knm.cols();
    KernelOperator normal = new KernelOperator() {
      @Override
      public int rows() {
        return m;
      }

      @Override
      public int cols() {
        return m;
      }

      @Override
      public int rowsPerExample() {
        return 1;
      }

      @Override
      public double[] apply(double[] v, int c) {
        double[] out = knm.applyTransposed(knm.apply(v, c), c);
        double[] kv = new DenseKernelOperator(p.centerGram()).apply(v, c);
        for (int i = 0; i < out.length; i++) {
          out[i] += ridge * kv[i];
        }
        return out;
      }

      @Override
      public long products() {
        return 0;
      }

      @Override
      public String describe() {
        return "H";
      }
    };
    double[] r = new double[p.yTrain().length];
    for (int i = 0; i < r.length; i++) {
      r[i] = p.yTrain()[i] - p.f0Train()[i];
    }
    ConjugateGradient.Result plain = ConjugateGradient.solve(normal, 0.0, knm.applyTransposed(r, 3), 3,
        Preconditioner.NONE, 1e-10, 2000, null, null);
    System.out.printf("Nyström CG to 1e-10: FALKON's preconditioner %d iterations, none %d%n", falkon,
        plain.iterations());
    assertTrue(falkon * 3 <= plain.iterations(), "FALKON " + falkon + " iterations, plain CG " + plain.iterations());
  }

  /** Factoring Θ(C, C) in its own array gives the same bits, and does overwrite it. */
  @Test
  void factoringInPlaceGivesTheSameFit() {
    int[] centers = {1, 4, 9, 16, 25, 36, 49, 64};
    NystromProblem kept = problem(centers, 1, 15).problem();
    NystromProblem consumed = problem(centers, 1, 15).problem();
    double[] before = consumed.centerGram().data().clone();
    FitRequest request = FitRequest.nystrom(1e-2, centers.length).with(new SolverSettings(1e-10, 500, 0, 1e-10, 1));
    FitResult a = FitContext.nystrom(kept, request).fit();
    FitResult b = FitContext.nystrom(consumed, request).overwritingCenterGram().fit();
    assertArrayEquals(a.coefficients(), b.coefficients());
    assertArrayEquals(a.last().testPredictions(), b.last().testPredictions());
    assertFalse(Arrays.equals(before, consumed.centerGram().data()), "Θ(C, C) should now hold its factor");
    assertArrayEquals(before, kept.centerGram().data());
  }

  /**
   * T and A in one array (FALKON's layout, {@link NystromSolver.Factors}) solve as the two factors
   * kept apart do, transposed or not and in any order (each order swaps the diagonal differently).
   * Order 150 spans three 64-column tiles of the transposition. Tolerance 1e-12 relative to the
   * largest entry: the same factors, but dtrsm's lower-triangular variant sums in another order;
   * the systems' condition numbers are about 10³.
   */
  @Test
  void bothFactorsInOneArraySolveAsTwoApart() {
    int m = 150;
    Random r = new Random(5);
    double[] k = org.sparkntk.linalg.LapackTest.spd(m, 5);
    for (int i = 0; i < m; i++) {
      k[i * m + i] += 0.5;
    }
    double ratio = 3.5;
    double ridge = 0.2;
    Lapack lapack = Lapack.get();
    org.sparkntk.linalg.Blas blas = org.sparkntk.linalg.Blas.get();
    NystromSolver.Factors shared = NystromSolver.Factors.of(k.clone(), m, ratio, ridge, lapack);

    double[] shifted = k.clone();
    double trace = 0;
    for (int i = 0; i < m; i++) {
      trace += k[i * m + i];
    }
    assertEquals(NystromSolver.JITTER * trace, shared.jitter());
    for (int i = 0; i < m; i++) {
      shifted[i * m + i] += shared.jitter();
    }
    double[] t = lapack.choleskyUpperOverwriting(shifted, m);
    double[] ttt = t.clone();
    lapack.upperTimesTransposeOverwriting(ttt, m);
    for (int col = 0; col < m; col++) {
      for (int row = 0; row <= col; row++) {
        ttt[col * m + row] *= ratio;
      }
      ttt[col * m + col] += ridge;
    }
    double[] a = lapack.choleskyUpperOverwriting(ttt, m);

    String[] order = {"T", "A", "At", "Tt", "T", "Tt", "A", "At", "A", "T"};
    for (String step : order) {
      double[] b = r.doubles(m * 3L, -1, 1).toArray();
      double[] expected = b.clone();
      boolean transpose = step.endsWith("t");
      if (step.startsWith("T")) {
        blas.solveUpperRowMajor(transpose, m, 3, t, expected);
        shared.solveT(transpose, 3, b);
      } else {
        blas.solveUpperRowMajor(transpose, m, 3, a, expected);
        shared.solveA(transpose, 3, b);
      }
      double scale = Arrays.stream(expected).map(Math::abs).max().orElse(1);
      for (int i = 0; i < b.length; i++) {
        assertEquals(expected[i], b[i], 1e-12 * scale, step + " entry " + i);
      }
    }
  }

  @Test
  void refusesWhatItCannotSolve() {
    NystromProblem p = problem(new int[] {0, 3, 7}, 1, 14).problem();
    double[] oneHot = new double[N * 3];
    double[] oneHotTest = new double[TEST * 3];
    for (int i = 0; i < N; i++) {
      oneHot[i * 3 + i % 3] = 1.0;
    }
    for (int i = 0; i < TEST; i++) {
      oneHotTest[i * 3 + i % 3] = 1.0;
    }
    NystromProblem classes = new NystromProblem(p.trainCenters(), p.centerGram(), p.testCenters(), p.f0Train(),
        oneHot, p.f0Test(), oneHotTest, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FitContext.nystrom(classes, FitRequest.nystrom(1e-3, 3).with(Loss.XENT)).fit());
    assertTrue(e.getMessage().contains("closed form of the MSE"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> nystrom(p, -1.0, 1e-8));
    assertTrue(e.getMessage().contains("solver.ridge"), e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class,
        () -> FitContext.nystrom(p, FitRequest.regression(1e-3)).fit());
    assertTrue(s.getMessage().contains("needs the training kernel"), s.getMessage());
  }
}
