package org.sparkntk.pipeline;

import java.util.stream.IntStream;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.SolverSettings;

/** The solver.* keys as the {@link FitRequest} both backends run. */
public final class FitRequests {
  private FitRequests() {}

  /** The configured solver, loss and their parameters. */
  public static FitRequest of(JobConfig config) {
    int steps = config.get(ConfigKeys.SOLVER_STEPS);
    Double lr = config.get(ConfigKeys.SOLVER_LR);
    return new FitRequest(config.get(ConfigKeys.SOLVER_TYPE), config.get(ConfigKeys.SOLVER_LOSS),
        lr == null ? Double.NaN : lr, steps, recordedSteps(config, steps), config.get(ConfigKeys.SOLVER_TIMES),
        config.get(ConfigKeys.SOLVER_RIDGE), config.get(ConfigKeys.SOLVER_CENTERS), settings(config));
  }

  /** The iterative solvers' settings; solver.preconditioner = none is rank 0. */
  public static SolverSettings settings(JobConfig config) {
    int rank = config.get(ConfigKeys.SOLVER_PRECONDITIONER).equals("nystrom") ? config.get(ConfigKeys.SOLVER_RANK) : 0;
    return new SolverSettings(config.get(ConfigKeys.SOLVER_TOL), config.get(ConfigKeys.SOLVER_MAX_ITER), rank, 1e-10,
        config.get(ConfigKeys.MODEL_SEED));
  }

  /** 0, e, 2e, … and the last step, e = solver.recordEvery or a tenth of the steps. */
  static int[] recordedSteps(JobConfig config, int steps) {
    Integer every = config.get(ConfigKeys.SOLVER_RECORD_EVERY);
    int e = every != null ? every : Math.max(1, steps / 10);
    return IntStream.concat(IntStream.iterate(0, s -> s < steps, s -> s + e), IntStream.of(steps))
        .distinct().toArray();
  }
}
