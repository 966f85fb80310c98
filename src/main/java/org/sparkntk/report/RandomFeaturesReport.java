package org.sparkntk.report;

import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.blocks.TaskMemory;
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
import org.sparkntk.kernel.Kernels;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.SizeGuard;

/**
 * How fast the random-features kernel K̃_P = (1/P) Σ_p f_p(x) f_p(x') approaches its P → ∞ limit
 * K on the user's data (the limiting kernel of random linear functions, docs/THEORY.md §10):
 * for every P in report.features and report.seeds seeds, the relative Frobenius distance
 * ‖K̃_P − K‖_F / ‖K‖_F of the Grams on data.train (basis and σ from kernel.basis and
 * kernel.scale), its mean and spread per P, and the least-squares slope of log(mean) against
 * log(P). Theory: −1/2 exactly in mean square, since K̃_P − K is the mean of P independent
 * zero-mean matrices, E‖K̃_P − K‖²_F = E‖f fᵀ − K‖²_F / P. For one seed the models of growing P
 * are nested (the first P draws of a stream, {@link RandomFeatures}), so a seed's distances follow
 * one running mean as the law of large numbers describes it. Writes rfconvergence.csv,
 * rfconvergence.json and rfconvergence.png to output.dir, then manifest.json
 * ({@link org.sparkntk.io.OutputFiles}, as the job).
 *
 * <p>A report type of its own ({@code report.type = rfconvergence}) rather than a switch on the
 * width report ({@code convergence}): the two vary different things (the hidden widths of a
 * network of model.*, the number of features of kernel.basis) against different limits (the
 * NTK recursion of {@link org.sparkntk.kernel.analytic.AnalyticNtk}, a closed form) with different keys
 * (report.widths, report.features), so one report with a switch would have to reinterpret or
 * ignore half of its keys in each mode. What they share — the distances' statistics, the fit and
 * the three files — is one class, {@link ConvergenceTable}.
 */
public final class RandomFeaturesReport {
  private static final Logger LOG = LoggerFactory.getLogger(RandomFeaturesReport.class);

  private RandomFeaturesReport() {}

  public static ConvergenceTable run(SparkSession spark, JobConfig config) {
    try (OutputFiles out = OutputFiles.claim(config, () -> spark.sparkContext().hadoopConfiguration(),
        "rfconvergence.json", ConvergenceTable.files("rfconvergence"))) {
      return run(spark, config, out);
    }
  }

  private static ConvergenceTable run(SparkSession spark, JobConfig config, OutputFiles out) {
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    int maxFeatures = config.get(ConfigKeys.DATA_MAX_FEATURES);
    LabeledData data = DataReader.examples("data.train (" + trainPath + ")", DataReader.read(spark, "data.train",
        trainPath, config.format(), config.get(ConfigKeys.DATA_HEADER), maxFeatures), config.labels(), true,
        maxFeatures);
    int[] features = config.get(ConfigKeys.REPORT_FEATURES).clone();
    Arrays.sort(features);
    int seeds = config.get(ConfigKeys.REPORT_SEEDS);
    long seed0 = config.get(ConfigKeys.MODEL_SEED);
    RandomFeatures.Basis basis = config.get(ConfigKeys.KERNEL_BASIS);
    double scale = config.get(ConfigKeys.KERNEL_SCALE);
    int d = data.featureCount();
    int o = data.labels().size();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int n = Math.toIntExact(data.count());
    SizeGuard.randomFeatures("report.features", features[features.length - 1], d, o, SizeGuard.driverModelLimit());
    // blocks sized for the largest feature matrix
    BlockKernel<?> largest = Kernels.randomFeatures(RandomFeatures.initialise(basis, features[features.length - 1],
        scale, d, o, seed0), KernelOutputs.TRACE);
    int blockSize = JobComponents.blockSize(config, largest, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan plan = new BlockPlan(n, blockSize);
    JavaRDD<RowBlock> blocks = RowBlocks.of(data, plan);
    GramMatrix limit = SparkGram.symmetric(sc, blocks, plan, Kernels.randomFeatures(
        RandomFeatures.limit(basis, scale, d, o), KernelOutputs.TRACE), "random-features kernel, P → ∞");
    double[][] distances = new double[features.length][seeds];
    for (int k = 0; k < features.length; k++) {
      for (int s = 0; s < seeds; s++) {
        BlockKernel<?> kernel = Kernels.randomFeatures(RandomFeatures.initialise(basis, features[k], scale, d, o,
            seed0 + s), KernelOutputs.TRACE);
        GramMatrix g = SparkGram.symmetric(sc, blocks, plan, kernel, "random-features kernel, P = " + features[k]
            + ", seed " + (seed0 + s));
        distances[k][s] = ConvergenceTable.relativeDistance(g.data(), limit.data());
      }
      LOG.info(ConvergenceTable.logLine("P", features[k], "‖K̃ − K‖/‖K‖", distances[k]));
    }
    blocks.unpersist(false);
    ConvergenceTable table = ConvergenceTable.of("P", features, distances);
    LOG.info(String.format(Locale.ROOT, "log-log slope %.3f (theory −0.5)", table.slope()));
    table.write(out, "rfconvergence", seed0, root -> {
      root.put("N", n);
      root.put("inputs", d);
      root.put("basis", basis.configName());
      if (basis == RandomFeatures.Basis.FOURIER) {
        root.put("scale", scale);
      }
    }, "features", String.format(Locale.ROOT, "Random features → limit, %s%s, N = %d",
        basis.configName(), basis == RandomFeatures.Basis.FOURIER ? ", σ = " + scale : "", n),
        "features P", "‖K̃_P − K‖_F / ‖K‖_F");
    return table;
  }
}
