package org.sparkntk.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A fault for {@link ExecutorLossIT}: the executor that starts the first task of the tile stage of
 * the "training Gram" job halts its JVM at once, as a kill -9 or a lost machine would. Enabled by
 * {@code spark.plugins=org.sparkntk.cluster.HaltOncePlugin} and {@code spark.sparkntk.test.haltDir=<dir>}.
 * Every task of that job records its stage in {@code stage-<id>}; a task whose stage is later than
 * a recorded one belongs to the tile (result) stage, since the stage that routes the prepared blocks
 * has finished before it starts. {@code halted}, created atomically, makes it happen once only in
 * the whole cluster (retried attempts and relaunched executors included) and records where.
 *
 * <p>With {@code spark.sparkntk.test.haltJob=<regex>} the fault is instead the first task of the first
 * job whose description matches (a product of the distributed backend, say "… product 3").
 */
public final class HaltOncePlugin implements SparkPlugin {
  static final String DIR_KEY = "spark.sparkntk.test.haltDir";
  /** A regular expression: halt in the first task (attempt 0) of the first job whose description matches it. */
  static final String JOB_KEY = "spark.sparkntk.test.haltJob";
  static final String HALTED = "halted";
  static final int STATUS = 77;

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      private Path dir;
      private String executorId;
      private Pattern jobPattern;

      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        dir = Path.of(ctx.conf().get(DIR_KEY));
        executorId = ctx.executorID();
        String pattern = ctx.conf().get(JOB_KEY, null);
        jobPattern = pattern == null ? null : Pattern.compile(pattern);
      }

      @Override
      public void onTaskStart() {
        TaskContext task = TaskContext.get();
        String job = task.getLocalProperty("spark.job.description");
        if (jobPattern != null) {
          if (job != null && jobPattern.matcher(job).matches() && task.attemptNumber() == 0) {
            haltOnce(task);
          }
          return;
        }
        if (job == null || !job.startsWith("spark-ntk: training Gram")) {
          return;
        }
        try {
          try {
            Files.createFile(dir.resolve("stage-" + task.stageId()));
          } catch (FileAlreadyExistsException e) {
            // Another task of this stage recorded it.
          }
          boolean laterStage;
          try (Stream<Path> files = Files.list(dir)) {
            laterStage = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("stage-"))
                .anyMatch(n -> Integer.parseInt(n.substring(6)) < task.stageId());
          }
          if (!laterStage || task.attemptNumber() != 0 || Files.exists(dir.resolve(HALTED))) {
            return;
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        haltOnce(task);
      }

      /** Halts this JVM unless some executor already did, recording where in {@code halted}. */
      private void haltOnce(TaskContext task) {
        try {
          try {
            Files.createFile(dir.resolve(HALTED));
          } catch (FileAlreadyExistsException e) {
            return; // another executor got there first
          }
          Files.writeString(dir.resolve(HALTED), "executor " + executorId + " stage " + task.stageId()
              + " partition " + task.partitionId() + "\n");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().halt(STATUS);
      }
    };
  }
}
