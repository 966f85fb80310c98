package org.sparkntk.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Times the phases of a job, logs each with its elapsed time, and keeps them for metrics.json. */
public final class PhaseTimer {
  private static final Logger LOG = LoggerFactory.getLogger(PhaseTimer.class);
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  public <T> T time(String phase, Supplier<T> work) {
    LOG.info("{} …", phase);
    long start = System.nanoTime();
    T result = work.get();
    double s = (System.nanoTime() - start) / 1e9;
    seconds.merge(phase, s, Double::sum);
    LOG.info(String.format("%s done in %.2f s", phase, s));
    return result;
  }

  public void time(String phase, Runnable work) {
    time(phase, () -> {
      work.run();
      return null;
    });
  }

  public Map<String, Double> seconds() {
    return Collections.unmodifiableMap(seconds);
  }
}
