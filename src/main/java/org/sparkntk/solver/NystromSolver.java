package org.sparkntk.solver;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.linalg.Matrices;

/**
 * Kernel regression restricted to M centres C chosen among the training rows (Nyström), solved
 * as FALKON does (Rudi, Carratino &amp; Rosasco 2017; Meanti et al. 2020): the predictor is
 * f(x) = f_0(x) + Θ(x, C) α with α minimising ‖Θ(X, C) α − r‖² + ρ αᵀ Θ(C, C) α, r = Y − f_0(X),
 * that is
 * <pre>
 *   H α = Θ(X, C)ᵀ r,   H = Θ(X, C)ᵀ Θ(X, C) + ρ Θ(C, C).
 * </pre>
 * With every training row a centre (M = N) this is exact kernel regression: Θ(Θ + ρI)α = Θ r.
 *
 * <p><b>Preconditioner.</b> For uniformly sampled centres Θ(X, C)ᵀΘ(X, C) ≈ (N/M) Θ(C, C)², so H ≈
 * (N/M) K² + ρK with K = Θ(C, C). With the Cholesky factors K + δI = TᵀT and
 * (N/M) T Tᵀ + ρI = AᵀA, B = T⁻¹A⁻¹ has (B Bᵀ)⁻¹ = (N/M) K² + ρK (δ aside), and conjugate
 * gradients run on
 * <pre>
 *   W β = Bᵀ Θ(X, C)ᵀ r,   W = Bᵀ H B = A⁻ᵀ (T⁻ᵀ Θ(X, C)ᵀ Θ(X, C) T⁻¹ + ρ I) A⁻¹,   α = B β,
 * </pre>
 * whose eigenvalues cluster near 1: FALKON's 10–25 iterations. Each iteration is one product
 * Θ(X, C)ᵀ(Θ(X, C) V) ({@link TransposableOperator#normalProduct}, one pass over the stored
 * blocks on the distributed backend), O(N·M·c) flops; the driver holds the M×M factors and
 * vectors of N·c and M·c. The jitter δ = {@value #JITTER} · tr K keeps T defined when centres
 * coincide or the kernel has low rank, as FALKON's ε·M·I does.
 */
final class NystromSolver implements Solver {
  static final String TYPE = "nystrom";
  /** δ = JITTER · tr Θ(C, C) added to the diagonal before its Cholesky factorisation. */
  static final double JITTER = 1e-13;
  private static final Logger LOG = LoggerFactory.getLogger(NystromSolver.class);

  @Override
  public String type() {
    return TYPE;
  }

  /** No training Gram: Θ(C, C) and what the factors take are {@link #productWorkspace}. */
  @Override
  public int denseTrainCopies() {
    return 0;
  }

  /**
   * The job lets the solver factor Θ(C, C) in place ({@link FitContext#overwritingCenterGram}): T
   * and A share Θ(C, C)'s M·k × M·k array ({@link Factors}), which is also the peak of assembling
   * Θ(C, C) from its blocks; plus the CG vectors of M·k × c.
   */
  @Override
  public long productWorkspace(long rows, int k, long columns, FitRequest request) {
    long m = Math.min(request.centers(), rows / k) * k;
    return m * m + 10 * m * columns;
  }

  @Override
  public boolean needsTrainingKernel() {
    return false;
  }

  @Override
  public int recordedTimes(FitRequest request) {
    return 2;
  }

