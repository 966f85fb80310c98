package org.sparkntk.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.blocks.DistributedGram;
import org.sparkntk.blocks.DistributedKernel;
import org.sparkntk.blocks.MatrixFreeKernel;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.Plots;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The matrix-free benchmark of docs/BENCHMARKS.md: one run prints one table of the empirical NTK's
 * product Θ·v (one column, the product of a Lanczos or gradient step) by its two routes on the
 * distributed backend, for the Fashion-MNIST network 784 → 512 → 512 → 10 (ReLU, NTK
 * parameterisation, trace outputs):
 * <ul>
 *   <li>stored: the Gram's upper-triangle blocks computed once by the structured route and kept in
 *       executor memory in float32 (kernel.cache = memory, kernel.precision = float32); a product
 *       reads every block once;</li>
 *   <li>matrix-free (kernel.cache = none): Θ v = J(Jᵀ v) by per-block vector–Jacobian and
 *       Jacobian–vector products, nothing stored.</li>
 * </ul>
 * Beside them: the time to build the stored Gram (what every product costs when the blocks are
 * recomputed instead of stored), the machine's DGEMM rate and memory bandwidth measured in the
 * same run, and each route's floor. The crossovers come from fits t = a·N (matrix-free) and
 * t = b·N² (stored product, Gram build) to the measured rows. The stored route runs up to
 * {@code --stored-max} rows (its float32 Gram is 2N² bytes); a figure of time against N goes to
 * {@code --plot}.
 *
 * <pre>scripts/benchmark --matrix-free [--stored-max N] [--plot file.png] [N …]</pre>
 */
public final class MatrixFreeBenchmark {
  private static final int INPUTS = 784;
  private static final int[] HIDDEN = {512, 512};
  private static final int OUTPUTS = 10;
  private static final int BLOCK_ROWS = 1024;
  private static final int REPEATS = 3;
  private static final int GEMM_SIZE = 2048;

  private MatrixFreeBenchmark() {}

  /** One measured size: seconds per product by each route (NaN when not run), build seconds. */
  private record Measured(int n, double free, double stored, double build, double agreement, long storedBytes) {}

