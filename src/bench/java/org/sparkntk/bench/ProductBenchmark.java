package org.sparkntk.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.blocks.DistributedGram;
import org.sparkntk.blocks.DistributedKernel;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.Precision;

/**
 * The product benchmark of docs/BENCHMARKS.md: one run prints one table of the distributed
 * backend's product Θ·V over stored float64 and float32 blocks, for c = 1 and c = 10 columns, as
 * bytes of stored blocks read per second against the machine's memory bandwidth measured in the
 * same run by a STREAM-like triad a = b + s·c on every core (McCalpin's STREAM counts 24 bytes per
 * element of the triad).
 *
 * <p>A product's floor is the larger of (bytes of the stored blocks) / (memory bandwidth), as it
 * reads every block once, and 2N²c flops / (the DGEMM rate measured in the same run): with c = 10
 * columns a float64 entry takes 40 flops per 8 bytes read, which on two cores is compute-bound.
 * The kernel's values do not matter for its speed, so the blocks are those of a cheap linear kernel
 * x·x' on 16 random features (what is measured is the product, not the Gram).
 *
 * <pre>scripts/benchmark --products [N …]   (default N = 16384 32768)</pre>
 */
public final class ProductBenchmark {
  private static final int FEATURES = 16;
  private static final int REPEATS = 5;

  private ProductBenchmark() {}

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {16384, 32768}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    SparkSession spark = SparkSession.builder().master("local[*]").appName("spark-ntk product benchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cores = sc.defaultParallelism();
    try {
      double triad = triadBytesPerSecond(cores);
      // GramBenchmark.gemmRate: the sum over threads of each one's best single-threaded DGEMM, in GFLOP/s.
      double gemm = GramBenchmark.gemmRate(GEMM_SIZE, GEMM_SIZE, false, cores) * 1e9;
      List<String> rows = new ArrayList<>();
      for (int n : sizes) {
        for (Precision p : new Precision[] {Precision.FLOAT32, Precision.FLOAT64}) {
          List<String> measured = products(sc, n, p, triad, gemm);
          measured.forEach(row -> System.err.println("product benchmark: " + row));
          rows.addAll(measured);
        }
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "Memory bandwidth (triad a = b + s·c, %d threads, best of %d): %.2f GB/s%n",
          cores, REPEATS, triad / 1e9);
      System.out.printf(Locale.ROOT, "DGEMM (%d × %d, one single-threaded call per thread, %d threads, best of %d): "
          + "%.1f GFLOP/s%n%n", GEMM_SIZE, GEMM_SIZE, cores, REPEATS, gemm / 1e9);
      System.out.println("| N | blocks | c | stored bytes | seconds per product (median of " + REPEATS
          + ") | read GB/s | / triad | floor s = max(bytes / triad, 2N²c / DGEMM) | floor / product |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      rows.forEach(System.out::println);
    } finally {
      spark.stop();
    }
  }

  private static List<String> products(JavaSparkContext sc, int n, Precision precision, double triad,
                                       double gemm) {
    Random r = new Random(n);
    BlockPlan plan = new BlockPlan(n, 1024);
    List<RowBlock> blocks = new ArrayList<>();
    for (int b = 0; b < plan.blockCount(); b++) {
      int rows = plan.rows(b);
      blocks.add(new RowBlock(b, plan.start(b), rows, r.doubles((long) rows * FEATURES, -1, 1).toArray(),
          new double[0]));
    }
    JavaRDD<RowBlock> rdd = sc.parallelize(blocks, Math.max(1, blocks.size()));
    List<String> out = new ArrayList<>();
    try (DistributedKernel theta = DistributedGram.distributed(sc, rdd, plan, null, plan, new GramBenchmark.LinearKernel(FEATURES), precision,
        DistributedKernel.Cache.MEMORY, "benchmark Gram N = " + n + " " + precision.configName())) {
      for (int c : new int[] {1, 10}) {
        double[] v = r.doubles((long) n * c, -1, 1).toArray();
        theta.apply(v, c); // warm-up
        double[] seconds = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
          long t0 = System.nanoTime();
          theta.apply(v, c);
          seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        double median = seconds[REPEATS / 2];
        double rate = theta.storedBytes() / median;
        // A product reads every stored block once and does 2 multiply-adds per entry and column
        // of the full Gram (Θ_IJ V_J and Θ_IJᵀ V_I for the stored upper triangle): 2N²c flops.
        double floor = Math.max(theta.storedBytes() / triad, 2.0 * n * n * c / gemm);
        long[] where = theta.storageNow();
        out.add(String.format(Locale.ROOT, "| %d | %d %s | %d | %.2f GB (%.2f GB in memory, %.2f GB on disk) | %.3f "
            + "| %.2f | %.2f | %.3f | %.2f |", n, plan.upperTrianglePairs(), precision.configName(), c,
            theta.storedBytes() / 1e9, where[0] / 1e9, where[1] / 1e9, median, rate / 1e9, rate / triad, floor,
            floor / median));
      }
    }
    return out;
  }

  private static final int GEMM_SIZE = 2048;

  /** Bytes per second of a[i] = b[i] + s·c[i] over 3 × 64 Mi doubles split across {@code threads}. */
  static double triadBytesPerSecond(int threads) throws Exception {
    int n = 1 << 26;
    double[] a = new double[n];
    double[] b = new double[n];
    double[] c = new double[n];
    Arrays.fill(b, 1.0);
    Arrays.fill(c, 2.0);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    double best = 0;
    try {
      for (int rep = 0; rep < REPEATS + 1; rep++) {
        long t0 = System.nanoTime();
        List<Future<?>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int from = (int) ((long) n * t / threads);
          int to = (int) ((long) n * (t + 1) / threads);
          parts.add(pool.submit(() -> {
            for (int i = from; i < to; i++) {
              a[i] = b[i] + 3.0 * c[i];
            }
          }));
        }
        for (Future<?> f : parts) {
          f.get();
        }
        double rate = 24.0 * n / ((System.nanoTime() - t0) / 1e9);
        if (rep > 0) {
          best = Math.max(best, rate);
        }
      }
    } finally {
      pool.shutdown();
    }
    if (a[n / 2] != 7.0) {
      throw new IllegalStateException("triad result " + a[n / 2]);
    }
    return best;
  }
}
