package org.sparkntk.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.gram.AnalyticNtk;
import org.sparkntk.gram.BlockPlan;
import org.sparkntk.gram.GramMatrix;
import org.sparkntk.gram.KernelOutputs;
import org.sparkntk.gram.Precision;
import org.sparkntk.gram.StructuredNtk;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.output.AtomicFiles;
import org.sparkntk.output.Plots;
import org.sparkntk.spark.RowBlocks;
import org.sparkntk.spark.SparkGram;
import org.sparkntk.spark.TaskMemory;

/**
 * How fast the empirical NTK approaches its infinite-width limit on the user's data (Jacot et al.
 * key point 2): for every width w in report.widths and report.seeds initialisations, the relative
 * Frobenius distance ‖Θ_emp − Θ_∞‖_F / ‖Θ_∞‖_F of the trace Grams on data.train, with every
 * hidden layer of width w (depth, φ, σ_w, σ_b from model.*), its mean and spread per width, and
 * the least-squares slope of log(mean) against log(w) (theory: −1/2, fluctuations of order
 * 1/√width). Writes convergence.csv, convergence.json and convergence.png to output.dir.
 */
public final class ConvergenceReport {
  private static final Logger LOG = LoggerFactory.getLogger("org.sparkntk");

  private ConvergenceReport() {}

  /** Distances of one width. */
  public record Width(int width, double[] distances, double mean, double std) {}

  /** The measured convergence: per width, and the fitted log-log slope and intercept. */
  public record Result(List<Width> widths, double slope, double intercept) {}

