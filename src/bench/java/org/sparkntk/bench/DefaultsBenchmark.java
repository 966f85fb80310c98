package org.sparkntk.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.IdxFiles;
import org.sparkntk.io.Plots;
import org.sparkntk.linalg.Blas;
import org.sparkntk.ml.NtkClassifier;
import org.sparkntk.model.Mlp;
import org.sparkntk.pipeline.NtkJob;
import org.sparkntk.pipeline.NtkRun;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.Loss;

/**
 * The measurement behind the ML estimators' defaults (docs/EXPERIMENTS.md, "Fashion-MNIST"): test accuracy
 * on the 10,000 Fashion-MNIST test images of kernel regression on one-hot targets, for the first N
 * training images (N = 3000 and 10000 by default), the full 28×28 pixels in [0, 1] as
 * {@link IdxFiles} reads them (no standardisation, as a new user's VectorAssembler gives them).
 *
 * <p>For each kernel (the analytic infinite-width NTK, and the empirical NTK of the network of
 * model.seed = 0; a 784 → 512 → 512 → 10 ReLU network in the ntk parameterisation) the training
 * Gram and the cross kernel are computed once by {@code NtkJob.run}, and then solved with
 * the dense solvers ({@code FitContext.dense}) for f_0 = the network's outputs and f_0 = 0, for ridges ρ = r · tr(Θ)/N
 * (neural-tangents' relative diag_reg) over a range of r; for the first variant with f_0 = 0 at
 * N ≤ 3000 also by 1000 kernel gradient-descent steps at the automatic step size (mse, and the
 * softmax cross-entropy; minutes each on the driver), predicting the test rows from the final dual
 * coefficients. Prints one markdown table on stdout (the one in docs/EXPERIMENTS.md).
 *
 * <p>{@code --cell} runs instead the notebook cell of docs/ML-API.md (the default analytic classifier, 3000
 * training images) through the Spark ML pipeline and prints its accuracy.
 *
 * <p>{@code --plot F} also draws the test error (1 − accuracy) against r for the default network's two
 * kernels, per N and f_0, to the PNG file F.
 *
 * <pre>scripts/defaults-benchmark [--plot F] [N …]
 * scripts/defaults-benchmark --cell</pre>
 */
public final class DefaultsBenchmark {
  static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");
  static final int TEST = 10_000;
  static final int CLASSES = 10;
  static final double[] RELATIVE_RIDGES = {1e-4, 1e-3, 1e-2, 1e-1};
  static final int STEPS = 1000;
  /**
   * Above this N: no step solvers, only the default architecture's two kernels and the ridges
   * r ≥ LARGE_N_MIN_RIDGE (a Cholesky of order 10⁴ takes about a minute on a shared core).
   */
  static final int MAX_STEPS_N = 3000;
  static final double LARGE_N_MIN_RIDGE = 1e-3;
  static final List<String> LARGE_N_VARIANTS = List.of("analytic, σ_w = 1, σ_b = 0.1",
      "empirical, σ_w = 1, σ_b = 0.1");

  private DefaultsBenchmark() {}

