package org.sparkntk.blocks;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Adds up the per-task partial sums of a distributed product Θ V in a fixed order, so that a
 * product gives the same bits on every run. Spark's {@code reduce} and {@code treeReduce} combine
 * partial results in the order their tasks finish; floating-point addition is not associative, so
 * two runs of the same product differed by a few ulps, and a solver stopping at a tolerance near
 * the rounding floor could stop one iteration earlier or later (a task retried after a lost
 * executor finishes last). Here every row block's sum is
 * ((p_0 + p_1) + p_2) + … over the tasks t that touch it, in increasing t, on both routes:
 *
 * <ul>
 *   <li>{@link #onDriver}: each task's partial sums go to the driver, which adds them in task
 *       order as that order's next result arrives, keeping only results that arrived early;</li>
 *   <li>{@link #byRowBlock}: for partial sums too large for the driver to take in together, one
 *       shuffle sends the partial sum of row block I from task t to the reducer of I under the key
 *       (I, t), sorted; each reducer adds its row blocks' terms in t order, and the driver receives
 *       the N·c finished sums. Spark's sorter spills to disk, so a reducer holds one row block's
 *       sum at a time.</li>
 * </ul>
 */
final class ProductSum {
  private ProductSum() {
  }

  /** The sums on the driver, in task order: peak memory is the result plus the early arrivals. */
  static Map<Integer, double[]> onDriver(JavaSparkContext sc, JavaRDD<HashMap<Integer, double[]>> partials) {
    InOrder merge = new InOrder(partials.getNumPartitions());
    @SuppressWarnings("unchecked")
    ClassTag<HashMap<Integer, double[]>> tag = (ClassTag<HashMap<Integer, double[]>>) (ClassTag<?>) ClassTag$.MODULE$
        .apply(HashMap.class);
    sc.sc().runJob(partials.rdd(), new OnlyElement(), merge, tag);
    return merge.result();
  }

  /** The sums on the reducers of the row blocks, each in task order. */
  static Map<Integer, double[]> byRowBlock(JavaRDD<HashMap<Integer, double[]>> partials, int rowBlocks) {
    JavaPairRDD<Long, double[]> keyed = JavaPairRDD.fromJavaRDD(partials.mapPartitionsWithIndex((t, it) -> {
      List<Tuple2<Long, double[]>> terms = new ArrayList<>();
      for (Map.Entry<Integer, double[]> e : merged(it).entrySet()) {
        terms.add(new Tuple2<>(key(e.getKey(), t), e.getValue()));
      }
      return terms.iterator();
    }, true));
    int reducers = Math.max(1, Math.min(rowBlocks, partials.getNumPartitions()));
    List<HashMap<Integer, double[]>> sums = keyed
        .repartitionAndSortWithinPartitions(new RowBlockPartitioner(reducers))
        .mapPartitions(ProductSum::sumSorted)
        .collect();
    Map<Integer, double[]> out = new HashMap<>();
    for (HashMap<Integer, double[]> part : sums) {
      out.putAll(part);
    }
    return out;
  }

  /** The shuffle key of task t's partial sum of row block I: sorted by I, then by t. */
  static long key(int rowBlock, int task) {
    return ((long) rowBlock << 32) | task;
  }

  static int rowBlock(long key) {
    return (int) (key >>> 32);
  }

  /** One task's partial sums, its partition's maps added in order (one map per tile task). */
  static HashMap<Integer, double[]> merged(Iterator<HashMap<Integer, double[]>> it) {
    HashMap<Integer, double[]> out = new HashMap<>();
    while (it.hasNext()) {
      addAll(out, it.next());
    }
    return out;
  }

  private static Iterator<HashMap<Integer, double[]>> sumSorted(Iterator<Tuple2<Long, double[]>> terms) {
    HashMap<Integer, double[]> out = new HashMap<>();
    while (terms.hasNext()) {
      Tuple2<Long, double[]> term = terms.next();
      addInto(out, rowBlock(term._1()), term._2());
    }
    return List.of(out).iterator();
  }

  /** out[I] += partial[I] for every row block of {@code partial}. */
  static void addAll(Map<Integer, double[]> out, Map<Integer, double[]> partial) {
    for (Map.Entry<Integer, double[]> e : partial.entrySet()) {
      addInto(out, e.getKey(), e.getValue());
    }
  }

  /** out[I] += term, taking the term itself as the sum when it is the first. */
  static void addInto(Map<Integer, double[]> out, int rowBlock, double[] term) {
    double[] into = out.get(rowBlock);
    if (into == null) {
      out.put(rowBlock, term);
      return;
    }
    for (int i = 0; i < into.length; i++) {
      into[i] += term[i];
    }
  }

  /** Partitions the keys (I, t) by row block I. */
  static final class RowBlockPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    RowBlockPartitioner(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return Math.floorMod(rowBlock((Long) key), partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RowBlockPartitioner p && p.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }

  /** A task's result: the one partial-sum map of its partition. */
  private static final class OnlyElement extends AbstractFunction1<scala.collection.Iterator<HashMap<Integer, double[]>>,
      HashMap<Integer, double[]>> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public HashMap<Integer, double[]> apply(scala.collection.Iterator<HashMap<Integer, double[]>> it) {
      return merged(CollectionConverters.asJava(it));
    }
  }

  /**
   * The driver's result handler: Spark calls it from its scheduler thread as tasks finish, in any
   * order; results are added in task order, and one that arrives before its predecessors waits.
   */
  static final class InOrder extends AbstractFunction2<Object, HashMap<Integer, double[]>, BoxedUnit> {
    private final HashMap<Integer, double[]>[] early;
    private final HashMap<Integer, double[]> sum = new HashMap<>();
    private int next;

    @SuppressWarnings({"unchecked", "rawtypes"}) // Java has no generic array creation
    InOrder(int tasks) {
      this.early = new HashMap[tasks];
    }

    @Override
    public synchronized BoxedUnit apply(Object task, HashMap<Integer, double[]> partial) {
      early[(Integer) task] = partial;
      while (next < early.length && early[next] != null) {
        addAll(sum, early[next]);
        early[next++] = null;
      }
      return BoxedUnit.UNIT;
    }

    synchronized Map<Integer, double[]> result() {
      if (next != early.length) {
        throw new IllegalStateException("product: " + next + " of " + early.length + " partial sums added");
      }
      return sum;
    }
  }
}
