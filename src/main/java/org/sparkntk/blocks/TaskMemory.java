package org.sparkntk.blocks;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The memory one task may use for its blocks: a quarter of an executor's heap per task slot
 * (the rest is Spark's, the JVM's and the prepared blocks cached for later tiles), clamped to
 * [64 MiB, 1 GiB]. In local mode the executor is the driver JVM, whose heap is shared by all
 * task slots.
 */
public final class TaskMemory {
  static final long MIN = 64L << 20;
  static final long MAX = 1L << 30;

  private TaskMemory() {}

  public static long budgetBytes(JavaSparkContext sc) {
    SparkConf conf = sc.getConf();
    boolean local = sc.master().startsWith("local");
    long heap = local ? Runtime.getRuntime().maxMemory()
        : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int slots = local ? sc.defaultParallelism()
        : Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    return Math.max(MIN, Math.min(MAX, heap / 4 / Math.max(1, slots)));
  }
}
