package org.sparkntk.solver;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;

/**
 * Kernel regression, the τ → ∞ limit of the MSE flow with a ridge ρ ≥ 0 (docs/THEORY.md §6):
 * f(x*) = f_0(x*) + Θ(x*, X) α with (Θ + ρI) α = Y − f_0(X), recorded at t = 0 and ∞.
 * <ul>
 *   <li>dense kernels: Cholesky of Θ + ρI (LAPACK);</li>
 *   <li>products: preconditioned conjugate gradients ({@link ConjugateGradient}) to relative
 *       residual solver.tol per output column, with the randomized Nyström preconditioner of rank
 *       solver.rank ({@link NystromPreconditioner}; Frangella, Tropp &amp; Udell 2023); the basis
 *       and the iterate are saved to and resumed from a {@link RegressionCheckpoint} when one is
 *       given. Reaching solver.maxIter above solver.tol throws {@link NotConvergedException} with
 *       the residual reached.</li>
 * </ul>
 */
final class RegressionSolver implements Solver {
  static final String TYPE = "regression";
  private static final Logger LOG = LoggerFactory.getLogger(RegressionSolver.class);

  @Override
  public String type() {
    return TYPE;
  }

  /** K, factored in place and restored (Lapack.shiftedCholeskySolveRestoring). */
  @Override
  public int denseTrainCopies() {
    return 1;
  }

  /** The Nyström sketch: three N·k × r matrices while it is built. */
  @Override
  public long productWorkspace(long rows, int k, long columns, FitRequest request) {
    int rank = request.settings().rank();
    return rank > 0 ? 3 * rows * Math.min(rows, rank) : 0;
  }

  @Override
  public int recordedTimes(FitRequest request) {
    return 2;
  }

  @Override
  public FitResult fit(FitContext context) {
    FitRequest request = context.request();
    request.requireMse();
    double ridge = request.checkedRidge();
    return context.dense() != null ? cholesky(context, ridge) : conjugateGradients(context, ridge);
  }

  private static FitResult cholesky(FitContext context, double ridge) {
    KernelProblem problem = context.dense();
    Blas blas = Blas.get();
    int n = problem.kernelSize();
    int c = problem.columns();
    double[] rhs = FitRequest.residual(problem.yTrain(), problem.f0Train());
    // factored in the Gram's own array and restored afterwards: no second N×N copy on the driver
    double[] alpha = Lapack.get().shiftedCholeskySolveRestoring(problem.train().data(), n, ridge, rhs, c);
    double[] f = problem.f0Train().clone();
    blas.gemm(n, c, n, 1.0, problem.train().data(), alpha, 1.0, f);
    double[] g = null;
    if (problem.cross() != null) {
      g = problem.f0Test().clone();
      blas.gemm(problem.cross().rows(), c, n, 1.0, problem.cross().data(), alpha, 1.0, g);
    }
    Snapshot initial = context.snapshot(0, problem.f0Train(), problem.cross() == null ? null : problem.f0Test());
    return new FitResult(TYPE, List.of(initial, context.snapshot(Double.POSITIVE_INFINITY, f, g)), Double.NaN,
        Double.NaN, ridge, alpha.clone());
  }

  private static FitResult conjugateGradients(FitContext context, double ridge) {
    OperatorProblem problem = context.operators();
    SolverSettings settings = context.request().settings();
    RegressionCheckpoint checkpoint = context.checkpoint();
    var diagnostics = context.diagnostics();
    int c = problem.columns();
    double[] b = FitRequest.residual(problem.yTrain(), problem.f0Train());
    int n = problem.kernelSize();
    Preconditioner p = Preconditioner.NONE;
    if (settings.rank() > 0) {
      long t0 = System.nanoTime();
      int rank = Math.min(settings.rank(), n);
      NystromPreconditioner.Basis saved = checkpoint == null ? null : checkpoint.preconditioner(n, rank);
      NystromPreconditioner nystrom = saved != null ? NystromPreconditioner.of(saved, ridge)
          : NystromPreconditioner.build(problem.train(), settings.rank(), ridge, settings.seed());
      if (checkpoint != null && saved == null) {
        checkpoint.savePreconditioner(nystrom.basis());
      }
      p = nystrom;
      double seconds = (System.nanoTime() - t0) / 1e9;
      diagnostics.put("preconditioner", "nystrom");
      diagnostics.put("preconditionerRank", p.rank());
      diagnostics.put("preconditionerSeconds", seconds);
      if (checkpoint != null) {
        diagnostics.put("preconditionerResumed", saved != null);
      }
      LOG.info(String.format("Nyström preconditioner of rank %d %s in %.2f s", p.rank(),
          saved != null ? "read from the checkpoint" : "built", seconds));
    } else {
      diagnostics.put("preconditioner", "none");
    }
    double[] start = context.start();
    int base = 0;
    if (checkpoint != null && start == null) {
      RegressionCheckpoint.Iterate saved = checkpoint.iterate(n, c);
      if (saved != null) {
        start = saved.x();
        base = saved.iteration();
        LOG.info(String.format("PCG restarts from the iterate saved after iteration %d", base));
      }
      diagnostics.put("resumedFromIteration", base);
    }
    int offset = base;
    long t0 = System.nanoTime();
    ResidualLog log = new ResidualLog(LOG, "PCG", settings.tol());
    ConjugateGradient.Listener listener = context.listener();
    ConjugateGradient.Listener progress = (iteration, x, residual) -> {
      log.iteration(iteration, x, residual);
      if (listener != null) {
        listener.iteration(iteration, x, residual);
      }
      if (checkpoint != null) {
        checkpoint.iteration(offset + iteration, x);
      }
    };
    ConjugateGradient.Result cg = ConjugateGradient.solve(problem.train(), ridge, b, c, p, settings.tol(),
        settings.maxIter(), start, progress);
    double seconds = (System.nanoTime() - t0) / 1e9;
    diagnostics.put("iterations", cg.iterations());
    diagnostics.put("relativeResidual", cg.worstResidual());
    diagnostics.put("residualHistory", cg.history());
    diagnostics.put("pcgSeconds", seconds);
    if (checkpoint != null) {
      // Converged or not: a rerun (say with a larger solver.maxIter) continues from here.
      checkpoint.stopped(offset + cg.iterations(), cg.x());
    }
    LOG.info(String.format("PCG: %d iterations, relative residual %.3g (tol %.3g), %.2f s", cg.iterations(),
        cg.worstResidual(), settings.tol(), seconds));
    if (!cg.converged()) {
      throw new NotConvergedException(String.format("kernel regression did not converge: after %d PCG iterations "
          + "the relative residual ‖(Θ + ρI)α − (Y − f_0)‖/‖Y − f_0‖ is %.3g, above solver.tol = %.3g (ρ = %s). "
          + "Raise solver.ridge (a ridge of 0 on a nearly singular kernel cannot be solved to this accuracy), "
          + "solver.rank, solver.maxIter, or solver.tol.", cg.iterations(), cg.worstResidual(), settings.tol(),
          ridge));
    }
    double[] f = problem.f0Train().clone();
    for (int i = 0; i < f.length; i++) {
      f[i] += cg.kernelTimesX()[i];
    }
    Snapshot initial = context.snapshot(0, problem.f0Train(), problem.cross() == null ? null : problem.f0Test());
    Snapshot end = context.snapshot(Double.POSITIVE_INFINITY, f, context.testOutputs(cg.x()));
    return new FitResult(TYPE, List.of(initial, end), Double.NaN, context.knownLargestEigenvalue(), ridge, cg.x());
  }
}
