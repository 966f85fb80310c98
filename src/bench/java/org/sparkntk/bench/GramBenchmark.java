package org.sparkntk.bench;

import java.util.Map;
import org.sparkntk.config.JobConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.linalg.distributed.BlockMatrix;
import org.apache.spark.mllib.linalg.distributed.IndexedRow;
import org.apache.spark.mllib.linalg.distributed.IndexedRowMatrix;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.blocks.TaskMemory;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.ModelStore;
import org.sparkntk.io.Npy;
import org.sparkntk.jacobian.ExplicitJacobian;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.kernel.Precision;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The Gram benchmark of docs/BENCHMARKS.md: one run prints one table with the machine's own
 * GEMM limit and, for each size, the structured Gram through the Spark pipeline against the
 * explicit J Jᵀ route, the PyTorch tutorial recipe and a Spark MLlib BlockMatrix J·Jᵀ, as ratios.
 *
 * <p>Network: inputs 784 → width → width → O, ReLU, NTK parameterisation; trace kernel (for
 * O = 1 it is the whole kernel). Peers that cannot hold the size are run on the largest
 * power-of-two prefix of the rows that fits their memory and time budget, and their time is
 * scaled by (N/n)², the cost of a Gram; such entries are marked "≈ … (n = …)".
 *
 * <pre>scripts/benchmark [--quick]</pre>
 */
public final class GramBenchmark {
  /** The kernel.* defaults (the float64 structured trace kernel), as a job without kernel keys has them. */
  private static final KernelSpec DEFAULT_KERNEL = JobConfig.of(Map.of()).kernelSpec();
  static final int INPUTS = 784;
  /** The analytic rows' network: 784 → 1024 → 1024 → 1, ReLU, σ_w = 1, σ_b = 0.1. */
  static final Architecture ANALYTIC = Architecture.of(INPUTS, new int[] {1024, 1024}, 1, Activation.RELU,
      Parameterization.NTK, 1.0, 0.1);
  /** Largest per-peer working set a subset run may allocate (the explicit Jacobians, etc.). */
  static final long PEER_BYTES = 3L << 30;
  /** Largest estimated time of a peer subset run at the measured DGEMM rate. */
  static final double PEER_SECONDS = 20;
  /** Structured runs whose shuffle would move more than this are skipped (they would measure the disk). */
  static final long MAX_SHUFFLE_BYTES = 16L << 30;

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final Path work;
  private final List<String[]> rows = new ArrayList<>();
  private final int cores;
  private double dgemmRate;

