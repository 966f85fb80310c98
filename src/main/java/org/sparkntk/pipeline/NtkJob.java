package org.sparkntk.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.blocks.MatrixFreeKernel;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.blocks.TaskMemory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.Augmentation;
import org.sparkntk.data.DataException;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.data.Standardization;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.JobOutputs;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.PhaseTimer;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Model;
import org.sparkntk.solver.CrossEntropy;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Solvers;
import org.sparkntk.solver.Spectrum;

/**
 * The one code path of spark-ntk: data → model → per-sample Jacobians on executors → Gram
 * blocks → driver-side kernel solver → outputs. The CLI, the experiment configs and notebooks
 * all call it; it never stops the SparkSession it is given and never exits the JVM.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.of(Map.of("data.label", "y", "model.hidden", "256,256",
 *     "solver.type", "regression", "solver.ridge", "1e-6"));
 * NtkRun run = NtkJob.run(spark, config, trainDf, testDf);
 * double[] predictions = run.fit().last().testPredictions();
 * }</pre>
 */
public final class NtkJob {
  private static final Logger LOG = LoggerFactory.getLogger(NtkJob.class);

  private NtkJob() {}

  /** Runs the job of a configuration that names its data files (data.train, data.test) and output.dir. */
  public static NtkRun run(SparkSession spark, JobConfig config) {
    config.require(ConfigKeys.DATA_TRAIN);
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    String testPath = config.get(ConfigKeys.DATA_TEST);
    String format = config.format();
    boolean header = config.get(ConfigKeys.DATA_HEADER);
    int maxFeatures = config.get(ConfigKeys.DATA_MAX_FEATURES);
    try (OutputFiles out = claim(spark, config)) { // before the readers infer the schema, which reads the data
      Dataset<Row> train = DataReader.read(spark, "data.train", trainPath, format, header, maxFeatures);
      Dataset<Row> test = testPath == null ? null
          : DataReader.read(spark, "data.test", testPath, format, header, maxFeatures);
      return run(spark, config, train, test, "data.train (" + trainPath + ")",
          testPath == null ? null : "data.test (" + testPath + ")", out);
    }
  }

  /** Runs the job on Datasets in hand; outputs are written only when output.dir is set. */
  public static NtkRun run(SparkSession spark, JobConfig config, Dataset<Row> train, Dataset<Row> test) {
    try (OutputFiles out = claim(spark, config)) {
      return run(spark, config, train, test, "training data", test == null ? null : "test data", out);
    }
  }

  /** output.dir as a local directory, or null when none was given or it is a Hadoop URI ({@link NtkRun#outputDir}). */
  private static Path localDir(OutputFiles out) {
    return out == null || !out.isLocal() ? null : out.dir();
  }

  /**
   * output.dir claimed for the job's files ({@link OutputFiles}: locked and checked), or null when
   * it is not set. A plain path (or a {@code file:} URI) is a local directory; any other URI
   * ({@code hdfs://}, {@code s3a://}, …) is opened through Hadoop's FileSystem API with the
   * SparkContext's Hadoop configuration, under the same contract.
   */
  private static OutputFiles claim(SparkSession spark, JobConfig config) {
    String dir = config.get(ConfigKeys.OUTPUT_DIR);
    return dir == null ? null : OutputFiles.claim(config, () -> spark.sparkContext().hadoopConfiguration(),
        "metrics.json", JobOutputs.FILES);
  }

