package org.sparkntk.blocks;

import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Dense Grams being assembled in this JVM, by an id the tasks carry: a task that runs in the
 * driver's own JVM (Spark's {@code local[…]} master, the embedded default) finds its Gram here and
 * places each block in the dense array as it is computed, instead of returning it as a task
 * result. A result goes through Java serialisation, the executor's block manager, a loopback
 * fetch and deserialisation, several copies of every byte plus the driver heap to hold them; a
 * placed block is one copy (and its mirror). A task in another JVM (any cluster) finds nothing
 * and returns its blocks as before.
 *
 * <p>Placing is idempotent, so a retried or speculative task may place a block twice. Distinct
 * blocks write disjoint parts of the dense array (block (I, J) and its mirror (J, I) belong to one
 * task), so tasks place concurrently without locks. What a task wrote is visible to the driver
 * once the task's completion has reached it through Spark's scheduler (its event queues order
 * the two). A Gram's entry is removed when the driver stops waiting for it, so a task that
 * outlives a failed job returns its blocks to nobody.
 *
 * <p>{@value #SWITCH}{@code =false} (a JVM system property) turns this off, for comparison.
 */
final class DriverPlacement implements AutoCloseable {
  static final String SWITCH = "org.sparkntk.driverPlacement";
  private static final ConcurrentHashMap<String, DriverPlacement> OPEN = new ConcurrentHashMap<>();
  /** Blocks placed by tasks in this JVM since it started, over all Grams. */
  private static final AtomicLong PLACED_IN_THIS_JVM = new AtomicLong();

  private final String id;
  private final BiConsumer<BlockKey, double[]> sink;
  private final AtomicLong placed = new AtomicLong();

  private DriverPlacement(String id, BiConsumer<BlockKey, double[]> sink) {
    this.id = id;
    this.sink = sink;
  }

  /**
   * Registers a Gram's sink, which must accept blocks from several threads at once and must not
   * keep them: a task reuses a placed block's array for its next block. Its {@link #id} is null
   * when the switch turns placement off.
   */
  static DriverPlacement open(BiConsumer<BlockKey, double[]> sink) {
    if (!Boolean.parseBoolean(System.getProperty(SWITCH, "true"))) {
      return new DriverPlacement(null, sink);
    }
    DriverPlacement p = new DriverPlacement(UUID.randomUUID().toString(), sink);
    OPEN.put(p.id, p);
    return p;
  }

  /** The id tasks carry, or null when blocks go back as task results. */
  String id() {
    return id;
  }

  /** Blocks placed by tasks so far. */
  long placed() {
    return placed.get();
  }

  /**
   * In a task: places the block and returns true if this JVM assembles the Gram with this id;
   * false (nothing done) elsewhere, or after the driver stopped waiting for it.
   */
  static boolean place(String id, BlockKey key, double[] block) {
    DriverPlacement p = id == null ? null : OPEN.get(id);
    if (p == null) {
      return false;
    }
    p.sink.accept(key, block);
    p.placed.incrementAndGet();
    PLACED_IN_THIS_JVM.incrementAndGet();
    return true;
  }

  /** Blocks placed by tasks in this JVM since it started, over all Grams. */
  static long placedInThisJvm() {
    return PLACED_IN_THIS_JVM.get();
  }

  @Override
  public void close() {
    if (id != null) {
      OPEN.remove(id);
    }
  }
}
