package org.sparkntk.blocks;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Console progress of a long phase, counted in blocks as they finish: tasks add 1 to an
 * accumulator per block, and a driver thread logs "done / total" with an estimate of the time left
 * every few seconds.
 *
 * <p>The driver's accumulator value only grows when a task ends, which for a tile of many blocks
 * is minutes apart. Executors also send every running task's accumulator values with their
 * heartbeats (spark.executor.heartbeatInterval, 10 s by default), which Spark posts to listeners
 * as {@link SparkListenerExecutorMetricsUpdate}; the blocks of running tasks are taken from there,
 * so the count moves while a tile is computed and the estimate does not grow while work is done.
 * Where tasks run in the driver's JVM the blocks they have placed are counted at once instead.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  private static final long PERIOD_SECONDS = 5;

  private final JavaSparkContext sc;
  private final String phase;
  private final long total;
  private final LongAccumulator done;
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService timer;
  private final RunningTasks running;
  private final LongSupplier countedHere;
  private long lastCount;
  private double lastCountSeconds;

  Progress(JavaSparkContext sc, String phase, long total) {
    this(sc, phase, total, () -> 0L);
  }

  /**
   * {@code countedHere}: blocks finished so far by another count that moves at once (the blocks
   * tasks in the driver's JVM have placed, {@link DriverPlacement}); the larger of the two counts
   * is shown.
   */
  Progress(JavaSparkContext sc, String phase, long total, LongSupplier countedHere) {
    this(sc, phase, total, sc.sc().longAccumulator("spark-ntk " + phase + " blocks done"), countedHere);
  }

  /** Progress counted by an accumulator the tasks already hold. */
  Progress(JavaSparkContext sc, String phase, long total, LongAccumulator done) {
    this(sc, phase, total, done, () -> 0L);
  }

  private Progress(JavaSparkContext sc, String phase, long total, LongAccumulator done, LongSupplier countedHere) {
    this.sc = sc;
    this.phase = phase;
    this.total = total;
    this.done = done;
    this.countedHere = countedHere;
    this.running = new RunningTasks(done.id());
    sc.sc().addSparkListener(running);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "spark-ntk-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(this::report, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
  }

  LongAccumulator counter() {
    return done;
  }

  private void report() {
    long fromTasks = done.value();
    long inTasks = Math.max(running.inFlight(), countedHere.getAsLong() - fromTasks);
    long d = Math.min(total, fromTasks + inTasks);
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    if (d != lastCount) {
      lastCount = d;
      lastCountSeconds = elapsed;
    }
    // The rate at the last new count, counted down since: counts arrive with task ends and
    // heartbeats (10 s apart by default), and between them the work goes on.
    double left = d > 0 ? Math.max(1, lastCountSeconds * (total - d) / d - (elapsed - lastCountSeconds)) : 0;
    String eta = d > 0 && d < total ? String.format(", about %.0f s left", left) : "";
    String where = inTasks > 0 ? String.format(" (%d of them in running tasks)", inTasks) : "";
    LOG.info(String.format("%s: %d / %d blocks%s, %.1f s%s", phase, d, total, where, elapsed, eta));
  }

  @Override
  public void close() {
    timer.shutdownNow();
    sc.sc().removeSparkListener(running);
  }

  /**
   * The latest value of one accumulator in each running task, from executor heartbeats. A task's
   * entry goes when the task ends (its count is then in the accumulator itself), and a heartbeat
   * that arrives after that is ignored, so no block is counted twice.
   */
  static final class RunningTasks extends SparkListener {
    private final long accumulatorId;
    private final Map<Long, Long> latest = new ConcurrentHashMap<>();
    private final Set<Long> ended = new HashSet<>();

    RunningTasks(long accumulatorId) {
      this.accumulatorId = accumulatorId;
    }

    long inFlight() {
      return latest.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
      for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
          : CollectionConverters.asJava(update.accumUpdates())) {
        long taskId = (Long) task._1();
        for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
          if (info.id() == accumulatorId && info.update().isDefined()) {
            record(taskId, ((Number) info.update().get()).longValue());
          }
        }
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      taskEnded(end.taskInfo().taskId());
    }

    synchronized void record(long taskId, long value) {
      if (!ended.contains(taskId)) {
        latest.put(taskId, value);
      }
    }

    synchronized void taskEnded(long taskId) {
      ended.add(taskId);
      latest.remove(taskId);
    }
  }
}
