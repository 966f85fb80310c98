package org.sparkntk.blocks;

import java.io.Serializable;
import org.apache.spark.Partition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * Row blocks coalesced into consecutive groups, without a shuffle: partition g of the result holds
 * the parent's partitions ⌊g·P/G⌋ … ⌊(g+1)·P/G⌋ − 1 in order. Spark's default coalescer groups by
 * locality, which can differ between runs; a fixed grouping keeps the order in which a task adds
 * its blocks' terms, so sums over it give the same bits on every run. Each group prefers the
 * location of its first partition (where that row block is cached).
 */
final class ConsecutiveGroups implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;

  private ConsecutiveGroups() {}

  /** {@code blocks} in at most {@code groups} partitions of consecutive blocks. */
  static <T> JavaRDD<T> of(JavaRDD<T> blocks, int groups) {
    int parts = blocks.getNumPartitions();
    if (groups >= parts) {
      return blocks;
    }
    RDD<T> grouped = blocks.rdd().coalesce(groups, false, Option.apply(new ConsecutiveGroups()), null);
    return new JavaRDD<>(grouped, blocks.classTag());
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] parts = parent.partitions();
    int groups = Math.max(1, Math.min(maxPartitions, parts.length));
    PartitionGroup[] out = new PartitionGroup[groups];
    for (int g = 0; g < groups; g++) {
      int from = (int) ((long) g * parts.length / groups);
      int to = (int) ((long) (g + 1) * parts.length / groups);
      out[g] = new PartitionGroup(from < to ? parent.preferredLocations(parts[from]).headOption() : Option.empty());
      for (int i = from; i < to; i++) {
        out[g].partitions().addOne(parts[i]);
      }
    }
    return out;
  }
}
