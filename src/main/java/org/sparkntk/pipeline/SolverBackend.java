package org.sparkntk.pipeline;

import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.solver.Solver;
import org.sparkntk.solver.Solvers;

/**
 * Where the solver runs ({@code solver.backend}), chosen before any kernel work as Spark ML's
 * LinearRegression chooses its solver by size and says which:
 * <ul>
 *   <li>{@code driver}: the dense kernels are collected and solved directly; needs
 *       {@link DriverMemory#estimateBytes} ≈ 8·(N·k)²·copies + 8·(M·k)(N·k) bytes on the driver;</li>
 *   <li>{@code distributed}: the Gram stays on the executors ({@code kernel.cache}) and the solvers
 *       use only products with it; the driver holds O(N·k·(c + r)) numbers
 *       ({@link #distributedDriverBytes}).</li>
 * </ul>
 *
 * @param distributed whether the distributed backend runs
 * @param reason      why, in words, for the log and metrics.json
 * @param driverBytes the driver-memory estimate of the backend that runs
 */
public record SolverBackend(boolean distributed, String reason, long driverBytes) {

  String configName() {
    return distributed ? "distributed" : "driver";
  }

  public static SolverBackend choose(JobConfig config, long n, long m, int k, int outputs, String solver,
                              boolean spectrum) {
    return choose(config, n, m, k, outputs, solver, spectrum, 0);
  }

  /**
   * {@link #choose(JobConfig, long, long, int, int, String, boolean)} for a distributed operator that
   * holds {@code operatorBytes} of its own on the driver per product (the matrix-free NTK's Jᵀ V
   * sums, {@link org.sparkntk.blocks.MatrixFreeKernel#driverBytes}).
   */
  public static SolverBackend choose(JobConfig config, long n, long m, int k, int outputs, String solver,
                                     boolean spectrum, long operatorBytes) {
    String asked = config.get(ConfigKeys.SOLVER_BACKEND);
    Long limitOrNull = config.get(ConfigKeys.KERNEL_MAX_DRIVER_BYTES);
    long limit = limitOrNull != null ? limitOrNull : DriverMemory.defaultLimit();
    long dense = DriverMemory.estimateBytes(n, m, k, solver, spectrum);
    long distributed = distributedDriverBytes(config, n, m, k, outputs, solver, spectrum) + operatorBytes;
    String figures = String.format("dense kernels and workspace %s (driver peak about %s), limit %s "
        + "(kernel.maxDriverBytes)", DriverMemory.human(dense), DriverMemory.human(DriverMemory.peakBytes(dense)),
        DriverMemory.human(limit));
    if (!Solvers.of(solver).needsTrainingKernel()) {
      // Nyström regression never builds the training Gram: Θ(X, C) stays on the executors.
      if (asked.equals("driver")) {
        throw new ConfigException("solver.type = " + solver + " keeps the kernel against its centres on the "
            + "executors and has no driver backend: set solver.backend = auto or distributed");
      }
      checkDistributed(distributed, limit, n, k);
      return new SolverBackend(true, "solver.type = " + solver + ": Θ(X, C) on the executors, the centres' "
          + "factors on the driver, about " + DriverMemory.human(distributed), distributed);
    }
    switch (asked) {
      case "driver" -> {
        if (dense > limit) {
          throw new ConfigException(DriverMemory.refusal(n, m, k, solver, spectrum, limitOrNull)
              + " Or set solver.backend = distributed (or auto), which keeps the Gram on the executors and needs "
              + "about " + DriverMemory.human(distributed) + " on the driver.");
        }
        return new SolverBackend(false, "solver.backend = driver; " + figures, dense);
      }
      case "distributed" -> {
        checkDistributed(distributed, limit, n, k);
        return new SolverBackend(true, "solver.backend = distributed; driver needs about "
            + DriverMemory.human(distributed), distributed);
      }
      default -> {
        if (dense <= limit) {
          return new SolverBackend(false, "auto: the " + figures + ", fit", dense);
        }
        if (distributed > limit) {
          throw new ConfigException(DriverMemory.refusal(n, m, k, solver, spectrum, limitOrNull)
              + " The distributed backend, which keeps the Gram on the executors, would still need about "
              + DriverMemory.human(distributed) + " on the driver.");
        }
        return new SolverBackend(true, "auto: the " + figures + ", do not fit; the distributed backend needs about "
            + DriverMemory.human(distributed) + " on the driver", distributed);
      }
    }
  }

  private static void checkDistributed(long need, long limit, long n, int k) {
    if (need > limit) {
      throw new ConfigException(String.format("even the distributed backend needs about %s on the driver for "
          + "%d training rows × %d kernel rows per example (vectors of length N·k, the Nyström preconditioner's "
          + "N·k × solver.rank, the Lanczos basis, Nyström regression's (M·k)² factors); the limit is %s "
          + "(kernel.maxDriverBytes). Lower solver.rank, solver.centers or output.eigenvectors, or give the driver "
          + "more memory.", DriverMemory.human(need), n, k,
          DriverMemory.human(limit)));
    }
  }

  /**
   * What the distributed solvers hold on the driver, in bytes: about ten vectors of N·k × c
   * (iterate, residual, directions, products, targets, f_0 …) with c = O/k, the recorded
   * predictions (training and test, at every recorded time), the Nyström preconditioner's three
   * N·k × r matrices while it is built (regression), and a Lanczos basis of about 3·e + 30
   * vectors for e eigenvectors (spectrum) or λ_max (steps, flow), per column for the flow.
   */
  static long distributedDriverBytes(JobConfig config, long n, long m, int k, int outputs, String solver,
                                     boolean spectrum) {
    long rows = n * k;
    long c = Math.max(1, outputs / k);
    Solver fit = Solvers.of(solver);
    long vectors = 10 * rows * c + (n + m) * outputs * fit.recordedTimes(FitRequests.of(config));
    long basis = fit.productWorkspace(rows, k, c, FitRequests.of(config));
    if (spectrum) {
      basis = Math.max(basis, rows * (3L * config.get(ConfigKeys.OUTPUT_EIGENVECTORS) + 30));
    }
    basis = Math.max(basis, rows * 40); // λ_max by Lanczos
    return 8 * (vectors + basis);
  }
}
