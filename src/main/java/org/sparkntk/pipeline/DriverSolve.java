package org.sparkntk.pipeline;

import java.util.stream.IntStream;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.KernelSolver;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Spectrum;

/**
 * The configured solver (solver.type) on the driver backend: kernel gradient descent, the flow or
 * kernel regression on the dense kernels ({@link KernelSolver}), at the recorded steps or times.
 */
public final class DriverSolve {
  private DriverSolve() {}

  static FitResult solve(JobConfig config, KernelProblem problem) {
    return solve(config, problem, null);
  }

  /** Runs the configured solver; flow reuses {@code spectrum}, the training Gram's decomposition, when given. */
  static FitResult solve(JobConfig config, KernelProblem problem, Spectrum spectrum) {
    KernelSolver solver = new KernelSolver(problem, config.get(ConfigKeys.SOLVER_LOSS));
    String type = config.get(ConfigKeys.SOLVER_TYPE);
    int steps = config.get(ConfigKeys.SOLVER_STEPS);
    Double lr = config.get(ConfigKeys.SOLVER_LR);
    int[] record = recordedSteps(config, steps);
    return switch (type) {
      case "steps" -> solver.steps(lr == null ? Double.NaN : lr, steps, record);
      case "flow" -> {
        double[] times = config.get(ConfigKeys.SOLVER_TIMES);
        if (times == null) {
          double eta = lr != null ? lr : KernelSolver.autoLearningRate(Loss.MSE, problem.trainExamples(),
              KernelSolver.largestEigenvalue(problem.train().data(), problem.train().rows()));
          times = IntStream.of(record).mapToDouble(s -> eta * s).toArray();
        }
        yield spectrum != null ? solver.flow(times, spectrum) : solver.flow(times);
      }
      case "regression" -> solver.regression(config.get(ConfigKeys.SOLVER_RIDGE));
      default -> throw new ConfigException("solver.type = " + type + " is not supported");
    };
  }

  static int[] recordedSteps(JobConfig config, int steps) {
    Integer every = config.get(ConfigKeys.SOLVER_RECORD_EVERY);
    int e = every != null ? every : Math.max(1, steps / 10);
    return IntStream.concat(IntStream.iterate(0, s -> s < steps, s -> s + e), IntStream.of(steps))
        .distinct().toArray();
  }
}