  public static Result run(SparkSession spark, JobConfig config) {
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    String name = "data.train (" + trainPath + ")";
    LabeledData data = DataReader.examples(name, DataReader.read(spark, trainPath, config.format(),
        config.get(ConfigKeys.DATA_HEADER)), config.labels(), true);
    int[] widths = config.get(ConfigKeys.REPORT_WIDTHS);
    int seeds = config.get(ConfigKeys.REPORT_SEEDS);
    int depth = config.get(ConfigKeys.MODEL_HIDDEN).length;
    if (depth == 0) {
      throw new ConfigException("the convergence report needs at least one hidden layer: model.hidden is empty");
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int n = Math.toIntExact(data.count());
    Architecture limitArch = architecture(config, data, widths[0], depth);
    AnalyticNtk analytic = new AnalyticNtk(limitArch, KernelOutputs.TRACE, true, quadrature(config));
    int blockSize = NtkJob.blockSize(config, analytic, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan plan = new BlockPlan(n, blockSize);
    JavaRDD<RowBlock> blocks = RowBlocks.of(data, plan);
    // ntk parameterisation: one limit for every width; standard: the large-width mean at each width
    // (AnalyticNtk), which scales with the width
    boolean perWidth = limitArch.parameterization() == Parameterization.STANDARD;
    GramMatrix limit = null;
    List<Width> results = new ArrayList<>();
    long seed0 = config.get(ConfigKeys.MODEL_SEED);
    for (int w : widths) {
      Architecture arch = architecture(config, data, w, depth);
      if (limit == null || perWidth) {
        limit = SparkGram.symmetric(sc, blocks, plan, new AnalyticNtk(arch, KernelOutputs.TRACE, true,
            quadrature(config)), "analytic NTK" + (perWidth ? ", width " + w : ""));
      }
      double limitNorm = frobenius(limit.data(), null);
      double[] d = new double[seeds];
      for (int s = 0; s < seeds; s++) {
        StructuredNtk empirical = new StructuredNtk(Mlp.initialise(arch, seed0 + s), KernelOutputs.TRACE,
            Precision.FLOAT64);
        GramMatrix g = SparkGram.symmetric(sc, blocks, plan, empirical, "empirical NTK, width " + w + ", seed "
            + (seed0 + s));
        d[s] = frobenius(g.data(), limit.data()) / limitNorm;
      }
      double mean = Arrays.stream(d).average().orElse(Double.NaN);
      double std = seeds > 1 ? Math.sqrt(Arrays.stream(d).map(v -> (v - mean) * (v - mean)).sum() / (seeds - 1)) : 0;
      results.add(new Width(w, d, mean, std));
      LOG.info(String.format(Locale.ROOT, "width %d: ‖Θ − Θ∞‖/‖Θ∞‖ = %.4g ± %.2g over %d seeds", w, mean, std, seeds));
    }
    blocks.unpersist(false);
    double[] fit = fitLogLog(results);
    Result result = new Result(results, fit[0], fit[1]);
    LOG.info(String.format(Locale.ROOT, "log-log slope %.3f (theory −0.5)", fit[0]));
    write(Path.of(config.get(ConfigKeys.OUTPUT_DIR)), config, n, limitArch, result);
    return result;
  }

  static int quadrature(JobConfig config) {
    Integer points = config.get(ConfigKeys.KERNEL_QUADRATURE);
    return points == null ? AnalyticNtk.ADAPTIVE_QUADRATURE : points;
  }

  private static Architecture architecture(JobConfig config, LabeledData data, int width, int depth) {
    int[] hidden = new int[depth];
    Arrays.fill(hidden, width);
    return Architecture.of(data.featureCount(), hidden, data.labels().size(), config.get(ConfigKeys.MODEL_ACTIVATION),
        config.get(ConfigKeys.MODEL_PARAMETERIZATION), config.get(ConfigKeys.MODEL_SIGMA_W),
        config.get(ConfigKeys.MODEL_SIGMA_B));
  }

  /** ‖a − b‖_F (b null: ‖a‖_F). */
  static double frobenius(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = b == null ? a[i] : a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  /** Least squares log(mean) = intercept + slope·log(width): {slope, intercept}. */
  static double[] fitLogLog(List<Width> widths) {
    int k = widths.size();
    if (k < 2) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double mx = 0;
    double my = 0;
    for (Width w : widths) {
      mx += Math.log(w.width()) / k;
      my += Math.log(w.mean()) / k;
    }
    double sxy = 0;
    double sxx = 0;
    for (Width w : widths) {
      double dx = Math.log(w.width()) - mx;
      sxy += dx * (Math.log(w.mean()) - my);
      sxx += dx * dx;
    }
    double slope = sxy / sxx;
    return new double[] {slope, my - slope * mx};
  }

  private static void write(Path dir, JobConfig config, int n, Architecture arch, Result result) {
    try {
      Files.createDirectories(dir);
      AtomicFiles.write(dir.resolve("convergence.csv"), f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write("width,seed,relative_frobenius_distance\n");
          long seed0 = config.get(ConfigKeys.MODEL_SEED);
          for (Width width : result.widths()) {
            for (int s = 0; s < width.distances().length; s++) {
              w.write(width.width() + "," + (seed0 + s) + "," + width.distances()[s] + "\n");
            }
          }
        }
      });
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      result.widths().forEach(w -> Arrays.stream(w.distances()).forEach(d -> {
        xs.add((double) w.width());
        ys.add(d);
      }));
      double[] widths = result.widths().stream().mapToDouble(Width::width).toArray();
      double[] means = result.widths().stream().mapToDouble(Width::mean).toArray();
      double[] fitted = Arrays.stream(widths).map(w -> Math.exp(result.intercept()) * Math.pow(w, result.slope()))
          .toArray();
      Plots.xy(dir.resolve("convergence.png"), String.format(Locale.ROOT,
              "Empirical NTK → analytic limit, %s, N = %d (slope %.2f, theory −0.5)", arch.activation().configName(),
              n, result.slope()), "hidden width", "‖Θ − Θ∞‖_F / ‖Θ∞‖_F", true,
          new Plots.Series("each seed", xs.stream().mapToDouble(Double::doubleValue).toArray(),
              ys.stream().mapToDouble(Double::doubleValue).toArray(), false),
          new Plots.Series("mean", widths, means, false),
          new Plots.Series(String.format(Locale.ROOT, "fit ∝ width^%.2f", result.slope()), widths, fitted, true));
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode root = json.createObjectNode();
      root.put("report", "convergence");
      root.put("N", n);
      root.put("activation", arch.activation().configName());
      root.put("depth", arch.depth());
      root.put("sigmaW", arch.sigmaW());
      root.put("sigmaB", arch.sigmaB());
      root.put("slope", result.slope());
      root.put("intercept", result.intercept());
      root.put("theorySlope", -0.5);
      ArrayNode ws = root.putArray("widths");
      for (Width w : result.widths()) {
        ObjectNode o = ws.addObject();
        o.put("width", w.width());
        o.put("mean", w.mean());
        o.put("std", w.std());
        ArrayNode d = o.putArray("distances");
        Arrays.stream(w.distances()).forEach(d::add);
      }
      AtomicFiles.write(dir.resolve("convergence.json"), f -> json.writeValue(f.toFile(), root));
    } catch (IOException e) {
      throw new UncheckedIOException("writing the convergence report to " + dir + " failed: " + e.getMessage(), e);
    }
  }
}