  GramBenchmark(SparkSession spark, Path work) {
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.work = work;
    this.cores = sc.defaultParallelism();
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    boolean analyticOnly = Arrays.asList(args).contains("--analytic");
    // the pipeline's own rows (issue targets): the structured Gram at N = 16384 without the peers
    // and float32, then the analytic rows
    boolean pipeline = Arrays.asList(args).contains("--pipeline");
    int[] sizes = quick ? new int[] {1024, 4096} : new int[] {1024, 4096, 16384};
    int[] widths = {256, 1024};
    int[] outputs = {1, 10};
    Path work = Path.of("target", "benchmark");
    Files.createDirectories(work);
    SparkSession spark = SparkSession.builder().master("local[*]").appName("spark-ntk benchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        // as the CLI's embedded run sets it (NtkMain.sessionSettings)
        .config("spark.network.maxRemoteBlockSizeFetchToMem", "2047m").getOrCreate();
    try {
      GramBenchmark b = new GramBenchmark(spark, work);
      b.warmUp();
      b.machineLimits();
      if (pipeline) {
        b.gram(16384, 1024, 1, false);
        b.gram(16384, 256, 10, false);
      } else if (!analyticOnly) {
        for (int width : widths) {
          for (int o : outputs) {
            for (int n : sizes) {
              b.gram(n, width, o, true);
            }
          }
        }
      }
      b.analytic(quick ? 4096 : 16384);
      b.print(quick);
    } finally {
      spark.stop();
    }
  }

  // ---------------------------------------------------------------- machine limits

  /** GEMM GFLOP/s of the BLAS in use at the benchmark's shapes (a 1024-row block times a width-1024 layer). */
  void machineLimits() throws InterruptedException {
    int m = 1024;
    int k = 1024;
    double single = gemmRate(m, k, false, 1);
    double all = gemmRate(m, k, false, cores);
    double sAll = gemmRate(m, k, true, cores);
    dgemmRate = all;
    String blas = Blas.get().implementation().replace("dev.ludovic.netlib.blas.", "");
    row("DGEMM 1024² × 1024, 1 thread", "", "", "", "", "", fmt(single), "", "", "", blas);
    row("DGEMM, " + cores + " concurrent (machine limit)", "", "", "", "", "", fmt(all), "100%", "", "", blas);
    row("SGEMM, " + cores + " concurrent", "", "", "", "", "", fmt(sAll), pct(sAll / all), "", "", blas);
  }

  /** Aggregate GFLOP/s of {@code threads} concurrent single-threaded GEMMs (as Spark's task slots run them). */
  static double gemmRate(int m, int k, boolean single, int threads) throws InterruptedException {
    double[] rates = new double[threads];
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(id);
        double best = 0;
        if (single) {
          float[] a = new float[m * k];
          for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble();
          }
          float[] c = new float[m * m];
          for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            Blas.get().sgemm(false, true, m, m, k, 1f, a, 0, k, a, 0, k, 0f, c, 0, m);
            best = Math.max(best, 2.0 * m * m * k / (System.nanoTime() - t0));
          }
        } else {
          double[] a = r.doubles(m * k).toArray();
          double[] c = new double[m * m];
          for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            Blas.get().gemmNT(m, m, k, 1.0, a, a, 0.0, c);
            best = Math.max(best, 2.0 * m * m * k / (System.nanoTime() - t0));
          }
        }
        rates[id] = best;
      });
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    return Arrays.stream(rates).sum();
  }

  /** One untimed small Gram of each kind, so that JIT compilation and Spark start-up are not timed. */
  void warmUp() {
    Mlp mlp = Mlp.initialise(Architecture.of(INPUTS, new int[] {256, 256}, 2, Activation.RELU, Parameterization.NTK,
        1.0, 0.1), 1);
    double[] x = inputs(512);
    double[] wide = inputs(4096);
    double[] unused = new double[1];
    for (int rep = 0; rep < 2; rep++) {
      sparkGram(Kernels.empirical(DEFAULT_KERNEL, mlp), x, 512, 128, unused);
      sparkGram(Kernels.empirical(DEFAULT_KERNEL.withRoute("structured", Precision.FLOAT32), mlp), x, 512, 128, unused);
      sparkGram(Kernels.empirical(DEFAULT_KERNEL.withRoute("jacobian", Precision.FLOAT64), mlp), x, 64, 16, unused);
      // The analytic kernels' code, the Vector API's above all, as the job has it compiled by the
      // time its Gram starts (it loads the kernel while it reads the data): 1–2 s of a cold JVM's
      // first analytic Gram at N = 16384 (docs/BENCHMARKS.md).
      sparkGram(Kernels.limit(DEFAULT_KERNEL, ANALYTIC), wide, 4096, 1024, unused);
      sparkGram(new LinearKernel(INPUTS), wide, 4096, 1024, unused);
    }
  }

  // ---------------------------------------------------------------- one size

  /** The structured Gram at N rows, and with {@code peers} its float32 run and the peers. */
  void gram(int n, int width, int o, boolean peers) throws Exception {
    Architecture arch = Architecture.of(INPUTS, new int[] {width, width}, o, Activation.RELU, Parameterization.NTK,
        1.0, 0.1);
    Mlp mlp = Mlp.initialise(arch, 42);
    double[] x = inputs(n);
    BlockKernel<?> structured = Kernels.empirical(DEFAULT_KERNEL, mlp);
    int blockSize = blockSize(structured, n);
    SparkGram.Cost cost = SparkGram.cost(new BlockPlan(n, blockSize), new BlockPlan(n, blockSize), true, structured,
        cores, TaskMemory.budgetBytes(sc), SparkGram.taskResultBytes(sc.getConf()));
    boolean inDriver = SparkGram.preparedInDriver(sc, new BlockPlan(n, blockSize), new BlockPlan(n, blockSize), true,
        structured);
    if (!inDriver && cost.shuffleBytes() > MAX_SHUFFLE_BYTES) {
      row("structured Gram (Spark, float64)", str(n), str(width), str(o), str(arch.parameterCount()), "skipped", "",
          "", "", "", String.format(Locale.ROOT, "its shuffle would move %.0f GiB on one disk",
              cost.shuffleBytes() / (double) (1L << 30)));
      return;
    }

    // This machine's speed drifts over minutes (a shared VM): measure the limit right before each run.
    double limit = gemmRate(Math.min(blockSize, 1024), width, false, cores);
    resetPeaks();
    double[] time = new double[1];
    GramMatrix g64 = sparkGram(structured, x, n, blockSize, time);
    double seconds = time[0];
    String driverPeak = heapPeaks();
    double flops = 2 * upperTriangleMultiplyAdds(structured, new BlockPlan(n, blockSize));
    // Without a shuffle a task holds its output block and the kernel's two work arrays of that
    // size; the prepared blocks are shared (in the driver's heap, so in its peak).
    long taskBytes = inDriver ? 3L * 8 * blockSize * blockSize : cost.taskBytes();
    row("structured Gram (Spark, float64)", str(n), str(width), str(o), str(arch.parameterCount()), fmtS(seconds),
        fmt(flops / seconds / 1e9), pct(flops / seconds / 1e9 / limit), "1", driverPeak + " / " + mib(taskBytes),
        String.format(Locale.ROOT, "DGEMM just before: %.1f GFLOP/s; block %d, %s", limit, blockSize, inDriver
            ? String.format(Locale.ROOT, "factors prepared once in the driver's JVM (%.2f GiB), no shuffle",
                structured.preparedBytes(n) / (double) (1L << 30))
            : String.format(Locale.ROOT, "%d tasks, shuffle %.2f GiB", cost.tasks(),
                cost.shuffleBytes() / (double) (1L << 30))));
    if (!peers) {
      return;
    }

    BlockKernel<?> s32 = Kernels.empirical(DEFAULT_KERNEL.withRoute("structured", Precision.FLOAT32), mlp);
    double sLimit = gemmRate(Math.min(blockSize, 1024), width, true, cores);
    GramMatrix g32 = sparkGram(s32, x, n, blockSize, time);
    double err = Matrices.maxRelativeDifference(g32.data(), g64.data());
    row("structured Gram (Spark, float32)", str(n), str(width), str(o), "", fmtS(time[0]),
        fmt(flops / time[0] / 1e9), pct(flops / time[0] / 1e9 / sLimit) + " of SGEMM", ratio(time[0], seconds), "",
        String.format(Locale.ROOT, "SGEMM just before: %.1f GFLOP/s; max rel. error vs float64 %.1e", sLimit, err));
    g32 = null;

    explicitPeer(mlp, x, n, seconds, g64);
    torchPeer(mlp, x, n, seconds, g64);
    if (o == 1) {
      blockMatrixPeer(mlp, x, n, seconds, g64);
    }
  }

  /**
   * The Gram of the first n rows of x through SparkGram, with the seconds it took in
   * {@code seconds[0]}: timed from row blocks already persisted on the executors, as a job's row
   * blocks are when its Gram starts (RowBlocks persists them and the job's labels read them
   * first), to the dense array on the driver. The rows reach the executors as a broadcast.
   */
  private GramMatrix sparkGram(BlockKernel<?> kernel, double[] x, int n, int blockSize, double[] seconds) {
    BlockPlan plan = new BlockPlan(n, blockSize);
    Broadcast<double[]> rows = sc.broadcast(x);
    List<Integer> ids = new ArrayList<>();
    for (int b = 0; b < plan.blockCount(); b++) {
      ids.add(b);
    }
    JavaRDD<RowBlock> rdd = sc.parallelize(ids, Math.min(ids.size(), 4 * cores)).map(b -> {
      int start = (int) plan.start(b);
      int count = plan.rows(b);
      return new RowBlock(b, start, count, Arrays.copyOfRange(rows.value(), start * INPUTS, (start + count) * INPUTS),
          new double[0]);
    }).persist(StorageLevel.MEMORY_ONLY());
    rdd.count();
    try {
      long t0 = System.nanoTime();
      GramMatrix gram = SparkGram.symmetric(sc, rdd, plan, kernel, "benchmark Gram");
      seconds[0] = (System.nanoTime() - t0) / 1e9;
      return gram;
    } finally {
      rdd.unpersist(true);
      rows.destroy();
    }
  }

  /** Multiply-adds of the blocks (I ≤ J) the symmetric Gram computes; a flop is half a multiply-add. */
  static double upperTriangleMultiplyAdds(BlockKernel<?> kernel, BlockPlan plan) {
    double total = 0;
    for (int i = 0; i < plan.blockCount(); i++) {
      for (int j = i; j < plan.blockCount(); j++) {
        total += kernel.blockFlops(plan.rows(i), plan.rows(j));
      }
    }
    return total;
  }

  /** The job's own automatic block size (BlockPlan.autoBlockSize), so the benchmark measures what the job runs. */
  int blockSize(BlockKernel<?> kernel, int n) {
    return BlockPlan.autoBlockSize(kernel, n, cores, TaskMemory.budgetBytes(sc));
  }


  /** Rows of a peer run: all N, or the largest power of two that fits its memory and time budget. */
  private int subset(int n, long bytesPerRow, double flopsPerPair) {
    int s = n;
    while (s > 16 && (bytesPerRow * s > PEER_BYTES || flopsPerPair * s * s / 2 / (dgemmRate * 1e9) > PEER_SECONDS)) {
      s /= 2;
    }
    return s;
  }

  private void explicitPeer(Mlp mlp, double[] x, int n, double structuredSeconds, GramMatrix reference) {
    Architecture arch = mlp.architecture();
    long perRow = 8L * arch.outputs() * arch.parameterCount();
    int s = subset(n, perRow * 3, 2.0 * arch.outputs() * arch.parameterCount());
    BlockKernel<?> explicit = Kernels.empirical(DEFAULT_KERNEL.withRoute("jacobian", Precision.FLOAT64), mlp);
    int bs = Math.max(16, Math.min(blockSize(explicit, s), (int) Math.max(1, (256L << 20) / perRow)));
    double[] time = new double[1];
    double[] half = new double[1];
    if (s < n) {
      sparkGram(explicit, Arrays.copyOf(x, s / 2 * INPUTS), s / 2, Math.min(bs, s / 2), half);
    }
    GramMatrix g = sparkGram(explicit, Arrays.copyOf(x, s * INPUTS), s, bs, time);
    double scaled = extrapolate(half[0], time[0], s, n);
    double err = Matrices.maxRelativeDifference(g.data(), prefix(reference, s));
    row("explicit J Jᵀ (Spark, float64)", str(n), str(arch.width(1)), str(arch.outputs()), "",
        approx(scaled, s, n), "", "", ratio(scaled, structuredSeconds), "",
        String.format(Locale.ROOT, "block %d; agrees to %.0e", bs, err));
  }

  private void torchPeer(Mlp mlp, double[] x, int n, double structuredSeconds, GramMatrix reference) throws Exception {
    Architecture arch = mlp.architecture();
    String label = "PyTorch vmap(jacrev)+einsum";
    Path python = Path.of("/usr/bin/python3");
    Path script = Path.of("scripts", "bench", "torch_ntk.py");
    if (!Files.isExecutable(python) || !Files.exists(script)) {
      row(label, str(n), str(arch.width(1)), str(arch.outputs()), "", "n/a", "", "", "", "", "no /usr/bin/python3");
      return;
    }
    long perRow = 8L * arch.outputs() * arch.parameterCount();
    int s = subset(n, perRow * 3, 2.0 * arch.outputs() * arch.parameterCount() * 3);
    Path dir = work.resolve("torch-model");
    ModelStore.save(mlp, dir);
    JsonNode json = runTorch(python, script, dir, x, s, reference);
    JsonNode halfJson = s < n && json != null && json.path("ok").asBoolean()
        ? runTorch(python, script, dir, x, s / 2, reference) : null;
    if (json == null || !json.path("ok").asBoolean()) {
      String why = json == null ? "failed or timed out, see target/benchmark/torch.log" : json.path("error").asText();
      row(label, str(n), str(arch.width(1)), str(arch.outputs()), "", "failed", "", "", "", "", why + " (n = " + s + ")");
      return;
    }
    double halfSeconds = halfJson != null && halfJson.path("ok").asBoolean() ? halfJson.path("seconds").asDouble() : 0;
    double scaled = extrapolate(halfSeconds, json.path("seconds").asDouble(), s, n);
    row(label, str(n), str(arch.width(1)), str(arch.outputs()), "", approx(scaled, s, n), "", "",
        ratio(scaled, structuredSeconds), mib(json.path("peak_rss_bytes").asLong()),
        "torch " + json.path("torch").asText() + (json.path("agrees").asBoolean() ? ", agrees ≤ 1e-10" : ", DISAGREES"));
  }

  /** Runs the PyTorch recipe on the first s rows; null when it failed or timed out. */
  private JsonNode runTorch(Path python, Path script, Path dir, double[] x, int s, GramMatrix reference)
      throws Exception {
    Path xFile = work.resolve("torch-x.npy");
    Npy.write(xFile, Arrays.copyOf(x, s * INPUTS), s, INPUTS);
    Path gramFile = work.resolve("torch-ref.npy");
    Npy.write(gramFile, prefix(reference, s), s, s);
    Path result = work.resolve("torch-result.json");
    Files.deleteIfExists(result);
    Process p = new ProcessBuilder(python.toString(), script.toString(), dir.toString(), xFile.toString(),
        "--outputs", "trace", "--dtype", "float64", "--threads", str(cores), "--out", result.toString(),
        "--check", gramFile.toString()).redirectErrorStream(true).redirectOutput(work.resolve("torch.log").toFile())
        .start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return null;
    }
    if (!Files.exists(result)) {
      return null;
    }
    ObjectNode json =
        (ObjectNode) new ObjectMapper().readTree(result.toFile());
    json.put("agrees", p.exitValue() == 0);
    return json;
  }

  private void blockMatrixPeer(Mlp mlp, double[] x, int n, double structuredSeconds, GramMatrix reference) {
    Architecture arch = mlp.architecture();
    int p = Math.toIntExact(arch.parameterCount());
    // Explicit J as an IndexedRowMatrix, then BlockMatrix J · Jᵀ: MLlib's own distributed product.
    int s = subset(n, 8L * p * 4, 2.0 * p * 2);
    double[] time = new double[1];
    double[] half = new double[1];
    if (s < n) {
      timed(half, () -> blockMatrixGram(mlp, x, s / 2, p));
    }
    double[] gram = timed(time, () -> blockMatrixGram(mlp, x, s, p));
    double scaled = extrapolate(half[0], time[0], s, n);
    double err = Matrices.maxRelativeDifference(gram, prefix(reference, s));
    row("Spark MLlib BlockMatrix J·Jᵀ", str(n), str(arch.width(1)), str(arch.outputs()), "", approx(scaled, s, n),
        "", "", ratio(scaled, structuredSeconds), "", String.format(Locale.ROOT, "agrees to %.0e", err));
  }

  private double[] blockMatrixGram(Mlp mlp, double[] x, int s, int p) {
    {
      double[] j = ExplicitJacobian.of(mlp.factors(Arrays.copyOf(x, s * INPUTS), s));
      List<IndexedRow> rowsList = new ArrayList<>();
      for (int i = 0; i < s; i++) {
        rowsList.add(new IndexedRow(i, Vectors.dense(Arrays.copyOfRange(j, i * p, (i + 1) * p))));
      }
      BlockMatrix jm = new IndexedRowMatrix(sc.parallelize(rowsList, 4 * cores).rdd())
          .toBlockMatrix(Math.max(1, s / 4), 1 << 15).cache();
      Matrix local = jm.multiply(jm.transpose()).toLocalMatrix();
      return local.toArray(); // column-major; symmetric, so the same as row-major
    }
  }

  /**
   * The time of a Gram of n rows from runs on s/2 and s rows, fitting t = a + c·rows²: a absorbs
   * the fixed costs (job start-up, JIT), c the per-entry cost. One run (half = 0) scales t by (n/s)².
   */
  static double extrapolate(double half, double full, int s, int n) {
    if (s >= n) {
      return full;
    }
    double c = (full - half) / ((double) s * s - (double) s * s / 4);
    if (half <= 0 || c <= 0) {
      return full * Math.pow((double) n / s, 2);
    }
    return full - c * s * s + c * n * n;
  }

  // ---------------------------------------------------------------- the analytic kernel

  /**
   * Θ(x, x') = xᵀx' by blocks over {@code features} columns: the first GEMM of the analytic recursion
   * alone, through the same pipeline (and the cheap blocks of the product benchmark).
   */
  record LinearKernel(int features) implements BlockKernel<double[]> {
    @Override
    public double[] prepare(double[] x, int rows) {
      return x;
    }

    @Override
    public int rows(double[] prepared) {
      return prepared.length / features;
    }

    @Override
    public int rowsPerExample() {
      return 1;
    }

    @Override
    public double[] block(double[] left, double[] right) {
      int m = left.length / features;
      int n = right.length / features;
      double[] out = new double[m * n];
      Blas.get().gemmNT(m, n, features, 1.0, left, right, 0.0, out);
      return out;
    }

    @Override
    public long preparedBytes(int rows) {
      return 8L * rows * features;
    }

    @Override
    public double blockFlops(int leftRows, int rightRows) {
      return (double) leftRows * rightRows * features;
    }

    @Override
    public String describe() {
      return "X Xᵀ";
    }
  }

  /**
   * The analytic ReLU NTK of 784 → · → · → 1 (3 layers) on N rows against the X Xᵀ GEMM alone on
   * the same rows and the same pipeline: the elementwise recursion (one arccos per entry and hidden
   * layer) is the difference.
   */
  void analytic(int n) throws InterruptedException {
    Architecture arch = ANALYTIC;
    double[] x = inputs(n);
    int blockSize = 1024;
    double[] time = new double[1];
    LinearKernel linear = new LinearKernel(INPUTS);
    double limit = gemmRate(blockSize, INPUTS, false, cores);
    sparkGram(linear, x, n, blockSize, time);
    double gemmSeconds = time[0];
    double flops = 2 * upperTriangleMultiplyAdds(linear, new BlockPlan(n, blockSize));
    row("X Xᵀ GEMM alone (Spark)", str(n), "", "", "", fmtS(gemmSeconds), fmt(flops / gemmSeconds / 1e9),
        pct(flops / gemmSeconds / 1e9 / limit), "", "", String.format(Locale.ROOT, "%d features; DGEMM just before: "
            + "%.1f GFLOP/s", INPUTS, limit));
    BlockKernel<?> kernel = Kernels.limit(DEFAULT_KERNEL, arch);
    // The yardstick: the GEMM of the same flops at the DGEMM rate measured just before.
    double bareGemm = flops / (limit * 1e9);
    // Twice: the JVM's first Gram of this size still runs code the JIT compiles meanwhile (the
    // scalar recursion's fallbacks, which the small warm-up Grams hardly reach); the second is the
    // steady state, as the GEMM rates are.
    for (String run : new String[] {"first", "again"}) {
      resetPeaks();
      GramMatrix gram = sparkGram(kernel, x, n, blockSize, time);
      String driverPeak = heapPeaks();
      row("analytic NTK, relu, 3 layers (Spark), " + run, str(n), "∞", "1", "", fmtS(time[0]), "", "",
          ratio(time[0], gemmSeconds) + " of X Xᵀ", driverPeak + " / Gram " + mib(8L * gram.data().length),
          String.format(Locale.ROOT, "closed-form arc-cosine recursion, float64; %.1f× the bare GEMM time of its "
              + "X Xᵀ flops (%.2f s)", time[0] / bareGemm, bareGemm));
    }
  }

  // ---------------------------------------------------------------- helpers

  static double[] inputs(int n) {
    SplittableRandom r = new SplittableRandom(7);
    double[] x = new double[n * INPUTS];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble(-1, 1);
    }
    return x;
  }

  static double[] prefix(GramMatrix g, int s) {
    double[] out = new double[s * s];
    for (int i = 0; i < s; i++) {
      System.arraycopy(g.data(), i * g.cols(), out, i * s, s);
    }
    return out;
  }

  private static <T> T timed(double[] seconds, Supplier<T> work) {
    long t0 = System.nanoTime();
    T result = work.get();
    seconds[0] = (System.nanoTime() - t0) / 1e9;
    return result;
  }

  private static void resetPeaks() {
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    LiveHeap.reset();
  }

  /**
   * The driver JVM's heap peaks since {@link #resetPeaks}: "live", the largest heap in use after a
   * collection (what the JVM had to keep; a young collection's figure still counts old garbage,
   * so it is an upper bound), and "used", the sum of the heap pools' peaks, which also counts
   * garbage not yet collected and grows with the heap the JVM is allowed. Call it while the result
   * is still referenced: a last full collection then counts it.
   */
  private static String heapPeaks() {
    System.gc();
    try {
      // GC notifications arrive on their own thread
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long used = ManagementFactory.getMemoryPoolMXBeans().stream().filter(b -> b.getType() == MemoryType.HEAP)
        .mapToLong(b -> b.getPeakUsage().getUsed()).sum();
    return "live " + mib(LiveHeap.peak()) + ", used " + mib(used);
  }

  /** The largest heap in use after a collection, from the collectors' notifications. */
  static final class LiveHeap {
    private static final java.util.concurrent.atomic.AtomicLong PEAK = new java.util.concurrent.atomic.AtomicLong();

    static {
      for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((javax.management.NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
          if (notification.getType().equals(
              com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
            var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                (javax.management.openmbean.CompositeData) notification.getUserData());
            long after = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
              var usage = info.getGcInfo().getMemoryUsageAfterGc().get(pool.getName());
              if (pool.getType() == MemoryType.HEAP && usage != null) {
                after += usage.getUsed();
              }
            }
            PEAK.accumulateAndGet(after, Math::max);
          }
        }, null, null);
      }
    }

    static void reset() {
      PEAK.set(0);
    }

    static long peak() {
      return PEAK.get();
    }
  }

  private void row(String... cells) {
    rows.add(cells);
    System.err.println("| " + String.join(" | ", cells) + " |");
  }

  private void print(boolean quick) {
    System.out.println();
    System.out.println("spark-ntk Gram benchmark, " + LocalDate.now() + ", " + cores + " cores, Spark " + spark.version()
        + ", BLAS " + Blas.get().implementation() + (quick ? " (--quick)" : ""));
    System.out.println();
    System.out.println("| measurement | N | width | O | P | seconds | GFLOP/s | % of DGEMM | time ÷ structured "
        + "| peak memory (driver JVM / task) | notes |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for (String[] r : rows) {
      System.out.println("| " + String.join(" | ", r) + " |");
    }
  }

  static String str(long v) {
    return Long.toString(v);
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String fmtS(double v) {
    return String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
  }

  static String pct(double v) {
    return String.format(Locale.ROOT, "%.0f%%", 100 * v);
  }

  static String ratio(double a, double b) {
    return String.format(Locale.ROOT, a / b >= 10 ? "%.0f×" : "%.2f×", a / b);
  }

  static String approx(double seconds, int measured, int n) {
    return measured == n ? fmtS(seconds) : "≈ " + fmtS(seconds) + " (n = " + measured + ")";
  }

  static String mib(long bytes) {
    return bytes <= 0 ? "" : (bytes >> 20) + " MiB";
  }

}
