package org.sparkntk.solver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.sparkntk.kernel.GramMatrix;

/** Issue 18: solver.steps = 2·10⁹ ran without a word; a long run of steps now logs how far it is. */
class StepsProgressTest {
  /** Keeps the org.sparkntk log lines. */
  static final class Capture extends AbstractAppender {
    final List<String> lines = new CopyOnWriteArrayList<>();

    Capture() {
      super("steps-progress-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      lines.add(event.getMessage().getFormattedMessage());
    }
  }

  @Test
  void aLongRunOfStepsLogsItsProgress() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    LoggerConfig logger = context.getConfiguration().getLoggerConfig("org.sparkntk");
    Capture capture = new Capture();
    capture.start();
    logger.addAppender(capture, Level.INFO, null);
    context.updateLoggers();
    long interval = StepsSolver.progressIntervalNanos;
    StepsSolver.progressIntervalNanos = 0;
    try {
      // Θ = diag(2, 1) on two examples, one output.
      KernelProblem problem = new KernelProblem(new GramMatrix(2, 2, 1, new double[] {2, 0, 0, 1}), null,
          new double[] {0, 0}, new double[] {1, -1}, null, null, 1);
      new DenseFits(problem).steps(0.1, 100_000, new int[] {0, 100_000});
    } finally {
      StepsSolver.progressIntervalNanos = interval;
      logger.removeAppender(capture.getName());
      context.updateLoggers();
      capture.stop();
    }
    assertTrue(capture.lines.stream().anyMatch(l -> l.matches(
        "kernel gradient descent: step \\d+ of 100000 \\(\\d+\\.\\d %\\), about \\d+ s left")), capture.lines.toString());
  }
}
