package org.sparkntk.blocks;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Console progress of a long phase: executors count finished units in an accumulator (merged
 * when each task ends), and a driver thread logs "done / total" with an estimate of the time left
 * every few seconds.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  private static final long PERIOD_SECONDS = 5;

  private final String phase;
  private final long total;
  private final LongAccumulator done;
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService timer;

  Progress(JavaSparkContext sc, String phase, long total) {
    this(sc, phase, total, sc.sc().longAccumulator("spark-ntk " + phase + " blocks done"));
  }

  /** Progress counted by an accumulator the tasks already hold. */
  Progress(JavaSparkContext sc, String phase, long total, LongAccumulator done) {
    this.phase = phase;
    this.total = total;
    this.done = done;
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
    long d = done.value();
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    String eta = d > 0 && d < total ? String.format(", about %.0f s left", elapsed * (total - d) / d) : "";
    LOG.info(String.format("%s: %d / %d blocks, %.1f s%s", phase, d, total, elapsed, eta));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
