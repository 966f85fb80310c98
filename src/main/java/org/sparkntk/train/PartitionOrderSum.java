package org.sparkntk.train;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The partitions' gradient sums of the networks of one step, added on the driver in partition
 * order. Spark's {@code treeAggregate} (and {@code fold}) add the task results in the order the
 * tasks finish; floating-point addition is not associative, so two runs of the same gradient
 * descent differed in the last bits of every trained network. Here the sum is
 * ((0 + s_0) + s_1) + … in increasing partition index on every run; a result that arrives before
 * its predecessors waits, so the driver holds the sum and the early arrivals only.
 */
final class PartitionOrderSum extends AbstractFunction2<Object, GradientSum[], BoxedUnit> {
  private final GradientSum[][] early;
  private final GradientSum[] sum;
  private int next;

  /** A sum over {@code partitions} results, starting from {@code zero} (one sum per network). */
  PartitionOrderSum(int partitions, GradientSum[] zero) {
    this.early = new GradientSum[partitions][];
    this.sum = zero;
  }

  /** Σ over the partitions of {@code perPartition}, each holding exactly one element, added in partition order. */
  static GradientSum[] of(JavaSparkContext sc, JavaRDD<GradientSum[]> perPartition, GradientSum[] zero) {
    PartitionOrderSum merge = new PartitionOrderSum(perPartition.getNumPartitions(), zero);
    @SuppressWarnings("unchecked")
    ClassTag<GradientSum[]> tag = (ClassTag<GradientSum[]>) (ClassTag<?>) ClassTag$.MODULE$.apply(GradientSum[].class);
    sc.sc().runJob(perPartition.rdd(), new OnlyElement(), merge, tag);
    return merge.result();
  }

  @Override
  public synchronized BoxedUnit apply(Object partition, GradientSum[] partial) {
    early[(Integer) partition] = partial;
    while (next < early.length && early[next] != null) {
      for (int j = 0; j < sum.length; j++) {
        sum[j].add(early[next][j]);
      }
      early[next++] = null;
    }
    return BoxedUnit.UNIT;
  }

  synchronized GradientSum[] result() {
    if (next != early.length) {
      throw new IllegalStateException("gradient: " + next + " of " + early.length + " partition sums added");
    }
    return sum;
  }

  /** A task's result: the one element of its partition. */
  private static final class OnlyElement extends AbstractFunction1<scala.collection.Iterator<GradientSum[]>,
      GradientSum[]> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public GradientSum[] apply(scala.collection.Iterator<GradientSum[]> it) {
      java.util.Iterator<GradientSum[]> elements = CollectionConverters.asJava(it);
      GradientSum[] only = elements.next();
      if (elements.hasNext()) {
        throw new IllegalStateException("a partition of gradient sums has more than one element");
      }
      return only;
    }
  }
}
