package org.sparkntk.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.blocks.DistributedGram;
import org.sparkntk.blocks.DistributedKernel;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.Precision;
import org.sparkntk.linalg.BlockProducts;

/**
 * The product benchmark of docs/BENCHMARKS.md: one run prints one table of the distributed
 * backend's product Θ·V over stored float64 and float32 blocks, for c = 1 and c = 10 columns, as
 * bytes of stored blocks read per second against the machine's memory bandwidth measured in the
 * same run by a STREAM-like triad a = b + s·c on every core (McCalpin's STREAM counts 24 bytes per
 * element of the triad). The triad is measured again right before each row's products and that
 * row's ratio uses it: on the benchmark's virtual machine the bandwidth moved by up to 2× within
 * minutes, and a triad taken once at the start made the ratios of later rows drift with it.
 *
 * <p>A product's floor is the larger of (bytes of the stored blocks) / (memory bandwidth), as it
 * reads every block once, and 2N²c flops / (the DGEMM rate measured in the same run): with c = 10
 * columns a float64 entry takes 40 flops per 8 bytes read, which on two cores is compute-bound.
 * The kernel's values do not matter for its speed, so the blocks are those of a cheap linear kernel
 * x·x' on 16 random features (what is measured is the product, not the Gram).
 *
 * <p>Each row times both routes of a block's product ({@code KernelBlock.multiplyInto}): the
 * peer, two BLAS calls per chunk of rows (GEMV for c = 1, GEMM otherwise, the second reading the
 * chunk again from cache), and the one-pass route on the Vector API ({@code BlockProducts}),
 * product by product alternately, and sets the one pass against itself alone: the same kernel on
 * every core outside Spark, over chunks of the row's precision, measured before each row.
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
        .config("spark.driver.bindAddress", "127.0.0.1")
        // Storage and execution share 80 % of the heap instead of Spark's 60 %, so that the
        // float64 Gram of N = 60000 (14.6 GB) stays in memory in 85 % of 24 GiB: with 60 % a
        // sixth of it went to disk and its products measured the disk.
        .config("spark.memory.fraction", "0.8").getOrCreate();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cores = sc.defaultParallelism();
    try {
      Triad triad = new Triad(cores);
      PassAlone alone = BlockProducts.VECTORISED ? new PassAlone(cores) : null;
      // GramBenchmark.gemmRate: the sum over threads of each one's best single-threaded DGEMM, in GFLOP/s.
      double gemm = GramBenchmark.gemmRate(GEMM_SIZE, GEMM_SIZE, false, cores) * 1e9;
      List<String> rows = new ArrayList<>();
      for (int n : sizes) {
        for (Precision p : new Precision[] {Precision.FLOAT32, Precision.FLOAT64}) {
          List<String> measured = products(sc, n, p, triad, alone, gemm);
          measured.forEach(row -> System.err.println("product benchmark: " + row));
          rows.addAll(measured);
        }
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "Memory bandwidth: triad a = b + s·c over 3 × %d MiB, %d threads, best of %d, "
          + "measured before each row's products%n", Triad.LENGTH * 8 >> 20, cores, REPEATS);
      System.out.printf(Locale.ROOT, "DGEMM (%d × %d, one single-threaded call per thread, %d threads, best of %d): "
          + "%.1f GFLOP/s%n", GEMM_SIZE, GEMM_SIZE, cores, REPEATS, gemm / 1e9);
      System.out.printf(Locale.ROOT, "Block products: BLAS (two GEMVs, or GEMMs for c > 1, per chunk of rows) "
          + "against %s, alternately, median of %d each%n", BlockProducts.describe(), REPEATS);
      System.out.printf(Locale.ROOT, "Pass alone: the one-pass kernel outside Spark on %d threads, each over %d MiB of "
          + "1024-column chunks of the row's precision, measured before each row's products%n%n",
          cores, PassAlone.BYTES >> 20);
      System.out.println("| N | blocks | c | stored bytes | s per product, BLAS | s per product, one pass | BLAS / one "
          + "pass | read GB/s (one pass) | pass alone GB/s | / pass alone | triad GB/s | / triad "
          + "| floor s = max(bytes / triad, 2N²c / DGEMM) | floor / product |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
      rows.forEach(System.out::println);
    } finally {
      spark.stop();
    }
  }

  private static List<String> products(JavaSparkContext sc, int n, Precision precision, Triad triad,
                                       PassAlone alone, double gemm) throws Exception {
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
        double bandwidth = triad.measure();
        double passAlone = alone == null ? Double.NaN : alone.measure(precision == Precision.FLOAT32, c);
        // The two routes alternately, product by product, each after one unmeasured product, so
        // that both see the same state of the machine.
        double[][] seconds = new double[2][REPEATS];
        for (int route = 0; route < 2; route++) {
          BlockProducts.preferBlas(route == 0);
          theta.apply(v, c);
        }
        for (int i = 0; i < REPEATS; i++) {
          for (int route = 0; route < 2; route++) {
            BlockProducts.preferBlas(route == 0);
            long t0 = System.nanoTime();
            theta.apply(v, c);
            seconds[route][i] = (System.nanoTime() - t0) / 1e9;
          }
        }
        BlockProducts.preferBlas(false);
        double blas = median(seconds[0]);
        double onePass = median(seconds[1]);
        double rate = theta.storedBytes() / onePass;
        // A product reads every stored block once and does 2 multiply-adds per entry and column
        // of the full Gram (Θ_IJ V_J and Θ_IJᵀ V_I for the stored upper triangle): 2N²c flops.
        double floor = Math.max(theta.storedBytes() / bandwidth, 2.0 * n * n * c / gemm);
        long[] where = theta.storageNow();
        out.add(String.format(Locale.ROOT, "| %d | %d %s | %d | %.2f GB (%.2f GB in memory, %.2f GB on disk) | %.3f "
            + "| %.3f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %.2f |", n, plan.upperTrianglePairs(),
            precision.configName(), c, theta.storedBytes() / 1e9, where[0] / 1e9, where[1] / 1e9, blas, onePass,
            blas / onePass, rate / 1e9, passAlone / 1e9, rate / passAlone, bandwidth / 1e9, rate / bandwidth, floor,
            floor / onePass));
      }
    }
    return out;
  }

  private static final int GEMM_SIZE = 2048;

  private static double median(double[] seconds) {
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Bytes per second of a[i] = b[i] + s·c[i] over 3 × 16 Mi doubles split across {@code threads}. */
  static double triadBytesPerSecond(int threads) throws Exception {
    return new Triad(threads).measure();
  }

  /**
   * The best of {@value #REPEATS} rates, after one unmeasured run, of {@code bytes} moved by
   * {@code work} run for every thread index at once.
   */
  static double bestRate(int threads, double bytes, IntConsumer work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    double best = 0;
    try {
      for (int rep = 0; rep < REPEATS + 1; rep++) {
        long t0 = System.nanoTime();
        List<Future<?>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          parts.add(pool.submit(() -> work.accept(thread)));
        }
        for (Future<?> f : parts) {
          f.get();
        }
        double rate = bytes / ((System.nanoTime() - t0) / 1e9);
        if (rep > 0) {
          best = Math.max(best, rate);
        }
      }
    } finally {
      pool.shutdown();
    }
    return best;
  }

  /**
   * The machine's own limit for the product's inner loop: {@link BlockProducts#accumulate} over
   * chunks shaped as a stored block's (32 rows of 1024 columns), on every thread at once, outside
   * Spark, in bytes of entries read per second. A product over stored blocks can at best match it;
   * what it loses against it is Spark's (the tasks, V's broadcast, the partial sums) and the tail.
   */
  static final class PassAlone {
    static final int BYTES = 64 << 20;
    private static final int ROWS = 32;
    private static final int COLS = 1024;
    private final int threads;
    private final double[][][] f64;
    private final float[][][] f32;

    PassAlone(int threads) {
      this.threads = threads;
      int chunks64 = BYTES / (ROWS * COLS * Double.BYTES);
      int chunks32 = BYTES / (ROWS * COLS * Float.BYTES);
      f64 = new double[threads][chunks64][ROWS * COLS];
      f32 = new float[threads][chunks32][ROWS * COLS];
      Random r = new Random(7);
      for (int t = 0; t < threads; t++) {
        for (double[] chunk : f64[t]) {
          Arrays.setAll(chunk, i -> r.nextDouble());
        }
        for (float[] chunk : f32[t]) {
          for (int i = 0; i < chunk.length; i++) {
            chunk[i] = r.nextFloat();
          }
        }
      }
    }

    /** Bytes per second with c columns (c passes over each chunk), the best of {@value #REPEATS}. */
    double measure(boolean float32, int c) throws Exception {
      return bestRate(threads, (double) threads * BYTES, thread -> pass(thread, float32, c));
    }

    private void pass(int thread, boolean float32, int c) {
      double[] v = new double[COLS + ROWS];
      Arrays.fill(v, 0.5);
      double[] outI = new double[ROWS];
      double[] outJ = new double[COLS];
      int chunks = float32 ? f32[thread].length : f64[thread].length;
      for (int chunk = 0; chunk < chunks; chunk++) {
        for (int k = 0; k < c; k++) {
          if (float32) {
            BlockProducts.accumulate(f32[thread][chunk], 0, ROWS, COLS, v, 0, v, COLS, outI, 0, outJ, 0);
          } else {
            BlockProducts.accumulate(f64[thread][chunk], 0, ROWS, COLS, v, 0, v, COLS, outI, 0, outJ, 0);
          }
        }
      }
    }
  }

  /**
   * A STREAM-like triad a[i] = b[i] + s·c[i] on every thread, its arrays (3 × 128 MiB, far beyond
   * any cache) allocated and touched once, so that each measurement times the memory only.
   */
  static final class Triad {
    static final int LENGTH = 1 << 24;
    private final int threads;
    private final double[] a = new double[LENGTH];
    private final double[] b = new double[LENGTH];
    private final double[] c = new double[LENGTH];

    Triad(int threads) {
      this.threads = threads;
      Arrays.fill(b, 1.0);
      Arrays.fill(c, 2.0);
    }

    /** Bytes per second, the best of {@value #REPEATS} after one unmeasured pass. */
    double measure() throws Exception {
      double best = bestRate(threads, 24.0 * LENGTH, t -> {
        int from = (int) ((long) LENGTH * t / threads);
        int to = (int) ((long) LENGTH * (t + 1) / threads);
        for (int i = from; i < to; i++) {
          a[i] = b[i] + 3.0 * c[i];
        }
      });
      if (a[LENGTH / 2] != 7.0) {
        throw new IllegalStateException("triad result " + a[LENGTH / 2]);
      }
      return best;
    }
  }
}
