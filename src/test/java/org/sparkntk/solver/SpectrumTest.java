package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Lapack;

/**
 * The training kernel's eigen-decomposition against the definitions, written as loops here:
 * ordering, Σλ = trace, V orthonormal, V diag(λ) Vᵀ = Θ, λ_0 = the power iteration's λ_max, and the
 * projections a dynamics report uses.
 *
 * <p>The kernel is K = A Aᵀ with A ~ N(0, 1), [40 × 30]: rank 30, so ten eigenvalues are zero up to
 * rounding (some come out slightly negative) and the decomposition must cope with a null space.
 * dsyevd is backward stable, ‖V Λ Vᵀ − K‖ ≲ n·ε·‖K‖ ≈ 40 · 2.2e-16 ≈ 1e-14 relative, and its V is
 * orthonormal to the same order; the tolerance 1e-12 holds these with a margin of 100.
 */
class SpectrumTest {
  private static final int N = 40;
  private static final int RANK = 30;

  private static double[] lowRankKernel(long seed) {
    Random r = new Random(seed);
    double[] a = new double[N * RANK];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    double[] k = new double[N * N];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int q = 0; q < RANK; q++) {
          s += a[i * RANK + q] * a[j * RANK + q];
        }
        k[i * N + j] = s;
      }
    }
    return k;
  }

  @Test
  void eigenvaluesDescendSumToTheTraceAndReconstructTheKernel() {
    double[] k = lowRankKernel(7);
    double[] copy = k.clone();
    Spectrum s = Spectrum.of(new GramMatrix(N, N, 1, k));
    assertArrayEquals(copy, k, "the kernel is not modified");
    assertEquals(N, s.size());
    double[] l = s.values();
    for (int i = 0; i + 1 < N; i++) {
      assertTrue(l[i] >= l[i + 1], "descending at " + i + ": " + l[i] + " < " + l[i + 1]);
    }
    double[] ascending = Lapack.get().symmetricEigen(k, N).values();
    for (int i = 0; i < N; i++) {
      assertEquals(ascending[N - 1 - i], l[i], "the same dsyevd values, reversed");
    }

    double trace = 0;
    double absSum = 0;
    for (int i = 0; i < N; i++) {
      trace += k[i * N + i];
      absSum += Math.abs(l[i]);
    }
    assertEquals(trace, s.sum(), 1e-12 * absSum, "Σλ = trace(Θ)");

    double scale = 0;
    double worst = 0;
    double worstOrtho = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        double rebuilt = 0;
        double gram = 0;
        for (int q = 0; q < N; q++) {
          rebuilt += s.vector(i, q) * l[q] * s.vector(j, q);
          gram += s.vector(q, i) * s.vector(q, j); // (VᵀV)_ij
        }
        scale = Math.max(scale, Math.abs(k[i * N + j]));
        worst = Math.max(worst, Math.abs(rebuilt - k[i * N + j]));
        worstOrtho = Math.max(worstOrtho, Math.abs(gram - (i == j ? 1.0 : 0.0)));
      }
    }
    System.out.printf("spectrum: ‖VΛVᵀ − Θ‖_max/‖Θ‖_max = %.2e, ‖VᵀV − I‖_max = %.2e, |Σλ − tr|/Σ|λ| = %.2e, "
        + "λ = %.4g … %.3g%n", worst / scale, worstOrtho, Math.abs(s.sum() - trace) / absSum, l[0], l[N - 1]);
    assertTrue(worst <= 1e-12 * scale, "V Λ Vᵀ differs from Θ by " + worst / scale + " relative");
    assertTrue(worstOrtho <= 1e-12, "VᵀV differs from I by " + worstOrtho);
    for (int i = RANK; i < N; i++) {
      assertTrue(Math.abs(l[i]) <= 1e-12 * l[0], "rank " + RANK + ": λ_" + i + " = " + l[i] + " should be ~0");
    }
  }

  /**
   * λ_0 against the power iteration, an unrelated algorithm that stops when the Rayleigh quotient
   * moves by < 1e-10 relative; with λ₁/λ₀ < 0.98 the remaining error is below ~3e-9 (DenseSolversTest),
   * inside 1e-8.
   */
  @Test
  void topEigenvalueAgreesWithThePowerIteration() {
    for (long seed = 1; seed <= 3; seed++) {
      double[] k = lowRankKernel(seed);
      Spectrum s = Spectrum.of(k, N);
      double power = StepSize.largestEigenvalue(k, N);
      assertEquals(s.largest(), power, 1e-8 * s.largest(), "seed " + seed);
      assertEquals(s.values()[0], s.largest());
    }
  }

  @Test
  void topVectorsAndProjectionsFollowTheLayout() {
    double[] k = lowRankKernel(11);
    Spectrum s = Spectrum.of(k, N);
    int top = 4;
    double[] vk = s.topVectors(top);
    assertEquals(N * top, vk.length);
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < top; j++) {
        assertEquals(s.vector(i, j), vk[i * top + j], "[n × k]: row i, column j is component i of vector j");
      }
    }
    Random r = new Random(12);
    for (int cols : new int[] {1, 3}) {
      double[] residual = new double[N * cols];
      for (int i = 0; i < residual.length; i++) {
        residual[i] = r.nextGaussian();
      }
      double[] p = s.project(residual, top);
      assertEquals(top * cols, p.length);
      for (int j = 0; j < top; j++) {
        for (int c = 0; c < cols; c++) {
          double expected = 0;
          for (int i = 0; i < N; i++) {
            expected += s.vector(i, j) * residual[i * cols + c];
          }
          assertEquals(expected, p[j * cols + c], 1e-13, "v_" + j + "ᵀ r[:, " + c + "]");
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> s.project(new double[N + 1], 2));
    assertThrows(IllegalArgumentException.class, () -> s.topVectors(N + 1));
    assertThrows(IllegalArgumentException.class, () -> s.topVectors(-1));
    assertEquals(0, s.topVectors(0).length);
  }

  /**
   * The use the projections are for: under MSE steps each projected residual decays as
   * (1 − ηλ_k/N)^t. Kernel with a ridge 0.5 on the diagonal (λ ≥ 0.5), η = 0.5 · 2N/λ_max,
   * 30 steps; rounding as in DenseSolversTest.eachEigenmodeDecaysGeometrically, ≲ 1e-11·‖r_0‖.
   */
  @Test
  void projectedMseResidualsDecayAsPredicted() {
    double[] k = lowRankKernel(21);
    for (int i = 0; i < N; i++) {
      k[i * N + i] += 0.5;
    }
    Random r = new Random(22);
    double[] f0 = new double[N * 2];
    double[] y = new double[N * 2];
    for (int i = 0; i < f0.length; i++) {
      f0[i] = r.nextGaussian();
      y[i] = r.nextGaussian();
    }
    KernelProblem problem = new KernelProblem(new GramMatrix(N, N, 1, k), null, f0, y, null, null, 2);
    Spectrum s = Spectrum.of(k, N);
    FitResult fit = new DenseFits(problem).steps(Double.NaN, 30, new int[] {0, 30});
    double lr = fit.learningRate();
    double[] p0 = s.project(minus(fit.snapshots().get(0).trainPredictions(), y), 5);
    double[] pt = s.project(minus(fit.last().trainPredictions(), y), 5);
    double norm = 0;
    for (int i = 0; i < f0.length; i++) {
      norm += (f0[i] - y[i]) * (f0[i] - y[i]);
    }
    for (int j = 0; j < 5; j++) {
      double factor = Math.pow(1 - lr * s.values()[j] / N, 30);
      for (int c = 0; c < 2; c++) {
        assertEquals(factor * p0[j * 2 + c], pt[j * 2 + c], 1e-11 * Math.sqrt(norm), "mode " + j + " column " + c);
      }
    }
  }

  /** Flow with the job's decomposition in hand is the flow that decomposes the kernel itself. */
  @Test
  void flowSharesTheDecomposition() {
    double[] k = lowRankKernel(31);
    for (int i = 0; i < N; i++) {
      k[i * N + i] += 0.1;
    }
    Random r = new Random(32);
    double[] f0 = new double[N];
    double[] y = new double[N];
    for (int i = 0; i < N; i++) {
      f0[i] = r.nextGaussian();
      y[i] = r.nextGaussian();
    }
    KernelProblem problem = new KernelProblem(new GramMatrix(N, N, 1, k), null, f0, y, null, null, 1);
    DenseFits solver = new DenseFits(problem);
    double[] times = {0.0, 3.0, 50.0};
    FitResult own = solver.flow(times);
    FitResult shared = solver.flow(times, Spectrum.of(k, N));
    for (int i = 0; i < times.length; i++) {
      assertArrayEquals(own.snapshots().get(i).trainPredictions(), shared.snapshots().get(i).trainPredictions());
    }
    assertEquals(Spectrum.of(k, N).largest(), own.largestEigenvalue());
    assertThrows(IllegalArgumentException.class, () -> solver.flow(times, Spectrum.of(new double[4], 2)));
  }

  private static double[] minus(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }
}
