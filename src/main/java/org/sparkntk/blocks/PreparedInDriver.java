package org.sparkntk.blocks;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;
import org.sparkntk.kernel.BlockKernel;

/**
 * The shared state of a dense Gram computed without a shuffle in an embedded run (Spark's
 * {@code local[…]} master), where every task runs in the driver's JVM. One job prepares each row
 * block once and keeps it here; a second job of one task per core computes the block pairs, each
 * task taking the next pair nobody has taken until none is left, and places every block in the
 * dense array itself ({@link DriverPlacement}).
 *
 * <p>The shuffle route (SparkGram's tiles, which any cluster takes) serialises every prepared block
 * once per tile that needs it, writes it to the shuffle files and reads it back in each tile's
 * task: for the structured Gram at N = 16384 and width 1024, 5.5 s of 28 s went to preparing the
 * factors and writing them, and each tile task deserialised 320 MB before its first block. A tile
 * is also the unit of scheduling, so the last, largest tiles left a core idle (docs/BENCHMARKS.md,
 * "Where the dense Gram's time goes"). Here the unit is one block pair, and nothing is copied.
 *
 * <p>Used when the prepared blocks take at most half the dense array's bytes (or
 * {@value #SMALL_BYTES} bytes), so that the driver's heap stays within 1.5× the kernel it holds
 * ({@code DriverMemory}); a kernel whose prepared blocks are larger (explicit Jacobians of a wide
 * network) takes the shuffle route, whose shuffle files can spill to disk. {@value #SWITCH}{@code
 * =false} (a JVM system property) turns this route off, for comparison.
 *
 * <p>A task that fails gives its unfinished pair back, so that a retried task (a master such as
 * {@code local[2, 3]}) computes it; without retries the job fails with the task's cause. The
 * prepared blocks are released when the Gram is done or has failed.
 */
final class PreparedInDriver<F extends Serializable> implements AutoCloseable {
  static final String SWITCH = "org.sparkntk.preparedInDriver";
  static final long SMALL_BYTES = 64L << 20;
  private static final ConcurrentHashMap<String, PreparedInDriver<?>> OPEN = new ConcurrentHashMap<>();

  private final String id = UUID.randomUUID().toString();
  private final Map<Integer, F> left = new ConcurrentHashMap<>();
  private final Map<Integer, F> right;
  private final List<BlockKey> pairs;
  private final ConcurrentLinkedQueue<Integer> untaken = new ConcurrentLinkedQueue<>();

  private PreparedInDriver(List<BlockKey> pairs, boolean symmetric) {
    this.pairs = List.copyOf(pairs);
    this.right = symmetric ? left : new ConcurrentHashMap<>();
    for (int p = 0; p < pairs.size(); p++) {
      untaken.add(p);
    }
  }

  /**
   * Whether a Gram takes this route: an embedded run with the switch (and {@link DriverPlacement})
   * on, and prepared blocks of at most half the dense array, or {@value #SMALL_BYTES} bytes.
   */
  static boolean applies(boolean localMaster, long preparedBytes, long denseBytes) {
    return localMaster && Boolean.parseBoolean(System.getProperty(SWITCH, "true"))
        && Boolean.parseBoolean(System.getProperty(DriverPlacement.SWITCH, "true"))
        && preparedBytes <= Math.max(denseBytes / 2, SMALL_BYTES);
  }

  /**
   * Registers a Gram whose tasks compute {@code pairs} in that order (the largest first, so that
   * no core waits on a large block at the end).
   */
  static <F extends Serializable> PreparedInDriver<F> open(List<BlockKey> pairs, boolean symmetric) {
    PreparedInDriver<F> shared = new PreparedInDriver<>(pairs, symmetric);
    OPEN.put(shared.id, shared);
    return shared;
  }

  String id() {
    return id;
  }

  /** Prepared blocks held so far (both sides). */
  int preparedBlocks() {
    return right == left ? left.size() : left.size() + right.size();
  }

  /** In a task: keeps a prepared block of the left (or only) side or of the right side. */
  static <F extends Serializable> void keep(String id, boolean leftSide, int block, F prepared) {
    PreparedInDriver<F> shared = lookUp(id);
    (leftSide ? shared.left : shared.right).put(block, prepared);
  }

  /**
   * In a task: computes pairs until none is left, placing each block through the placement
   * {@code placementId} and counting it in {@code done}; returns how many this task computed.
   */
  static <F extends Serializable> long computePairs(String id, BlockKernel<F> kernel, String placementId,
                                                    LongAccumulator done) {
    PreparedInDriver<F> shared = lookUp(id);
    TaskContext task = TaskContext.get();
    long computed = 0;
    // A placed block has been copied into the dense Gram: its array serves the next block.
    double[] free = null;
    Integer p;
    while ((p = shared.untaken.poll()) != null) {
      try {
        if (task != null) {
          task.killTaskIfInterrupted();
        }
        BlockKey pair = shared.pairs.get(p);
        F l = shared.left.get(pair.row());
        F r = shared.right.get(pair.col());
        if (l == null || r == null) {
          throw new IllegalStateException("block pair " + pair + ": its prepared row blocks are missing");
        }
        double[] block = kernel.block(l, r, free);
        if (!DriverPlacement.place(placementId, pair, block)) {
          throw new IllegalStateException("block pair " + pair + ": the driver no longer waits for this Gram");
        }
        free = block;
        computed++;
        done.add(1);
      } catch (RuntimeException | Error e) {
        shared.untaken.add(p);
        throw e;
      }
    }
    return computed;
  }

  /** Pairs no task has taken, or that a failed task gave back. */
  int untaken() {
    return untaken.size();
  }

  @SuppressWarnings("unchecked")
  private static <F extends Serializable> PreparedInDriver<F> lookUp(String id) {
    PreparedInDriver<F> shared = (PreparedInDriver<F>) OPEN.get(id);
    if (shared == null) {
      throw new IllegalStateException("this task runs outside the driver's JVM, or after its Gram ended; "
          + "the route without a shuffle is for Spark's local[…] master only");
    }
    return shared;
  }

  @Override
  public void close() {
    OPEN.remove(id);
    left.clear();
    right.clear();
  }
}