  @Override
  public FitResult fit(FitContext context) {
    FitRequest request = context.request();
    request.requireMse();
    NystromProblem problem = context.nystrom();
    if (problem == null) {
      throw new IllegalArgumentException("solver.type = nystrom needs the kernels against its centres (solver.centers)");
    }
    double ridge = request.checkedRidge();
    Lapack lapack = Lapack.get();
    SolverSettings settings = request.settings();
    TransposableOperator knm = problem.trainCenters();
    int m = knm.cols();
    int c = problem.columns();
    double ratio = (double) problem.trainExamples() / problem.centers();

    long t0 = System.nanoTime();
    double[] centerGram = problem.centerGram().data();
    Factors factors = Factors.of(context.mayOverwriteCenterGram() ? centerGram : centerGram.clone(), m, ratio,
        ridge, lapack);
    double factorSeconds = (System.nanoTime() - t0) / 1e9;
    double jitter = factors.jitter();
    LOG.info(String.format("Nyström preconditioner: Cholesky factors of order %d in %.2f s (jitter %.3g)", m,
        factorSeconds, jitter));

    // b = A⁻ᵀ T⁻ᵀ Θ(X, C)ᵀ (Y − f_0)
    double[] b = knm.applyTransposed(FitRequest.residual(problem.yTrain(), problem.f0Train()), c);
    factors.solveT(true, c, b);
    factors.solveA(true, c, b);

    AtomicLong products = new AtomicLong();
    KernelOperator w = new KernelOperator() {
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
        return knm.rowsPerExample();
      }

      /** W v = A⁻ᵀ (T⁻ᵀ Θ(X, C)ᵀ Θ(X, C) T⁻¹ A⁻¹ v + ρ A⁻¹ v). */
      @Override
      public double[] apply(double[] v, int columns) {
        double[] u = v.clone();
        factors.solveA(false, columns, u);
        double[] z = u.clone();
        factors.solveT(false, columns, z);
        double[] p = knm.normalProduct(z, columns);
        factors.solveT(true, columns, p);
        for (int i = 0; i < p.length; i++) {
          p[i] += ridge * u[i];
        }
        factors.solveA(true, columns, p);
        products.incrementAndGet();
        return p;
      }

      @Override
      public long products() {
        return products.get();
      }

      @Override
      public String describe() {
        return "the preconditioned Nyström system of order " + m;
      }
    };
    long t1 = System.nanoTime();
    // A product over Θ(X, C) of 10⁵–10⁶ rows takes seconds.
    ResidualLog progress = new ResidualLog(LOG, "Nyström CG", settings.tol());
    ConjugateGradient.Result cg = ConjugateGradient.solve(w, 0.0, b, c, Preconditioner.NONE, settings.tol(),
        settings.maxIter(), null, progress);
    double seconds = (System.nanoTime() - t1) / 1e9;
    var diagnostics = context.diagnostics();
    diagnostics.put("centers", problem.centers());
    diagnostics.put("nystromJitter", jitter);
    diagnostics.put("preconditionerSeconds", factorSeconds);
    diagnostics.put("iterations", cg.iterations());
    diagnostics.put("relativeResidual", cg.worstResidual());
    diagnostics.put("residualHistory", cg.history());
    diagnostics.put("pcgSeconds", seconds);
    LOG.info(String.format("Nyström CG: %d iterations, relative residual %.3g (tol %.3g), %.2f s", cg.iterations(),
        cg.worstResidual(), settings.tol(), seconds));
    if (!cg.converged()) {
      throw new NotConvergedException(String.format("Nyström regression did not converge: after %d CG iterations the "
          + "relative residual of the preconditioned system is %.3g, above solver.tol = %.3g (ρ = %s, %d centres). "
          + "Raise solver.ridge, solver.maxIter or solver.tol.", cg.iterations(), cg.worstResidual(),
          settings.tol(), ridge, problem.centers()));
    }
    // α = T⁻¹ A⁻¹ β
    double[] alpha = cg.x().clone();
    factors.solveA(false, c, alpha);
    factors.solveT(false, c, alpha);
    double[] f = problem.f0Train().clone();
    double[] fitted = knm.apply(alpha, c);
    for (int i = 0; i < f.length; i++) {
      f[i] += fitted[i];
    }
    double[] g = null;
    if (problem.testCenters() != null) {
      g = problem.f0Test().clone();
      double[] predicted = problem.testCenters().apply(alpha, c);
      for (int i = 0; i < g.length; i++) {
        g[i] += predicted[i];
      }
    }
    Snapshot initial = context.snapshot(0, problem.f0Train(), problem.testCenters() == null ? null : problem.f0Test());
    Snapshot end = context.snapshot(Double.POSITIVE_INFINITY, f, g);
    return new FitResult(TYPE, List.of(initial, end), Double.NaN, Double.NaN, ridge, alpha);
  }

  /**
   * The preconditioner's two upper triangular factors in one M×M array, as FALKON's
   * implementation keeps them (Meanti et al. 2020): A in the column-major upper triangle, Tᵀ in
   * the strict lower triangle, and the two diagonals apart, one of them in the array at a time.
   * The driver holds (M·k)² numbers instead of 2·(M·k)²: 3.2 GB at M = 20,000 rather than 6.4 GB.
   * Swapping the diagonal before a solve with the other factor costs M copies, nothing beside the
   * solve's M²·c flops. Not for concurrent use (the conjugate gradients are sequential).
   */
  static final class Factors {
    private final double[] array;
    private final int m;
    private final double[] tDiagonal;
    private final double[] aDiagonal;
    private final double jitter;
    private boolean holdsA;

    private Factors(double[] array, int m, double[] tDiagonal, double[] aDiagonal, double jitter) {
      this.array = array;
      this.m = m;
      this.tDiagonal = tDiagonal;
      this.aDiagonal = aDiagonal;
      this.jitter = jitter;
      this.holdsA = true;
    }

    /**
     * Factors K = Θ(C, C), given as the symmetric M×M {@code kmm} (overwritten): K + δI = TᵀT with
     * δ = {@value #JITTER}·tr K, then (N/M) T Tᵀ + ρI = AᵀA.
     */
    static Factors of(double[] kmm, int m, double ratio, double ridge, Lapack lapack) {
      double trace = 0;
      for (int i = 0; i < m; i++) {
        trace += kmm[i * m + i];
      }
      double jitter = JITTER * trace;
      for (int i = 0; i < m; i++) {
        kmm[i * m + i] += jitter;
      }
      lapack.choleskyUpperInPlace(kmm, m);
      double[] tDiagonal = new double[m];
      for (int i = 0; i < m; i++) {
        tDiagonal[i] = kmm[i * m + i];
      }
      // Tᵀ into the column-major strict lower triangle (the row-major upper one)
      Matrices.mirrorLower(kmm, m);
      // T Tᵀ over T in the upper triangle (dlauum reads and writes only that triangle), scaled and
      // shifted, and factored there: A. Tᵀ stays below.
      lapack.upperTimesTransposeOverwriting(kmm, m);
      for (int col = 0; col < m; col++) {
        for (int row = 0; row <= col; row++) {
          kmm[col * m + row] *= ratio;
        }
        kmm[col * m + col] += ridge;
      }
      lapack.choleskyUpperInPlace(kmm, m);
      double[] aDiagonal = new double[m];
      for (int i = 0; i < m; i++) {
        aDiagonal[i] = kmm[i * m + i];
      }
      return new Factors(kmm, m, tDiagonal, aDiagonal, jitter);
    }

    double jitter() {
      return jitter;
    }

    /** T X = B, or Tᵀ X = B with {@code transpose}, for row-major B (M×c), in place. */
    void solveT(boolean transpose, int c, double[] b) {
      diagonal(false);
      Blas.get().solveUpperStoredTransposedRowMajor(transpose, m, c, array, b);
    }

    /** A X = B, or Aᵀ X = B with {@code transpose}, for row-major B (M×c), in place. */
    void solveA(boolean transpose, int c, double[] b) {
      diagonal(true);
      Blas.get().solveUpperRowMajor(transpose, m, c, array, b);
    }

    private void diagonal(boolean a) {
      if (holdsA != a) {
        double[] d = a ? aDiagonal : tDiagonal;
        for (int i = 0; i < m; i++) {
          array[i * m + i] = d[i];
        }
        holdsA = a;
      }
    }
  }
}