  /** One architecture/kernel to measure: a label and the job settings it adds to the common ones. */
  record Variant(String label, Map<String, String> settings) {}

  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().master("local[*]").appName("spark-ntk defaults benchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    if (args.length == 1 && args[0].equals("--cell")) {
      try {
        readmeCell(spark);
      } finally {
        spark.stop();
      }
      return;
    }
    Path plot = null;
    List<Integer> sizeList = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--plot")) {
        plot = Path.of(args[++i]);
      } else {
        sizeList.add(Integer.parseInt(args[i]));
      }
    }
    int[] sizes = sizeList.isEmpty() ? new int[] {3000, 10_000} : sizeList.stream().mapToInt(i -> i).toArray();
    // test error against r of the default network's two kernels, per N and f_0, for the figure
    List<Plots.Series> curves = new ArrayList<>();
    List<Variant> variants = List.of(
        new Variant("analytic, σ_w = 1, σ_b = 0.1", Map.of("kernel.type", "analytic")),
        new Variant("analytic, σ_w = √2, σ_b = 0", Map.of("kernel.type", "analytic",
            "model.sigmaW", Double.toString(Math.sqrt(2)), "model.sigmaB", "0")),
        new Variant("analytic, σ_w = √2, σ_b = 0.1", Map.of("kernel.type", "analytic",
            "model.sigmaW", Double.toString(Math.sqrt(2)), "model.sigmaB", "0.1")),
        new Variant("empirical, σ_w = 1, σ_b = 0.1", Map.of("kernel.type", "empirical")),
        new Variant("empirical, σ_w = √2, σ_b = 0", Map.of("kernel.type", "empirical",
            "model.sigmaW", Double.toString(Math.sqrt(2)), "model.sigmaB", "0")));
    List<String> table = new ArrayList<>();
    StringBuilder header = new StringBuilder("| N | kernel | f_0 |");
    StringBuilder rule = new StringBuilder("|---|---|---|");
    for (double r : RELATIVE_RIDGES) {
      header.append(String.format(Locale.ROOT, " r = %.0e |", r));
      rule.append("---|");
    }
    header.append(" steps, mse | steps, xent |");
    rule.append("---|---|");
    table.add(header.toString());
    table.add(rule.toString());
    try {
      double[][] xt = IdxFiles.images(DIR.resolve("t10k-images-idx3-ubyte.gz"), TEST, 1);
      int[] yt = IdxFiles.labels(DIR.resolve("t10k-labels-idx1-ubyte.gz"), TEST);
      for (int n : sizes) {
        double[][] x = IdxFiles.images(DIR.resolve("train-images-idx3-ubyte.gz"), n, 1);
        int[] y = IdxFiles.labels(DIR.resolve("train-labels-idx1-ubyte.gz"), n);
        Dataset<Row> train = frame(spark, x, y);
        Dataset<Row> test = frame(spark, xt, yt);
        for (Variant v : variants) {
          if (n > MAX_STEPS_N && !LARGE_N_VARIANTS.contains(v.label())) {
            continue;
          }
          long start = System.nanoTime();
          Map<String, String> settings = new LinkedHashMap<>();
          settings.put("data.label", labelColumns());
          // One (discarded) solve: the job is run for its kernels, re-solved below.
          settings.put("solver.type", "regression");
          settings.put("solver.ridge", "1");
          settings.put("solver.f0", "zero");
          settings.putAll(v.settings());
          NtkRun run = NtkJob.run(spark, JobConfig.of(settings), train, test);
          double kernelSeconds = (System.nanoTime() - start) / 1e9;
          Mlp network = (Mlp) run.model();
          double[] yTrain = oneHot(y);
          double[] yTest = oneHot(yt);
          double trace = 0;
          for (int i = 0; i < n; i++) {
            trace += run.trainGram().data()[i * n + i];
          }
          for (String f0 : new String[] {"network", "zero"}) {
            double[] f0Train = f0.equals("zero") ? new double[n * CLASSES] : network.outputs(flatten(x), n);
            double[] f0Test = f0.equals("zero") ? new double[TEST * CLASSES] : network.outputs(flatten(xt), TEST);
            KernelProblem problem = new KernelProblem(run.trainGram(), run.crossGram(), f0Train, yTrain, f0Test,
                yTest, CLASSES);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %s | %s |", n, v.label(), f0));
            List<double[]> points = new ArrayList<>();
            for (double r : RELATIVE_RIDGES) {
              if (n > MAX_STEPS_N && r < LARGE_N_MIN_RIDGE) {
                row.append(" – |");
                continue;
              }
              FitResult fit = FitContext.dense(problem, FitRequest.regression(r * trace / n)).fit();
              double accuracy = accuracy(fit.last().testPredictions(), yt);
              row.append(String.format(Locale.ROOT, " %.4f |", accuracy));
              points.add(new double[] {r, accuracy});
            }
            if (LARGE_N_VARIANTS.contains(v.label())) {
              // one colour per N and kernel; f_0 = network as a line, f_0 = 0 as points on it
              int colour = 2 * Arrays.stream(sizes).boxed().toList().indexOf(n) + LARGE_N_VARIANTS.indexOf(v.label());
              curves.add(new Plots.Series(String.format(Locale.ROOT, "N = %d, %s, f_0 = %s", n,
                  v.label().substring(0, v.label().indexOf(',')), f0.equals("zero") ? "0" : f0),
                  points.stream().mapToDouble(p -> p[0]).toArray(),
                  points.stream().mapToDouble(p -> 1 - p[1]).toArray(), f0.equals("network"), colour));
            }
            if (n <= MAX_STEPS_N && v == variants.get(0) && f0.equals("zero")) {
              // Steps on the training rows only; the test predictions from the dual form f_0 + Θ(X*, X) α at the
              // last step (DualModel's), which saves the M × N product of every step.
              KernelProblem trainOnly = new KernelProblem(run.trainGram(), null, f0Train, yTrain, null, null, CLASSES);
              int[] record = {0, STEPS};
              FitResult mse = FitContext.dense(trainOnly, FitRequest.steps(Loss.MSE, Double.NaN, STEPS, record)).fit();
              FitResult xent = FitContext.dense(trainOnly, FitRequest.steps(Loss.XENT, Double.NaN, STEPS, record)).fit();
              row.append(String.format(Locale.ROOT, " %.4f | %.4f |",
                  accuracy(dual(run.crossGram().data(), f0Test, mse.coefficients(), n), yt),
                  accuracy(dual(run.crossGram().data(), f0Test, xent.coefficients(), n), yt)));
            } else {
              row.append(" | |");
            }
            table.add(row.toString());
            System.err.println(row);
          }
          System.err.printf(Locale.ROOT, "N = %d, %s: kernels %.0f s, all solves %.0f s%n", n, v.label(),
              kernelSeconds, (System.nanoTime() - start) / 1e9 - kernelSeconds);
        }
      }
    } finally {
      spark.stop();
    }
    System.out.println("Fashion-MNIST, 784 pixels in [0, 1], " + TEST + " test images; ReLU 784 → 512 → 512 → 10, "
        + "ntk parameterisation, model.seed = 0; kernel regression on one-hot targets with ρ = r · tr(Θ)/N, and "
        + STEPS + " steps at solver.lr = auto (N ≤ " + MAX_STEPS_N + ")");
    System.out.println();
    table.forEach(System.out::println);
    if (plot != null) {
      Plots.xy("Fashion-MNIST, kernel regression, 784 → 512 → 512 → 10 ReLU, σ_w = 1, σ_b = 0.1",
          "relative ridge r (ρ = r · tr(Θ)/N)", "test error (10,000 images)", true, true,
          curves.toArray(new Plots.Series[0])).write(plot);
      System.out.println();
      System.out.println("Figure: " + plot);
    }
  }

  /**
   * The notebook cell of docs/ML-API.md as a new user runs it: the default NtkClassifier on the first
   * 3000 training images, scored on the 10,000 test images through the Spark ML pipeline.
   */
  static void readmeCell(SparkSession spark) throws IOException {
    long start = System.nanoTime();
    Dataset<Row> train = IdxFiles.frame(spark, DIR.resolve("train-images-idx3-ubyte.gz"),
        DIR.resolve("train-labels-idx1-ubyte.gz"), 3000, 1);
    Dataset<Row> test = IdxFiles.frame(spark, DIR.resolve("t10k-images-idx3-ubyte.gz"),
        DIR.resolve("t10k-labels-idx1-ubyte.gz"), TEST, 1);
    VectorAssembler assembler = new VectorAssembler()
        .setInputCols(IdxFiles.pixelColumns(train)).setOutputCol("features");
    NtkClassifier ntk = new NtkClassifier();
    PipelineModel model = new Pipeline()
        .setStages(new PipelineStage[] {assembler, ntk}).fit(train);
    double accuracy = new MulticlassClassificationEvaluator()
        .setMetricName("accuracy").evaluate(model.transform(test));
    System.out.printf(Locale.ROOT, "docs/ML-API.md cell: new NtkClassifier() (%s kernel), 3000 training "
        + "images, %d test images: accuracy %.4f (%.0f s)%n", ntk.getKernelType(), TEST, accuracy,
        (System.nanoTime() - start) / 1e9);
  }

  static String labelColumns() {
    StringBuilder s = new StringBuilder();
    for (int k = 0; k < CLASSES; k++) {
      s.append(k == 0 ? "" : ",").append("y").append(k);
    }
    return s.toString();
  }

  /** A features vector column and one-hot label columns y0 … y9, rows in the arrays' order. */
  static Dataset<Row> frame(SparkSession spark, double[][] x, int[] y) {
    StructType schema = new StructType().add("features", SQLDataTypes.VectorType(), false);
    for (int k = 0; k < CLASSES; k++) {
      schema = schema.add("y" + k, DataTypes.DoubleType, false);
    }
    List<Row> rows = new ArrayList<>(x.length);
    for (int i = 0; i < x.length; i++) {
      Object[] v = new Object[CLASSES + 1];
      v[0] = Vectors.dense(x[i]);
      for (int k = 0; k < CLASSES; k++) {
        v[k + 1] = y[i] == k ? 1.0 : 0.0;
      }
      rows.add(RowFactory.create(v));
    }
    return spark.createDataFrame(rows, schema);
  }

  /** f_0(X*) + Θ(X*, X) α for a trace kernel: [M × N] times [N × O]. */
  static double[] dual(double[] cross, double[] f0Test, double[] alpha, int n) {
    double[] g = f0Test.clone();
    Blas.get().gemm(f0Test.length / CLASSES, CLASSES, n, 1.0, cross, alpha, 1.0, g);
    return g;
  }

  static double[] oneHot(int[] y) {
    double[] out = new double[y.length * CLASSES];
    for (int i = 0; i < y.length; i++) {
      out[i * CLASSES + y[i]] = 1;
    }
    return out;
  }

  static double[] flatten(double[][] x) {
    int d = x[0].length;
    double[] out = new double[x.length * d];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, out, i * d, d);
    }
    return out;
  }

  /** The fraction of rows whose largest output is the label's (the first largest on ties). */
  static double accuracy(double[] scores, int[] labels) {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 1; k < CLASSES; k++) {
        if (scores[i * CLASSES + k] > scores[i * CLASSES + best]) {
          best = k;
        }
      }
      correct += best == labels[i] ? 1 : 0;
    }
    return (double) correct / labels.length;
  }
}