  private static NtkRun run(SparkSession spark, JobConfig config, Dataset<Row> trainDs, Dataset<Row> testDs,
                            String trainName, String testName, OutputFiles out) {
    PhaseTimer timer = new PhaseTimer();
    Path outputDir = localDir(out);
    String outputLocation = out == null ? null : out.location();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> labels = config.labels();
    int maxFeatures = config.get(ConfigKeys.DATA_MAX_FEATURES);
    Long trainRows = config.get(ConfigKeys.DATA_TRAIN_ROWS);
    LabeledData read = timer.time("read training data",
        () -> DataReader.firstRows(DataReader.examples(trainName, trainDs, labels, true, maxFeatures), trainRows));
    LabeledData rawTrain = config.get(ConfigKeys.DATA_AUGMENT).equals("shifts") ? Augmentation.shifts(read) : read;
    LabeledData rawTest = testDs == null ? null : timer.time("read test data",
        () -> DataReader.examples(testName, testDs, labels, false, maxFeatures));
    if (rawTest != null && rawTest.featureCount() != rawTrain.featureCount()) {
      throw new DataException(testName + " has " + rawTest.featureCount() + " feature columns " + rawTest.features()
          + " but " + trainName + " has " + rawTrain.featureCount() + " " + rawTrain.features());
    }
    Standardization scaling = !config.get(ConfigKeys.DATA_STANDARDIZE) ? null
        : timer.time("standardise features", () -> Standardization.fit(rawTrain));
    LabeledData train = scaling == null ? rawTrain : scaling.apply(rawTrain);
    LabeledData test = scaling == null || rawTest == null ? rawTest : scaling.apply(rawTest);
    InputMapping mapping = JobComponents.mapping(config, train.featureCount());
    Model model = JobComponents.model(config, mapping.isFinite() ? mapping.outputs() : mapping.inputs(), labels.size());
    BlockKernel<?> kernel = JobComponents.kernel(config, model, mapping);
    SizeGuard.perRow(kernel, TaskMemory.budgetBytes(sc));
    boolean zeroF0 = JobComponents.startsFromZero(config);
    if (!mapping.isFinite() && !zeroF0) {
      throw new ConfigException("input.features = inf has no finite network to give the outputs f_0; set "
          + "solver.f0 = zero (the mean over initialisations) or auto, not network");
    }
    int n = Math.toIntExact(train.count());
    int m = test == null ? 0 : Math.toIntExact(test.count());
    String solverType = config.get(ConfigKeys.SOLVER_TYPE);
    boolean spectrumWanted = config.get(ConfigKeys.OUTPUT_SPECTRUM);
    JacobianProducts matrixFree = DistributedSolve.matrixFree(config, model);
    SolverBackend backend = SolverBackend.choose(config, n, m, kernel.rowsPerExample(), labels.size(), solverType,
        spectrumWanted, matrixFree == null || !Solvers.of(solverType).needsTrainingKernel() ? 0
            : MatrixFreeKernel.driverBytes(matrixFree, Math.max(1, labels.size() / kernel.rowsPerExample())));
    int eigenvectors = config.get(ConfigKeys.OUTPUT_EIGENVECTORS);
    if (backend.distributed()) {
      checkDistributedOutputs(config, spectrumWanted, eigenvectors);
    }
    if (eigenvectors > (long) n * kernel.rowsPerExample()) {
      throw new ConfigException("output.eigenvectors = " + eigenvectors + " but the training Gram has only "
          + (long) n * kernel.rowsPerExample() + " eigenvalues (" + n + " training rows × " + kernel.rowsPerExample()
          + " kernel rows per example)");
    }
    int blockSize = JobComponents.blockSize(config, kernel, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    if (Solvers.of(solverType).needsTrainingKernel()) {
      SizeGuard.blocks(n, m, blockSize, config.get(ConfigKeys.KERNEL_BLOCK_SIZE) != null);
    } else {
      // Nyström regression builds the (N + M*) × M kernels against its centres only.
      SizeGuard.centerBlocks(n, m, Math.min(n, config.get(ConfigKeys.SOLVER_CENTERS)), blockSize,
          config.get(ConfigKeys.KERNEL_BLOCK_SIZE) != null);
    }
    if (!solverType.equals("regression") && !solverType.equals("nystrom")) {
      SizeGuard.records(config.get(ConfigKeys.SOLVER_STEPS), config.get(ConfigKeys.SOLVER_RECORD_EVERY), n, m,
          labels.size(), SizeGuard.driverModelLimit());
    }
    LOG.info("{} training rows, {} test rows; model: {}; kernel: {}; {} rows per block", n, m, model.describe(),
        kernel.describe(), blockSize);
    LOG.info("solver backend: {} ({})", backend.configName(), backend.reason());
    // The dense path's training Gram array is zeroed while the rows are prepared.
    Supplier<double[]> trainArray = backend.distributed() ? null
        : SparkGram.zeroedInBackground((long) n * kernel.rowsPerExample(), (long) n * kernel.rowsPerExample());

    BlockPlan trainPlan = new BlockPlan(n, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(train, trainPlan, mapping);
    BlockPlan testPlan = test == null ? null : new BlockPlan(m, blockSize);
    JavaRDD<RowBlock> testBlocks = test == null ? null : RowBlocks.of(test, testPlan, mapping);
    int o = model.outputs();
    double[][] targetsAndOutputs = timer.time("labels and model outputs f0", () -> new double[][] {
        RowBlocks.labels(trainBlocks, trainPlan, o),
        zeroF0 ? new double[n * o] : RowBlocks.outputs(trainBlocks, trainPlan, model),
        test == null ? null : zeroF0 ? new double[m * o] : RowBlocks.outputs(testBlocks, testPlan, model),
        test == null || !test.hasLabels() ? null : RowBlocks.labels(testBlocks, testPlan, o)});
    double[] yTrain = targetsAndOutputs[0];
    double[] f0Train = targetsAndOutputs[1];
    double[] f0Test = targetsAndOutputs[2];
    double[] yTest = targetsAndOutputs[3];
    NonFinite.outputs(config, train, f0Train, o);
    if (f0Test != null) {
      NonFinite.outputs(config, test, f0Test, o);
    }
    Loss loss = config.get(ConfigKeys.SOLVER_LOSS);
    if (loss == Loss.XENT) {
      // Before the kernel is computed: the labels must be probabilities for the cross-entropy.
      checkTargetProbabilities(trainName, labels, yTrain);
      if (yTest != null) {
        checkTargetProbabilities(testName, labels, yTest);
      }
    } else {
      NonFinite.startingCost(config, train, labels, f0Train, yTrain);
      if (yTest != null) {
        NonFinite.startingCost(config, test, labels, f0Test, yTest);
      }
    }

    if (backend.distributed()) {
      return runDistributed(spark, sc, config, out, model, mapping, kernel, labels,
          trainBlocks, trainPlan,
          testBlocks, testPlan, yTrain, f0Train, f0Test, yTest, n, m, backend, matrixFree, timer);
    }

    GramCheckpoint[] checkpoints = out == null || !config.get(ConfigKeys.OUTPUT_CHECKPOINT) ? null
        : timer.time("checkpoint", () -> JobCheckpoints.openCheckpoints(out, config, model, kernel, trainBlocks,
            trainPlan, testBlocks, testPlan));
    GramMatrix trainGram = timer.time("training Gram", () -> SparkGram.symmetric(sc, trainBlocks, trainPlan, kernel,
        "training Gram", checkpoints == null ? null : checkpoints[0], trainArray));
    GramMatrix crossGram = test == null ? null : timer.time("cross kernel",
        () -> SparkGram.cross(sc, testBlocks, testPlan, trainBlocks, trainPlan, kernel, "cross kernel",
            checkpoints == null ? null : checkpoints[1]));
    NonFinite.kernel(config, "training Gram", trainGram, train, train);
    if (crossGram != null) {
      NonFinite.kernel(config, "cross kernel", crossGram, test, train);
    }
    trainBlocks.unpersist(false);
    if (testBlocks != null) {
      testBlocks.unpersist(false);
    }
    sc.setJobDescription(null);

    KernelProblem problem = new KernelProblem(trainGram, crossGram, f0Train, yTrain, f0Test, yTest, o);
    Spectrum spectrum = spectrumWanted ? timer.time("spectrum (dsyevd)", () -> Spectrum.of(trainGram)) : null;
    FitResult fit = timer.time("solver (" + solverType + ")", 
        () -> FitContext.dense(problem, FitRequests.of(config)).withSpectrum(spectrum).fit());
    NonFinite.fit(config, fit);
    logFit(fit);

    ObjectNode metrics = JobOutputs.metrics(config, spark, model, kernel, trainPlan, n, m, fit, timer);
    metrics.put("inputMapping", mapping.describe());
    putBackend(metrics, backend, null);
    metrics.put("f0", zeroF0 ? "zero" : "network");
    if (spectrum != null) {
      JobOutputs.addSpectrum(metrics, spectrum, eigenvectors);
    }
    if (checkpoints != null) {
      ObjectNode c = metrics.putObject("checkpoint");
      c.put("trainingGramBlocksResumed", checkpoints[0].resumed());
      c.put("trainingGramBlocksComputed", checkpoints[0].saved());
      if (checkpoints[1] != null) {
        c.put("crossKernelBlocksResumed", checkpoints[1].resumed());
        c.put("crossKernelBlocksComputed", checkpoints[1].saved());
      }
    }
    if (out != null) {
      try {
        JobOutputs.write(out, config, model, mapping, labels, trainGram, crossGram, yTrain, yTest, fit, spectrum,
            null, null, metrics, timer);
        // The outputs are complete (manifest.json written): the blocks are no longer needed.
        out.delete(GramCheckpoint.DIR);
      } catch (IOException e) {
        throw new UncheckedIOException("writing outputs to " + outputLocation + " failed: " + e.getMessage(), e);
      }
    }
    return new NtkRun(model, mapping, trainGram, crossGram, fit, metrics, outputDir, spectrum, null,
        outputLocation, null);
  }

  /**
   * The distributed backend ({@link DistributedSolve}): the kernels stay on the executors, the
   * solver uses products only, and the outputs are those of the driver backend without the dense
   * gram.npy / cross.npy (refused up front) and with the top eigenpairs as the spectrum.
   * {@code matrixFree}: the empirical NTK's Jacobian products when it runs matrix-free, else null.
   */
  private static NtkRun runDistributed(SparkSession spark, JavaSparkContext sc, JobConfig config, OutputFiles out,
                                       Model model, InputMapping mapping, BlockKernel<?> kernel,
                                       List<String> labels, JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                       JavaRDD<RowBlock> testBlocks, BlockPlan testPlan, double[] yTrain,
                                       double[] f0Train, double[] f0Test, double[] yTest, int n, int m,
                                       SolverBackend backend, JacobianProducts matrixFree, PhaseTimer timer) {
    Path outputDir = localDir(out);
    String outputLocation = out == null ? null : out.location();
    // Nyström regression builds no training Gram, so it has no Gram blocks to checkpoint (JobConfig refuses
    // an explicit output.checkpoint = true with it).
    // The matrix-free empirical operator (kernel.cache = none; matrixFree not null) stores no blocks either.
    boolean checkpoint = out != null && config.get(ConfigKeys.OUTPUT_CHECKPOINT)
        && Solvers.of(config.get(ConfigKeys.SOLVER_TYPE)).needsTrainingKernel() && matrixFree == null;
    boolean gram = out != null && Boolean.TRUE.equals(config.get(ConfigKeys.OUTPUT_GRAM));
    DistributedSolve.Files files = !checkpoint && !gram ? DistributedSolve.Files.NONE
        : timer.time("checkpoint", () -> {
          try {
            return JobCheckpoints.distributedFiles(sc, out, config, model, kernel, trainBlocks, trainPlan, testBlocks,
                testPlan, yTrain, f0Train, checkpoint, gram);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the block files in " + outputLocation + ": "
                + e.getMessage(), e);
          }
        });
    DistributedSolve.Outcome outcome = DistributedSolve.run(sc, config, kernel, trainBlocks, trainPlan, testBlocks,
        testPlan, f0Train, yTrain, f0Test, yTest, model.outputs(), timer, files, matrixFree);
    trainBlocks.unpersist(false);
    if (testBlocks != null) {
      testBlocks.unpersist(false);
    }
    sc.setJobDescription(null);
    FitResult fit = outcome.fit();
    NonFinite.fit(config, fit);
    logFit(fit);
    ObjectNode metrics = JobOutputs.metrics(config, spark, model, kernel, trainPlan, n, m, fit, timer);
    metrics.put("inputMapping", mapping.describe());
    metrics.put("f0", JobComponents.startsFromZero(config) ? "zero" : "network");
    putBackend(metrics, backend, outcome.diagnostics());
    if (outcome.spectrum() != null) {
      JobOutputs.addSpectrum(metrics, outcome.spectrum());
    }
    if (checkpoint) {
      ObjectNode c = metrics.putObject("checkpoint");
      c.put("trainingGramBlocksResumed", outcome.train().resumed());
      c.put("trainingGramBlocksComputed", outcome.train().computed());
      if (outcome.cross() != null) {
        c.put("crossKernelBlocksResumed", outcome.cross().resumed());
        c.put("crossKernelBlocksComputed", outcome.cross().computed());
      }
      Object resumedFrom = outcome.diagnostics().get("resumedFromIteration");
      if (resumedFrom != null) {
        c.put("pcgResumedFromIteration", (Integer) resumedFrom);
      }
    }
    if (out != null) {
      try {
        if (gram) {
          int k = kernel.rowsPerExample();
          JobCheckpoints.indexBlockFiles(out, JobCheckpoints.GRAM_DIR, "training Gram", files.trainExport(),
              outcome.train(), n, n, k, trainPlan.blockSize(), true);
          if (files.crossExport() != null) {
            JobCheckpoints.indexBlockFiles(out, JobCheckpoints.CROSS_DIR, "cross kernel", files.crossExport(),
                outcome.cross(), m, n, k, trainPlan.blockSize(), false);
          }
        }
        JobOutputs.Centers centers = outcome.centers() == null ? null
            : new JobOutputs.Centers(outcome.centers(), kernel.rowsPerExample());
        JobOutputs.write(out, config, model, mapping, labels, null, null, yTrain, yTest, fit, null,
            outcome.spectrum(), centers, metrics, timer);
        if (checkpoint) {
          // The outputs are complete (manifest.json written): the blocks and the iterate are no longer needed.
          out.delete(GramCheckpoint.DIR);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("writing outputs to " + outputLocation + " failed: " + e.getMessage(), e);
      }
    }
    return new NtkRun(model, mapping, null, null, fit, metrics, outputDir, null, outcome.spectrum(),
        outputLocation, outcome.centers());
  }

  /** The training (and test) cost, and accuracy for class targets, at the start and the end. */
  private static void logFit(FitResult fit) {
    LOG.info(String.format("train loss %.6g → %.6g%s", fit.snapshots().get(0).trainLoss(), fit.last().trainLoss(),
        Double.isNaN(fit.last().testLoss()) ? "" : String.format(", test loss %.6g", fit.last().testLoss())));
    if (!Double.isNaN(fit.last().trainAccuracy())) {
      LOG.info(String.format("train accuracy %.4f → %.4f%s", fit.snapshots().get(0).trainAccuracy(),
          fit.last().trainAccuracy(), Double.isNaN(fit.last().testAccuracy()) ? ""
              : String.format(", test accuracy %.4f", fit.last().testAccuracy())));
    }
  }

  /** The keys the distributed backend reads differently, checked before any work. */
  private static void checkDistributedOutputs(JobConfig config, boolean spectrum, int eigenvectors) {
    if (spectrum && eigenvectors < 1) {
      throw new ConfigException("output.spectrum = true on the distributed backend computes the top "
          + "output.eigenvectors eigenpairs by Lanczos (the full spectrum needs the dense Gram); set "
          + "output.eigenvectors = k ≥ 1");
    }
  }

  /** metrics.json "backend": which solver backend ran, why, and what its solver did. */
  private static void putBackend(ObjectNode metrics, SolverBackend backend, Map<String, Object> diagnostics) {
    ObjectNode b = metrics.putObject("backend");
    b.put("name", backend.configName());
    b.put("reason", backend.reason());
    b.put("driverBytesEstimate", backend.driverBytes());
    if (diagnostics != null) {
      ObjectNode solver = (ObjectNode) metrics.get("solver");
      diagnostics.forEach((key, value) -> solver.set(key, JobOutputs.json(value)));
    }
  }

  /**
   * With solver.loss = xent the label columns are target probabilities: every row must be
   * non-negative and sum to 1 (one-hot for classes).
   */
  static void checkTargetProbabilities(String dataName, List<String> labels, double[] y) {
    String error = CrossEntropy.targetError(y, labels.size());
    if (error != null) {
      throw new ConfigException("solver.loss = xent reads the label columns " + labels + " as target probabilities, "
          + "but " + dataName + " " + error);
    }
  }

}