  public static void main(String[] args) throws Exception {
    int storedMax = 40000;
    Path plot = Path.of("target/matrix-free-products.png");
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--stored-max" -> storedMax = Integer.parseInt(args[++i]);
        case "--plot" -> plot = Path.of(args[++i]);
        default -> sizes.add(Integer.parseInt(args[i]));
      }
    }
    if (sizes.isEmpty()) {
      sizes = List.of(5000, 10000, 20000, 40000, 100000);
    }
    SparkSession spark = SparkSession.builder().master("local[*]").appName("spark-ntk matrix-free benchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cores = sc.defaultParallelism();
    Architecture arch = Architecture.of(INPUTS, HIDDEN, OUTPUTS, Activation.RELU, Parameterization.NTK,
        Math.sqrt(2), 0.0);
    Mlp mlp = Mlp.initialise(arch, 1);
    try {
      double triad = ProductBenchmark.triadBytesPerSecond(cores);
      // GramBenchmark.gemmRate: the sum over threads of each one's best single-threaded DGEMM, in GFLOP/s.
      double gemm = GramBenchmark.gemmRate(GEMM_SIZE, GEMM_SIZE, false, cores) * 1e9;
      measure(sc, mlp, BLOCK_ROWS, true); // warm-up: the JIT compiles both routes' code
      List<Measured> measured = new ArrayList<>();
      for (int n : sizes) {
        Measured m = measure(sc, mlp, n, n <= storedMax);
        System.err.println("matrix-free benchmark: " + m);
        measured.add(m);
      }
      double[] fits = print(arch, cores, triad, gemm, measured);
      plot(measured, fits, plot);
    } finally {
      spark.stop();
    }
  }

  private static Measured measure(JavaSparkContext sc, Mlp mlp, int n, boolean stored) {
    Random r = new Random(n);
    BlockPlan plan = new BlockPlan(n, BLOCK_ROWS);
    List<RowBlock> blocks = new ArrayList<>();
    for (int b = 0; b < plan.blockCount(); b++) {
      int rows = plan.rows(b);
      double[] x = new double[rows * INPUTS];
      for (int i = 0; i < x.length; i++) {
        x[i] = r.nextGaussian(); // standardised pixels: the kernel's values do not change its speed
      }
      blocks.add(new RowBlock(b, plan.start(b), rows, x, new double[0]));
    }
    JavaRDD<RowBlock> rdd = sc.parallelize(blocks, blocks.size()).cache();
    rdd.count();
    double[] v = r.doubles(n, -1, 1).toArray();
    MatrixFreeKernel free = new MatrixFreeKernel(sc, rdd, plan, rdd, plan,
        new JacobianProducts(mlp, KernelOutputs.TRACE), "matrix-free N = " + n);
    double[][] freeResult = new double[1][];
    // the first product is timed too (the JIT is warm from the run's first, small size)
    double freeSeconds = median(() -> seconds(() -> freeResult[0] = free.apply(v, 1)));
    double storedSeconds = Double.NaN;
    double buildSeconds = Double.NaN;
    double agreement = Double.NaN;
    long storedBytes = 0;
    if (stored) {
      long t0 = System.nanoTime();
      try (DistributedKernel theta = DistributedGram.distributed(sc, rdd, plan, null, plan,
          new StructuredNtk(mlp, KernelOutputs.TRACE, Precision.FLOAT32), Precision.FLOAT32,
          DistributedKernel.Cache.MEMORY, "stored Gram N = " + n)) {
        buildSeconds = (System.nanoTime() - t0) / 1e9;
        storedBytes = theta.storedBytes();
        // float32 factors and storage: the two routes agree to float32 rounding, not more
        agreement = Matrices.maxRelativeDifference(theta.apply(v, 1), freeResult[0]);
        storedSeconds = median(() -> seconds(() -> theta.apply(v, 1)));
      }
    }
    rdd.unpersist();
    return new Measured(n, freeSeconds, storedSeconds, buildSeconds, agreement, storedBytes);
  }

  private static double seconds(Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double median(DoubleSupplier run) {
    double[] s = new double[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      s[i] = run.getAsDouble();
    }
    Arrays.sort(s);
    return s[REPEATS / 2];
  }

  /**
   * Flops of one matrix-free product with one column on n rows, from {@link Mlp#vjp} and
   * {@link Mlp#jvp}: two forward passes (2W each per row, W = Σ_l n_l n_{l+1} weights), and per
   * pass (O for trace outputs) a backward pass (the weight gradient 2W, the back-propagated error
   * 2(W − n_0 n_1)) and a forward-mode pass (2W for the tangent weights, 2(W − n_0 n_1) for the
   * tangent activations). Bias and elementwise terms are O(width) and left out.
   */
  static double freeFlops(Architecture arch, long n) {
    double w = 0;
    for (int l = 0; l < arch.depth(); l++) {
      w += (double) arch.width(l) * arch.width(l + 1);
    }
    double inner = w - (double) arch.width(0) * arch.width(1);
    return n * (4 * w + OUTPUTS * 2 * (2 * w + 2 * inner));
  }

  private static double[] print(Architecture arch, int cores, double triad, double gemm, List<Measured> rows) {
    System.out.println();
    System.out.printf(Locale.ROOT, "Network %s, P = %d, trace outputs (O = %d passes per column), blocks of %d "
        + "rows, one column%n", arch, arch.parameterCount(), OUTPUTS, BLOCK_ROWS);
    System.out.printf(Locale.ROOT, "Memory bandwidth (triad a = b + s·c, %d threads, best of 5): %.2f GB/s%n",
        cores, triad / 1e9);
    System.out.printf(Locale.ROOT, "DGEMM (%d × %d, one single-threaded call per thread, %d threads, best of 5): "
        + "%.1f GFLOP/s%n%n", GEMM_SIZE, GEMM_SIZE, cores, gemm / 1e9);
    System.out.println("| N | matrix-free s per product (median of " + REPEATS + ") | its GFLOP/s | / DGEMM "
        + "| stored float32 Gram | Gram build s | stored s per product | stored floor s = max(bytes / triad, "
        + "2N² / DGEMM) | floor / stored | matrix-free / stored | stored vs matrix-free, max rel. diff |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (Measured m : rows) {
      double flops = freeFlops(arch, m.n());
      String stored = "not run";
      String build = "";
      String product = "";
      String floor = "";
      String floorRatio = "";
      String ratio = "";
      String agreement = "";
      if (!Double.isNaN(m.stored())) {
        double storedFloor = Math.max(m.storedBytes() / triad, 2.0 * m.n() * m.n() / gemm);
        stored = String.format(Locale.ROOT, "%.2f GB", m.storedBytes() / 1e9);
        build = String.format(Locale.ROOT, "%.1f", m.build());
        product = String.format(Locale.ROOT, "%.3f", m.stored());
        floor = String.format(Locale.ROOT, "%.3f", storedFloor);
        floorRatio = String.format(Locale.ROOT, "%.2f", storedFloor / m.stored());
        ratio = String.format(Locale.ROOT, "%.1f", m.free() / m.stored());
        agreement = String.format(Locale.ROOT, "%.1e", m.agreement());
      }
      System.out.printf(Locale.ROOT, "| %d | %.2f | %.1f | %.2f | %s | %s | %s | %s | %s | %s | %s |%n", m.n(),
          m.free(), flops / m.free() / 1e9, flops / m.free() / gemm, stored, build, product, floor, floorRatio,
          ratio, agreement);
    }
    double a = fitThroughOrigin(rows, Measured::free, 1);
    double b = fitThroughOrigin(rows, Measured::stored, 2);
    double g = fitThroughOrigin(rows, Measured::build, 2);
    System.out.println();
    System.out.printf(Locale.ROOT, "Fits: matrix-free %.3g·N s, stored product %.3g·N² s, Gram build %.3g·N² s%n",
        a, b, g);
    System.out.printf(Locale.ROOT, "Matrix-free is faster per product than the stored Gram above N ≈ %,.0f, and "
        + "faster than recomputing the blocks per product (the Gram build) above N ≈ %,.0f.%n", a / b, a / g);
    for (int products : new int[] {25, 100, 1000}) {
      // build + I stored products = I matrix-free products: g N² + I b N² = I a N
      System.out.printf(Locale.ROOT, "A solve of %d products (Gram build included) is faster matrix-free above "
          + "N ≈ %,.0f.%n", products, products * a / (g + products * b));
    }
    return new double[] {a, b, g};
  }

  /** Least squares of t = c·N^power over the rows where t was measured. */
  private static double fitThroughOrigin(List<Measured> rows, ToDoubleFunction<Measured> t,
                                         int power) {
    double num = 0;
    double den = 0;
    for (Measured m : rows) {
      double y = t.applyAsDouble(m);
      if (!Double.isNaN(y)) {
        double x = Math.pow(m.n(), power);
        num += x * y;
        den += x * x;
      }
    }
    return num / den;
  }

  /**
   * Time against N on log axes: the measured points and the fitted lines, drawn out to 10⁶ rows so
   * that the crossovers show (the stored lines past the sizes run here are the model, not a
   * measurement: a float32 Gram of 10⁶ rows is 2 TB).
   */
  private static void plot(List<Measured> rows, double[] fits, Path file) throws Exception {
    String[] names = {"matrix-free product", "stored float32 product", "Gram build (a product recomputing blocks)"};
    List<ToDoubleFunction<Measured>> times = List.of(Measured::free, Measured::stored, Measured::build);
    int[] powers = {1, 2, 2};
    double lo = rows.stream().mapToDouble(Measured::n).min().orElse(1);
    double[] n = new double[33];
    for (int i = 0; i < n.length; i++) {
      n[i] = lo * Math.pow(1e6 / lo, i / (n.length - 1.0));
    }
    List<Plots.Series> series = new ArrayList<>();
    for (int s = 0; s < names.length; s++) {
      int power = powers[s];
      double c = fits[s];
      series.add(new Plots.Series(names[s] + " (measured)", column(rows, times.get(s), true),
          column(rows, times.get(s), false), false, s));
      series.add(new Plots.Series(String.format(Locale.ROOT, "fit %.3g·N%s", c, power == 2 ? "²" : ""), n,
          Arrays.stream(n).map(x -> c * Math.pow(x, power)).toArray(), true, s));
    }
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Plots.xy("Empirical NTK product Θ·v, 784 → 512 → 512 → 10, trace outputs, one column", "training rows N",
        "seconds", true, series.toArray(new Plots.Series[0])).write(file);
    System.out.println();
    System.out.println("Figure: " + file);
  }

  /** The N (or the times) of the rows where {@code t} was measured. */
  private static double[] column(List<Measured> rows, ToDoubleFunction<Measured> t, boolean sizes) {
    return rows.stream().filter(m -> !Double.isNaN(t.applyAsDouble(m)))
        .mapToDouble(m -> sizes ? m.n() : t.applyAsDouble(m)).toArray();
  }
}
