package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkntk.solver.SolverArrays.assertClose;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Lapack;

/**
 * The product-only solvers ({@link FitContext#products}: steps, Lanczos flow, PCG regression;
 * the Lanczos eigenpairs) against the dense direct ones ({@link FitContext#dense}) and LAPACK on the same
 * kernel, through {@link DenseKernelOperator}.
 *
 * <p>The kernels are Gaussian kernels e^{−‖x − x'‖²/2} of random 3-D points, whose spectrum
 * decays fast like an NTK's (λ_max/λ_min ≈ 1e5 at N = 150 here, before the ridge): the regime
 * where plain CG is slow and the Nyström preconditioner matters.
 */
class ProductSolversTest {
  private static final int O = 3;

  private record Case(KernelProblem dense, OperatorProblem operators, int k) {}

  /** N training and M test rows, O outputs; k = 1 (trace) or O (full: Θ ⊗ I plus a coupling term). */
  private static Case problem(int n, int m, int k, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[n + m][3];
    for (double[] row : x) {
      for (int d = 0; d < 3; d++) {
        row[d] = r.nextGaussian();
      }
    }
    int size = n * k;
    double[] train = new double[size * size];
    double[] cross = new double[m * k * size];
    for (int i = 0; i < n + m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int d = 0; d < 3; d++) {
          s += (x[i][d] - x[j][d]) * (x[i][d] - x[j][d]);
        }
        double base = Math.exp(-s / 2);
        for (int a = 0; a < k; a++) {
          for (int b = 0; b < k; b++) {
            // Θ_ab = base·(δ_ab + 0.3): PSD as the Kronecker product of two PSD matrices.
            double v = base * ((a == b ? 1.0 : 0.0) + (k > 1 ? 0.3 : 0.0));
            if (i < n) {
              train[(i * k + a) * size + j * k + b] = v;
            } else {
              cross[((i - n) * k + a) * size + j * k + b] = v;
            }
          }
        }
      }
    }
    double[] y = new double[n * O];
    double[] f0 = new double[n * O];
    double[] yTest = new double[m * O];
    double[] g0 = new double[m * O];
    for (int i = 0; i < n + m; i++) {
      for (int a = 0; a < O; a++) {
        double target = Math.sin(x[i][0] + a) + 0.5 * x[i][1] * x[i][2];
        double start = 0.3 * r.nextGaussian();
        if (i < n) {
          y[i * O + a] = target;
          f0[i * O + a] = start;
        } else {
          yTest[(i - n) * O + a] = target;
          g0[(i - n) * O + a] = start;
        }
      }
    }
    KernelProblem dense = new KernelProblem(new GramMatrix(size, size, k, train), new GramMatrix(m * k, size, k, cross),
        f0, y, g0, yTest, O);
    return new Case(dense, OperatorProblem.dense(dense), k);
  }

  private static SolverSettings settings(double tol, int rank) {
    return new SolverSettings(tol, 2000, rank, 1e-12, 7);
  }

  private static void assertSameFit(FitResult expected, FitResult actual, double rel) {
    assertEquals(expected.snapshots().size(), actual.snapshots().size());
    for (int s = 0; s < expected.snapshots().size(); s++) {
      Snapshot e = expected.snapshots().get(s);
      Snapshot a = actual.snapshots().get(s);
      assertEquals(e.t(), a.t(), 0.0);
      assertClose(e.trainPredictions(), a.trainPredictions(), rel, "training outputs at t = " + e.t());
      assertClose(e.testPredictions(), a.testPredictions(), rel, "test outputs at t = " + e.t());
      assertEquals(e.trainLoss(), a.trainLoss(), rel * Math.max(1, e.trainLoss()) * 10);
    }
    assertClose(expected.coefficients(), actual.coefficients(), rel, "coefficients α");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, O})
  void stepsEqualTheDenseStepsForBothLosses(int k) {
    Case c = problem(40, 9, k, 1);
    int[] record = {0, 7, 30, 60};
    // The same η for both: the dense power iteration and Lanczos agree on λ_max only to ~1e-10.
    double lr = 0.4 * StepSize.stableBound(40,
        StepSize.largestEigenvalue(c.dense().train().data(), c.dense().train().rows()));
    FitResult dense = new DenseFits(c.dense()).steps(lr, 60, record);
    FitResult iterative = new ProductFits(c.operators(), Loss.MSE, settings(1e-8, 0)).steps(lr, 60, record);
    // Both sum the same products in a different order (Θ d per step against Θ* Σ d): rounding of
    // ~60 steps × n·ε relative, far below 1e-12 at these sizes.
    assertSameFit(dense, iterative, 1e-12);

    double[] onehot = new double[40 * O];
    for (int i = 0; i < 40; i++) {
      onehot[i * O + i % O] = 1.0;
    }
    double[] onehotTest = new double[9 * O];
    for (int i = 0; i < 9; i++) {
      onehotTest[i * O + (i + 1) % O] = 1.0;
    }
    KernelProblem xent = new KernelProblem(c.dense().train(), c.dense().cross(), c.dense().f0Train(), onehot,
        c.dense().f0Test(), onehotTest, O);
    FitResult denseXent = new DenseFits(xent, Loss.XENT).steps(lr, 60, record);
    FitResult iterativeXent = new ProductFits(OperatorProblem.dense(xent), Loss.XENT, settings(1e-8, 0))
        .steps(lr, 60, record);
    assertSameFit(denseXent, iterativeXent, 1e-12);
  }

  @Test
  void autoStepSizeUsesTheLanczosLargestEigenvalue() {
    Case c = problem(50, 5, 1, 2);
    ProductFits solver = new ProductFits(c.operators(), Loss.MSE, settings(1e-8, 0));
    FitResult fit = solver.steps(Double.NaN, 10, new int[] {0, 10});
    double[] l = Lapack.get().symmetricEigen(c.dense().train().data(), 50).values();
    assertEquals(l[49], fit.largestEigenvalue(), 1e-10 * l[49]);
    assertEquals(0.5 * 2 * 50 / l[49], fit.learningRate(), 1e-9 * fit.learningRate());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, O})
  void flowEqualsTheEigenDecompositionClosedForm(int k) {
    Case c = problem(60, 7, k, 3);
    double lambda = StepSize.largestEigenvalue(c.dense().train().data(), c.dense().train().rows());
    double eta = 60 / lambda;
    double[] times = {0, eta, 10 * eta, 300 * eta, 1e5 * eta};
    FitResult dense = new DenseFits(c.dense()).flow(times);
    FitResult lanczos = new ProductFits(c.operators(), Loss.MSE, settings(1e-12, 0)).flow(times);
    assertSameFit(dense, lanczos, 1e-8);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, O})
  void regressionEqualsCholeskyWithAndWithoutThePreconditioner(int k) {
    Case c = problem(150, 11, k, 4);
    double ridge = 1e-2;
    FitResult cholesky = new DenseFits(c.dense()).regression(ridge);
    ProductFits plain = new ProductFits(c.operators(), Loss.MSE, settings(1e-12, 0));
    FitResult plainFit = plain.regression(ridge, null, null);
    // Frangella et al. (Theorem 5.1): a rank a little above the number of eigenvalues above ρ
    // gives κ(P⁻¹(Θ + ρI)) = O(1), so PCG's iteration count no longer depends on the spectrum.
    double[] lambda = Lapack.get().symmetricEigen(c.dense().train().data(), c.dense().train().rows()).values();
    int above = (int) Arrays.stream(lambda).filter(l -> l > ridge).count();
    ProductFits nystrom = new ProductFits(c.operators(), Loss.MSE, settings(1e-12, above + 10));
    FitResult nystromFit = nystrom.regression(ridge, null, null);
    // Residual 1e-12 and κ(Θ + ρI) ≤ ~3e3 bound the coefficients' relative error by ~3e-9.
    assertSameFit(cholesky, plainFit, 1e-7);
    assertSameFit(cholesky, nystromFit, 1e-7);
    int plainIterations = (int) plain.diagnostics().get("iterations");
    int nystromIterations = (int) nystrom.diagnostics().get("iterations");
    assertTrue(nystromIterations * 3 < plainIterations && nystromIterations <= 40,
        "Nyström PCG took " + nystromIterations + " iterations, plain CG " + plainIterations);
  }

  @Test
  void aFullRankNystromPreconditionerIsExact() {
    // r = n: Θ̂ = Θ up to the shift ν, so P⁻¹(Θ + ρI) ≈ (λ̂_n + ρ) I and CG needs one or two iterations.
    Case c = problem(30, 3, 1, 5);
    ProductFits solver = new ProductFits(c.operators(), Loss.MSE, settings(1e-10, 30));
    solver.regression(1e-3, null, null);
    assertTrue((int) solver.diagnostics().get("iterations") <= 3, solver.diagnostics().toString());
  }

  @Test
  void aSingularSystemWithoutRidgeReportsNonConvergence() {
    // Θ = A Aᵀ of rank 5 < n with a right-hand side outside its range: no α solves it.
    int n = 40;
    Random r = new Random(6);
    double[] a = SolverArrays.gaussian(r, n * 5, 1.0);
    double[] theta = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        theta[i * n + j] = SolverArrays.dot(a, i, a, j, 5);
      }
    }
    KernelProblem p = new KernelProblem(new GramMatrix(n, n, 1, theta), null, new double[n],
        SolverArrays.gaussian(r, n, 1.0), null, null, 1);
    ProductFits solver = new ProductFits(OperatorProblem.dense(p), Loss.MSE,
        new SolverSettings(1e-10, 200, 0, 1e-12, 1));
    NotConvergedException e = assertThrows(NotConvergedException.class, () -> solver.regression(0.0, null, null));
    assertTrue(e.getMessage().contains("solver.ridge"), e.getMessage());
  }

  @Test
  void lanczosFindsTheLargestEigenpairs() {
    Case c = problem(120, 1, 1, 8);
    double[] theta = c.dense().train().data();
    Spectrum exact = Spectrum.of(c.dense().train());
    Lanczos.Eigenpairs top = Lanczos.largest(c.operators().train(), 6, 1e-12, 500, 3, true);
    for (int i = 0; i < 6; i++) {
      assertEquals(exact.values()[i], top.values()[i], 1e-10 * exact.values()[0], "eigenvalue " + i);
      double overlap = 0;
      for (int row = 0; row < 120; row++) {
        overlap += exact.vector(row, i) * top.vectors()[row * 6 + i];
      }
      assertEquals(1.0, Math.abs(overlap), 1e-8, "eigenvector " + i);
    }
    assertTrue(top.steps() < 120, "took " + top.steps() + " steps");
    assertTrue(Arrays.stream(theta).allMatch(Double::isFinite));
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new SolverSettings(0, 10, 5, 1e-10, 0));
    assertThrows(IllegalArgumentException.class, () -> new SolverSettings(1e-8, 0, 5, 1e-10, 0));
    assertThrows(IllegalArgumentException.class, () -> new SolverSettings(1e-8, 10, -1, 1e-10, 0));
  }
}
