package org.sparkntk.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.blocks.BlockFiles;
import org.sparkntk.blocks.BlockKey;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.blocks.TaskMemory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataException;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.data.Standardization;
import org.sparkntk.io.BlockIndex;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.JobOutputs;
import org.sparkntk.io.ModelStore;
import org.sparkntk.io.Npy;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.PcgCheckpoint;
import org.sparkntk.io.PhaseTimer;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.kernel.Precision;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.solver.CrossEntropy;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.KernelSolver;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.OperatorSolver;
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
  static final int MAX_AUTO_BLOCK = 1024;

  private NtkJob() {}

  /** Runs the job of a configuration that names its data files (data.train, data.test) and output.dir. */
  public static NtkRun run(SparkSession spark, JobConfig config) {
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    if (trainPath == null) {
      throw new ConfigException("missing required key data.train: " + ConfigKeys.DATA_TRAIN.description());
    }
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
    LabeledData rawTrain = timer.time("read training data",
        () -> DataReader.firstRows(DataReader.examples(trainName, trainDs, labels, true, maxFeatures), trainRows));
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
    InputMapping mapping = mapping(config, train.featureCount());
    Model model = model(config, mapping.isFinite() ? mapping.outputs() : mapping.inputs(), labels.size());
    BlockKernel<?> kernel = kernel(config, model, mapping);
    SizeGuard.perRow(kernel, TaskMemory.budgetBytes(sc));
    boolean zeroF0 = startsFromZero(config);
    if (!mapping.isFinite() && !zeroF0) {
      throw new ConfigException("input.features = inf has no finite network to give the outputs f_0; set "
          + "solver.f0 = zero (the mean over initialisations) or auto, not network");
    }
    int n = Math.toIntExact(train.count());
    int m = test == null ? 0 : Math.toIntExact(test.count());
    String solverType = config.get(ConfigKeys.SOLVER_TYPE);
    boolean spectrumWanted = config.get(ConfigKeys.OUTPUT_SPECTRUM);
    SolverBackend backend = SolverBackend.choose(config, n, m, kernel.rowsPerExample(), labels.size(), solverType,
        spectrumWanted);
    int eigenvectors = config.get(ConfigKeys.OUTPUT_EIGENVECTORS);
    if (backend.distributed()) {
      checkDistributedOutputs(config, spectrumWanted, eigenvectors);
    }
    if (eigenvectors > (long) n * kernel.rowsPerExample()) {
      throw new ConfigException("output.eigenvectors = " + eigenvectors + " but the training Gram has only "
          + (long) n * kernel.rowsPerExample() + " eigenvalues (" + n + " training rows × " + kernel.rowsPerExample()
          + " kernel rows per example)");
    }
    int blockSize = blockSize(config, kernel, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    SizeGuard.blocks(n, m, blockSize, config.get(ConfigKeys.KERNEL_BLOCK_SIZE) != null);
    if (!solverType.equals("regression")) {
      SizeGuard.records(config.get(ConfigKeys.SOLVER_STEPS), config.get(ConfigKeys.SOLVER_RECORD_EVERY), n, m,
          labels.size(), SizeGuard.driverModelLimit());
    }
    LOG.info("{} training rows, {} test rows; model: {}; kernel: {}; {} rows per block", n, m, model.describe(),
        kernel.describe(), blockSize);
    LOG.info("solver backend: {} ({})", backend.configName(), backend.reason());

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
          testBlocks, testPlan, yTrain, f0Train, f0Test, yTest, n, m, backend, timer);
    }

    GramCheckpoint[] checkpoints = out == null || !config.get(ConfigKeys.OUTPUT_CHECKPOINT) ? null
        : timer.time("checkpoint", () -> openCheckpoints(out, config, model, kernel, trainBlocks, trainPlan,
            testBlocks, testPlan));
    GramMatrix trainGram = timer.time("training Gram", () -> SparkGram.symmetric(sc, trainBlocks, trainPlan, kernel,
        "training Gram", checkpoints == null ? null : checkpoints[0]));
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
    FitResult fit = timer.time("solver (" + solverType + ")", () -> solve(config, problem, spectrum));
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
            null, metrics, timer);
        // The outputs are complete (manifest.json written): the blocks are no longer needed.
        out.delete(GramCheckpoint.DIR);
      } catch (IOException e) {
        throw new UncheckedIOException("writing outputs to " + outputLocation + " failed: " + e.getMessage(), e);
      }
    }
    return new NtkRun(model, mapping, trainGram, crossGram, fit, metrics, outputDir, spectrum, null,
        outputLocation);
  }

  /**
   * The distributed backend ({@link DistributedSolve}): the kernels stay on the executors, the
   * solver uses products only, and the outputs are those of the driver backend without the dense
   * gram.npy / cross.npy (refused up front) and with the top eigenpairs as the spectrum.
   */
  private static NtkRun runDistributed(SparkSession spark, JavaSparkContext sc, JobConfig config, OutputFiles out,
                                       Model model, InputMapping mapping, BlockKernel<?> kernel,
                                       List<String> labels, JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                       JavaRDD<RowBlock> testBlocks, BlockPlan testPlan, double[] yTrain,
                                       double[] f0Train, double[] f0Test, double[] yTest, int n, int m,
                                       SolverBackend backend, PhaseTimer timer) {
    Path outputDir = localDir(out);
    String outputLocation = out == null ? null : out.location();
    boolean checkpoint = out != null && config.get(ConfigKeys.OUTPUT_CHECKPOINT);
    boolean gram = out != null && Boolean.TRUE.equals(config.get(ConfigKeys.OUTPUT_GRAM));
    DistributedSolve.Files files = !checkpoint && !gram ? DistributedSolve.Files.NONE
        : timer.time("checkpoint", () -> {
          try {
            return distributedFiles(sc, out, config, model, kernel, trainBlocks, trainPlan, testBlocks, testPlan,
                yTrain, f0Train, checkpoint, gram);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the block files in " + outputLocation + ": " + e.getMessage(),
                e);
          }
        });
    DistributedSolve.Outcome outcome = DistributedSolve.run(sc, config, kernel, trainBlocks, trainPlan, testBlocks,
        testPlan, f0Train, yTrain, f0Test, yTest, model.outputs(), timer, files);
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
    metrics.put("f0", startsFromZero(config) ? "zero" : "network");
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
          indexBlockFiles(out, GRAM_DIR, "training Gram", files.trainExport(), outcome.train(), n, n, k,
              trainPlan.blockSize(), true);
          if (files.crossExport() != null) {
            indexBlockFiles(out, CROSS_DIR, "cross kernel", files.crossExport(), outcome.cross(), m, n, k,
                trainPlan.blockSize(), false);
          }
        }
        JobOutputs.write(out, config, model, mapping, labels, null, null, yTrain, yTest, fit, null,
            outcome.spectrum(), metrics, timer);
        if (checkpoint) {
          // The outputs are complete (manifest.json written): the blocks and the iterate are no longer needed.
          out.delete(GramCheckpoint.DIR);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("writing outputs to " + outputLocation + " failed: " + e.getMessage(), e);
      }
    }
    return new NtkRun(model, mapping, null, null, fit, metrics, outputDir, null, outcome.spectrum(),
        outputLocation);
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
   * Whether the dynamics start from f_0 = 0 (solver.f0 = zero) rather than the outputs of the model
   * initialised by model.seed (network). solver.f0 = auto keeps the model's own f_0 where the kernel
   * is that model's (kernel.type = empirical, and randomfeatures with finite P: the linearised model
   * of one initialisation), and takes f_0 = 0 where the kernel belongs to no single initialisation
   * (analytic, montecarlo, the randomfeatures P → ∞ limit): adding one random network's outputs to
   * the mean predictor over initialisations makes it one noisy draw of the infinite-width GP
   * posterior instead of its mean (neural-tangents' predict.gradient_descent_mse_ensemble returns the
   * mean, f_0 = 0).
   */
  public static boolean startsFromZero(JobConfig config) {
    return switch (config.get(ConfigKeys.SOLVER_F0)) {
      case "zero" -> true;
      case "network" -> false;
      default -> switch (config.get(ConfigKeys.KERNEL_TYPE)) {
        case "empirical" -> false;
        case "randomfeatures" -> config.get(ConfigKeys.KERNEL_FEATURES) == null;
        default -> true;
      };
    };
  }

  /**
   * The checkpoints of the training Gram and (with test rows) the cross kernel under
   * output.dir/checkpoint/. Their fingerprints cover everything a block depends on: the rows the
   * kernel sees (contents and order, after the input mapping), the model's parameters, every
   * setting except solver.*, output.*, report.*, the data paths and kernel.maxDriverBytes, and the
   * block plans; so a rerun with only a new solver reuses the blocks, and new data, a new model
   * or new kernel settings never meet old blocks.
   */
  private static GramCheckpoint[] openCheckpoints(OutputFiles out, JobConfig config, Model model,
                                                  BlockKernel<?> kernel, JavaRDD<RowBlock> trainBlocks,
                                                  BlockPlan trainPlan, JavaRDD<RowBlock> testBlocks,
                                                  BlockPlan testPlan) {
    String[] what = gramFingerprintTexts(config, model, kernel, trainBlocks, trainPlan, testBlocks, testPlan);
    int k = kernel.rowsPerExample();
    try {
      GramCheckpoint trainStore = GramCheckpoint.open(out, "training-gram", JobConfig.sha256Hex(what[0]), trainPlan,
          trainPlan, k);
      GramCheckpoint crossStore = testBlocks == null ? null : GramCheckpoint.open(out, "cross-kernel",
          JobConfig.sha256Hex(what[1]), testPlan, trainPlan, k);
      return new GramCheckpoint[] {trainStore, crossStore};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the Gram checkpoint in " + out.location(GramCheckpoint.DIR)
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * What the blocks of the training Gram and (with test rows, else null) the cross kernel depend
   * on, as text for a fingerprint ({@link #openCheckpoints}).
   */
  private static String[] gramFingerprintTexts(JobConfig config, Model model, BlockKernel<?> kernel,
                                               JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                               JavaRDD<RowBlock> testBlocks, BlockPlan testPlan) {
    String settings = config.fingerprint(key -> !key.name().startsWith("solver.") && !key.name().startsWith("output.")
        && !key.name().startsWith("report.") && key != ConfigKeys.DATA_TRAIN && key != ConfigKeys.DATA_TEST
        && key != ConfigKeys.KERNEL_MAX_DRIVER_BYTES);
    String modelDigest = model instanceof Mlp mlp
        ? JobConfig.sha256Hex(mlp.describe() + Arrays.toString(mlp.parameters())) : model.describe();
    String common = "settings " + settings + "\nmodel " + modelDigest + "\nkernel " + kernel.describe()
        + "\nrows per example " + kernel.rowsPerExample();
    String train = common + "\ntraining rows " + RowBlocks.digest(trainBlocks) + " " + trainPlan;
    return new String[] {train,
        testBlocks == null ? null : train + "\ntest rows " + RowBlocks.digest(testBlocks) + " " + testPlan};
  }

  /**
   * The block files of the distributed backend: with output.checkpoint the checkpoints of the
   * training Gram and the cross kernel (checkpoint/training-gram/, checkpoint/cross-kernel/, the
   * executors' block files in kernel.precision; their fingerprint is the driver checkpoint's
   * plus that storage, so the two backends' checkpoints are never mixed) and, for regression,
   * the PCG checkpoint (checkpoint/pcg/); with output.gram the block files gram/ and cross/
   * (a previous run's are deleted first). Every file the executors will write is listed in the
   * journal before the jobs start.
   */
  private static DistributedSolve.Files distributedFiles(JavaSparkContext sc, OutputFiles out, JobConfig config,
                                                         Model model, BlockKernel<?> kernel,
                                                         JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                                         JavaRDD<RowBlock> testBlocks, BlockPlan testPlan,
                                                         double[] yTrain, double[] f0Train, boolean checkpoint,
                                                         boolean gram) throws IOException {
    Precision precision = config.get(ConfigKeys.KERNEL_PRECISION);
    int k = kernel.rowsPerExample();
    BlockFiles trainCheckpoint = null;
    BlockFiles crossCheckpoint = null;
    PcgCheckpoint pcg = null;
    if (checkpoint) {
      String[] what = gramFingerprintTexts(config, model, kernel, trainBlocks, trainPlan, testBlocks, testPlan);
      String storage = "\nstored as block files written by the executors in " + precision.configName();
      String trainPrint = JobConfig.sha256Hex(what[0] + storage);
      trainCheckpoint = blockFiles(sc, out, GramCheckpoint.DIR + "/training-gram", trainPrint, trainPlan, trainPlan,
          k, precision, true);
      if (testBlocks != null) {
        crossCheckpoint = blockFiles(sc, out, GramCheckpoint.DIR + "/cross-kernel",
            JobConfig.sha256Hex(what[1] + storage), testPlan, trainPlan, k, precision, false);
      }
      if (config.get(ConfigKeys.SOLVER_TYPE).equals("regression")) {
        OperatorSolver.Settings s = DistributedSolve.settings(config);
        double[] b = new double[yTrain.length];
        for (int i = 0; i < b.length; i++) {
          b[i] = yTrain[i] - f0Train[i];
        }
        String iterate = JobConfig.sha256Hex(trainPrint + "\nright-hand side Y - f0 " + digest(b) + "\nridge "
            + config.get(ConfigKeys.SOLVER_RIDGE));
        String basis = JobConfig.sha256Hex(trainPrint + "\nNystrom rank " + s.rank() + " seed " + s.seed());
        // X is [N·k × c] with c = O / k right-hand-side columns (OperatorProblem.columns).
        pcg = new PcgCheckpoint(out, iterate, basis, model.outputs() / k);
      }
    }
    BlockFiles trainExport = null;
    BlockFiles crossExport = null;
    if (gram) {
      out.delete(GRAM_DIR);
      trainExport = blockFiles(sc, out, GRAM_DIR, null, trainPlan, trainPlan, k, precision, true);
      out.delete(CROSS_DIR);
      if (testBlocks != null) {
        crossExport = blockFiles(sc, out, CROSS_DIR, null, testPlan, trainPlan, k, precision, false);
      }
    }
    return new DistributedSolve.Files(trainCheckpoint, crossCheckpoint, trainExport, crossExport, pcg);
  }

  /** output.gram's block directories on the distributed backend. */
  static final String GRAM_DIR = "gram";
  static final String CROSS_DIR = "cross";

  /**
   * The block directory {@code rel}: claimed for {@code fingerprint} when it is a checkpoint (null:
   * an output directory), its temporary directory created and every block file listed in the
   * journal before an executor writes it.
   */
  private static BlockFiles blockFiles(JavaSparkContext sc, OutputFiles out, String rel, String fingerprint,
                                       BlockPlan rowPlan, BlockPlan colPlan, int k, Precision precision,
                                       boolean symmetric) throws IOException {
    if (fingerprint != null) {
      GramCheckpoint.claimDirectory(out, rel.substring(rel.indexOf('/') + 1), fingerprint);
    }
    BlockFiles files = new BlockFiles(out.uri(rel), sc.hadoopConfiguration(), rowPlan, colPlan, k, precision, symmetric);
    out.expectFiles(rel, files.keys().stream().map(b -> BlockFiles.fileName(b.row(), b.col())).toList());
    out.workDirectory(rel + "/" + BlockFiles.TEMP_DIR);
    return files;
  }

  /**
   * output.gram on the distributed backend: records the block files the executors wrote under
   * {@code rel} for the manifest (with the size and SHA-256 they reported), removes the
   * temporary directory, and writes {@code rel/index.json} last.
   */
  private static void indexBlockFiles(OutputFiles out, String rel, String name, BlockFiles files,
                                      DistributedSolve.Built built, long rowExamples, long colExamples, int k,
                                      int blockSize, boolean symmetric) throws IOException {
    Map<BlockKey, BlockFiles.Written> byKey = new HashMap<>();
    for (BlockFiles.Written w : built.exported()) {
      byKey.put(new BlockKey(w.row(), w.col()), w);
    }
    List<BlockIndex.Block> blocks = new ArrayList<>();
    for (BlockKey key : files.keys()) {
      BlockFiles.Written w = byKey.get(key);
      if (w == null) {
        throw new IllegalStateException(name + ": block (" + key.row() + ", " + key.col() + ") was not written to "
            + out.location(rel) + " (" + built.exported().size() + " of " + files.keys().size()
            + " block files reported)");
      }
      out.recordWritten(rel + "/" + w.file(), w.size(), w.sha256());
      blocks.add(new BlockIndex.Block(key.row(), key.col(), (long) key.row() * blockSize * k, files.rows(key.row()),
          (long) key.col() * blockSize * k, files.cols(key.col()), w.file()));
    }
    out.delete(rel + "/" + BlockFiles.TEMP_DIR);
    BlockIndex.write(out, rel, new BlockIndex.Matrix(name, rowExamples, colExamples, k,
        files.precision() == Precision.FLOAT64 ? Npy.FLOAT64 : Npy.FLOAT32, blockSize, symmetric), blocks);
  }

  /** SHA-256 of the bytes of {@code v}. */
  private static String digest(double[] v) {
    ByteBuffer buf = ByteBuffer.allocate(8 * v.length);
    buf.asDoubleBuffer().put(v);
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(buf.array()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The kernel of {@code model} as configured. For a network: the analytic infinite-width NTK or
   * NNGP of its architecture (kernel.type = analytic), the mean empirical NTK over kernel.samples
   * initialisations (montecarlo), or its own empirical NTK by kernel.method and kernel.precision.
   * For the random-features model (randomfeatures): K̃ = (1/P) Σ_p f_p f_p' of its basis functions,
   * or the closed-form limit K for the P → ∞ model. A model of the wrong kind for kernel.type
   * (only possible through this method) is refused.
   */
  public static BlockKernel<?> kernel(JobConfig config, Model model) {
    return kernel(config, model, InputMapping.none(model.inputs()));
  }

  /**
   * The kernel on rows already mapped by {@code mapping} ({@link RowBlocks#of(LabeledData, BlockPlan,
   * InputMapping)}); only the Gaussian m → ∞ limit, which has no feature vector, enters the kernel
   * itself (analytic only).
   */
  public static BlockKernel<?> kernel(JobConfig config, Model model, InputMapping mapping) {
    try {
      return Kernels.of(config.kernelSpec(), model, mapping);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /**
   * The input mapping of input.* for {@code inputs} feature columns, or the one saved with
   * model.load (which, like the saved architecture, wins over the keys).
   */
  public static InputMapping mapping(JobConfig config, int inputs) {
    String load = config.get(ConfigKeys.MODEL_LOAD);
    if (load != null) {
      InputMapping saved;
      try {
        saved = ModelStore.loadMapping(Path.of(load));
      } catch (IOException e) {
        throw new ConfigException("model.load = '" + load + "': " + e.getMessage());
      }
      if (saved.kind() != InputMapping.Kind.NONE && saved.inputs() != inputs) {
        throw new ConfigException("model.load = '" + load + "' maps " + saved.inputs() + " input coordinates ("
            + saved.describe() + "), but the data has " + inputs + " feature columns");
      }
      return saved.kind() == InputMapping.Kind.NONE ? InputMapping.none(inputs) : saved;
    }
    double scale = config.get(ConfigKeys.INPUT_SCALE);
    int features = config.get(ConfigKeys.INPUT_FEATURES);
    InputMapping.Kind kind = config.get(ConfigKeys.INPUT_MAPPING);
    if (features == 0 && kind != InputMapping.Kind.GAUSSIAN) {
      throw new ConfigException("input.features = inf exists for input.mapping = gaussian only, not "
          + kind.configName());
    }
    Long seed = config.get(ConfigKeys.INPUT_SEED);
    if (features > 0) {
      SizeGuard.mapping(kind, inputs, features, SizeGuard.driverModelLimit());
    }
    return switch (kind) {
      case NONE -> InputMapping.none(inputs);
      case BASIC -> InputMapping.basic(inputs);
      case POSITIONAL -> InputMapping.positional(inputs, scale, features);
      case GAUSSIAN -> features == 0 ? InputMapping.gaussianLimit(inputs, scale)
          : InputMapping.gaussian(inputs, scale, features, seed != null ? seed : config.get(ConfigKeys.MODEL_SEED));
    };
  }

  /**
   * The model the job starts from, f_0: for kernel.type = randomfeatures the random-features
   * model of kernel.basis, kernel.features and kernel.scale drawn from model.seed (f_0 = 0 for
   * kernel.features = inf); otherwise the network of model.load, or of model.* initialised from
   * model.seed.
   */
  public static Model model(JobConfig config, int inputs, int outputs) {
    if (config.get(ConfigKeys.KERNEL_TYPE).equals("randomfeatures")) {
      RandomFeatures.Basis basis = config.get(ConfigKeys.KERNEL_BASIS);
      Integer features = config.get(ConfigKeys.KERNEL_FEATURES);
      double scale = config.get(ConfigKeys.KERNEL_SCALE);
      if (features != null) {
        SizeGuard.randomFeatures("kernel.features", features, inputs, outputs, SizeGuard.driverModelLimit());
      }
      return features == null ? RandomFeatures.limit(basis, scale, inputs, outputs)
          : RandomFeatures.initialise(basis, features, scale, inputs, outputs, config.get(ConfigKeys.MODEL_SEED));
    }
    return network(config, inputs, outputs);
  }

  static Mlp network(JobConfig config, int inputs, int outputs) {
    String load = config.get(ConfigKeys.MODEL_LOAD);
    if (load != null) {
      Mlp mlp;
      try {
        mlp = ModelStore.load(Path.of(load));
      } catch (IOException e) {
        throw new ConfigException("model.load = '" + load + "': " + e.getMessage());
      }
      Architecture a = mlp.architecture();
      if (a.inputs() != inputs || a.outputs() != outputs) {
        throw new ConfigException("model.load = '" + load + "' has " + a.inputs() + " inputs and " + a.outputs()
            + " outputs, but the data has " + inputs + " feature columns and " + outputs + " label columns");
      }
      return mlp;
    }
    int[] hidden = config.get(ConfigKeys.MODEL_HIDDEN);
    int[] widths = new int[hidden.length + 2];
    widths[0] = inputs;
    System.arraycopy(hidden, 0, widths, 1, hidden.length);
    widths[widths.length - 1] = outputs;
    // montecarlo keeps kernel.samples networks besides the one that gives f_0
    boolean montecarlo = config.get(ConfigKeys.KERNEL_TYPE).equals("montecarlo");
    int samples = montecarlo ? config.get(ConfigKeys.KERNEL_SAMPLES) : 0;
    SizeGuard.network(montecarlo ? "model.hidden with kernel.samples = " + samples : "model.hidden",
        SizeGuard.list(hidden), widths, SizeGuard.JOB_MODEL_COPIES * (1L + samples),
        SizeGuard.driverModelLimit());
    Architecture arch = Architecture.of(inputs, hidden, outputs,
        config.get(ConfigKeys.MODEL_ACTIVATION), config.get(ConfigKeys.MODEL_PARAMETERIZATION),
        config.get(ConfigKeys.MODEL_SIGMA_W), config.get(ConfigKeys.MODEL_SIGMA_B));
    return Mlp.initialise(arch, config.get(ConfigKeys.MODEL_SEED));
  }

  /**
   * kernel.blockSize, or auto: the largest power of two ≤ 1024 whose prepared block and kernel
   * block each take at most 1/8 of a task's memory (so that a tile of several blocks fits),
   * reduced so that there are at least √(8·cores) row blocks (≥ 4·cores block pairs).
   */
  public static int blockSize(JobConfig config, BlockKernel<?> kernel, int rows, int parallelism, long taskBudget) {
    Integer set = config.get(ConfigKeys.KERNEL_BLOCK_SIZE);
    if (set != null) {
      SizeGuard.blocks(rows, 0, set, true);
      return set;
    }
    int k = kernel.rowsPerExample();
    int b = MAX_AUTO_BLOCK;
    while (b > 1 && (kernel.preparedBytes(b) > taskBudget / 8 || 8L * b * k * b * k > taskBudget / 8)) {
      b /= 2;
    }
    int minBlocks = (int) Math.ceil(Math.sqrt(8.0 * parallelism));
    while (b > 16 && (rows + b - 1) / b < minBlocks) {
      b /= 2;
    }
    SizeGuard.blocks(rows, 0, b, false);
    return b;
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

  static FitResult solve(JobConfig config, KernelProblem problem) {
    return solve(config, problem, null);
  }

  /** Runs the configured solver; flow reuses {@code spectrum}, the training Gram's decomposition, when given. */
  static FitResult solve(JobConfig config, KernelProblem problem, Spectrum spectrum) {
    KernelSolver solver = new KernelSolver(problem, config.get(ConfigKeys.SOLVER_LOSS));
    String type = config.get(ConfigKeys.SOLVER_TYPE);
    int steps = config.get(ConfigKeys.SOLVER_STEPS);
    Double lr = config.get(ConfigKeys.SOLVER_LR);
    int[] record = recordedSteps(config, steps);
    return switch (type) {
      case "steps" -> solver.steps(lr == null ? Double.NaN : lr, steps, record);
      case "flow" -> {
        double[] times = config.get(ConfigKeys.SOLVER_TIMES);
        if (times == null) {
          double eta = lr != null ? lr : KernelSolver.AUTO_LR_SAFETY * KernelSolver.stableLearningRateBound(
              problem.trainExamples(), KernelSolver.largestEigenvalue(problem.train().data(), problem.train().rows()));
          times = IntStream.of(record).mapToDouble(s -> eta * s).toArray();
        }
        yield spectrum != null ? solver.flow(times, spectrum) : solver.flow(times);
      }
      case "regression" -> solver.regression(config.get(ConfigKeys.SOLVER_RIDGE));
      default -> throw new ConfigException("solver.type = " + type + " is not supported");
    };
  }

  static int[] recordedSteps(JobConfig config, int steps) {
    Integer every = config.get(ConfigKeys.SOLVER_RECORD_EVERY);
    int e = every != null ? every : Math.max(1, steps / 10);
    return IntStream.concat(IntStream.iterate(0, s -> s < steps, s -> s + e), IntStream.of(steps))
        .distinct().toArray();
  }
}
