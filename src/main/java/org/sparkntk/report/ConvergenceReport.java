package org.sparkntk.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.blocks.TaskMemory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.kernel.analytic.AnalyticNtk;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.SizeGuard;

/**
 * How fast the empirical NTK approaches its infinite-width limit on the user's data (Jacot et al.
 * 2018, Thm 1; docs/THEORY.md §3): for every width w in report.widths and report.seeds
 * initialisations, the relative Frobenius distance ‖Θ_emp − Θ_∞‖_F / ‖Θ_∞‖_F of the trace Grams
 * on data.train, with every hidden layer of width w (depth, φ, σ_w, σ_b from model.*), its mean
 * and spread per width, and the least-squares slope of log(mean) against log(w) (theory: −1/2,
 * fluctuations of order 1/√width). Writes convergence.csv, convergence.json and convergence.png to
 * output.dir ({@link ConvergenceTable}, shared with the random-features report), then
 * manifest.json: output.dir is claimed and written like the job's
 * ({@link org.sparkntk.io.OutputFiles}).
 */
public final class ConvergenceReport {
  private static final Logger LOG = LoggerFactory.getLogger(ConvergenceReport.class);

  private ConvergenceReport() {}

  /** Distances of one width. */
  public record Width(int width, double[] distances, double mean, double std) {}

  /** The measured convergence: per width, and the fitted log-log slope and intercept. */
  public record Result(List<Width> widths, double slope, double intercept) {}

  public static Result run(SparkSession spark, JobConfig config) {
    try (OutputFiles out = OutputFiles.claim(config, () -> spark.sparkContext().hadoopConfiguration(),
        "convergence.json", ConvergenceTable.files("convergence"))) {
      return run(spark, config, out);
    }
  }

  private static Result run(SparkSession spark, JobConfig config, OutputFiles out) {
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    String name = "data.train (" + trainPath + ")";
    int maxFeatures = config.get(ConfigKeys.DATA_MAX_FEATURES);
    LabeledData data = DataReader.examples(name, DataReader.read(spark, "data.train", trainPath, config.format(),
        config.get(ConfigKeys.DATA_HEADER), maxFeatures), config.labels(), true, maxFeatures);
    int[] widths = config.get(ConfigKeys.REPORT_WIDTHS);
    int seeds = config.get(ConfigKeys.REPORT_SEEDS);
    int depth = config.get(ConfigKeys.MODEL_HIDDEN).length;
    if (depth == 0) {
      throw new ConfigException("the convergence report needs at least one hidden layer: model.hidden is empty");
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int n = Math.toIntExact(data.count());
    SizeGuard.reportWidths(widths, data.featureCount(), depth, data.labels().size(), SizeGuard.JOB_MODEL_COPIES);
    Architecture limitArch = architecture(config, data, widths[0], depth);
    KernelSpec spec = config.kernelSpec().withOutputs(KernelOutputs.TRACE);
    AnalyticNtk analytic = Kernels.limit(spec, limitArch);
    int blockSize = JobComponents.blockSize(config, analytic, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan plan = new BlockPlan(n, blockSize);
    JavaRDD<RowBlock> blocks = RowBlocks.of(data, plan);
    // ntk parameterisation: one limit for every width; standard: the large-width mean at each width
    // (AnalyticNtk), which scales with the width
    boolean perWidth = limitArch.parameterization() == Parameterization.STANDARD;
    GramMatrix limit = null;
    long seed0 = config.get(ConfigKeys.MODEL_SEED);
    double[][] distances = new double[widths.length][seeds];
    for (int k = 0; k < widths.length; k++) {
      int w = widths[k];
      Architecture arch = architecture(config, data, w, depth);
      if (limit == null || perWidth) {
        limit = SparkGram.symmetric(sc, blocks, plan, Kernels.limit(spec, arch), "analytic NTK"
            + (perWidth ? ", width " + w : ""));
      }
      for (int s = 0; s < seeds; s++) {
        BlockKernel<?> empirical = Kernels.empirical(spec, Mlp.initialise(arch, seed0 + s));
        GramMatrix g = SparkGram.symmetric(sc, blocks, plan, empirical, "empirical NTK, width " + w + ", seed "
            + (seed0 + s));
        distances[k][s] = ConvergenceTable.relativeDistance(g.data(), limit.data());
      }
      LOG.info(ConvergenceTable.logLine("width", w, "‖Θ − Θ∞‖/‖Θ∞‖", distances[k]));
    }
    blocks.unpersist(false);
    ConvergenceTable table = ConvergenceTable.of("width", widths, distances);
    LOG.info(String.format(Locale.ROOT, "log-log slope %.3f (theory −0.5)", table.slope()));
    table.write(out, "convergence", seed0, root -> {
      root.put("N", n);
      root.put("activation", limitArch.activation().configName());
      root.put("depth", limitArch.depth());
      root.put("sigmaW", limitArch.sigmaW());
      root.put("sigmaB", limitArch.sigmaB());
    }, "widths", String.format(Locale.ROOT, "Empirical NTK → analytic limit, %s, N = %d",
        limitArch.activation().configName(), n), "hidden width", "‖Θ − Θ∞‖_F / ‖Θ∞‖_F");
    List<Width> results = new ArrayList<>();
    for (int k = 0; k < widths.length; k++) {
      results.add(new Width(widths[k], distances[k], table.means()[k], table.stds()[k]));
    }
    return new Result(results, table.slope(), table.intercept());
  }

  private static Architecture architecture(JobConfig config, LabeledData data, int width, int depth) {
    return config.architecture(data.featureCount(), JobConfig.uniformHidden(width, depth), data.labels().size());
  }

}
