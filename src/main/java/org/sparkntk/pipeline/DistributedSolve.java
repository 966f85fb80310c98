package org.sparkntk.pipeline;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.blocks.BlockFiles;
import org.sparkntk.blocks.DistributedGram;
import org.sparkntk.blocks.DistributedKernel;
import org.sparkntk.blocks.MatrixFreeKernel;
import org.sparkntk.blocks.LeverageScores;
import org.sparkntk.blocks.NystromCenters;
import org.sparkntk.blocks.SparkGram;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.PhaseTimer;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelOperator;
import org.sparkntk.solver.Lanczos;
import org.sparkntk.solver.NystromProblem;
import org.sparkntk.solver.OperatorProblem;
import org.sparkntk.solver.SolverSettings;
import org.sparkntk.solver.Solvers;
import org.sparkntk.solver.RegressionCheckpoint;

/**
 * The distributed backend of {@link NtkJob}: the training Gram and the cross kernel stay on the
 * executors as {@link DistributedKernel}s and the configured solver runs with products only
 * ({@link FitContext#products}); the spectrum is the top {@code output.eigenvectors} eigenpairs by Lanczos.
 */
public final class DistributedSolve {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedSolve.class);

  private DistributedSolve() {}

  /**
   * @param fit         the solver's result
   * @param spectrum    the top eigenpairs with output.spectrum, else null
   * @param diagnostics what the solver and the kernels did, for metrics.json
   * @param centers     the Nyström centres (training rows, ascending) for solver.type = nystrom, else null
   */
  record Outcome(FitResult fit, Lanczos.Eigenpairs spectrum, Map<String, Object> diagnostics, Built train,
                 Built cross, long[] centers) {}

  /**
   * The files the kernels and the solver write besides the outputs (any may be null):
   * the block checkpoints of the two kernels (output.checkpoint), their block files for
   * output.gram, and the regression's checkpoint.
   */
  record Files(BlockFiles trainCheckpoint, BlockFiles crossCheckpoint, BlockFiles trainExport,
               BlockFiles crossExport, RegressionCheckpoint pcg) {
    static final Files NONE = new Files(null, null, null, null, null);
  }

  /** What building a kernel did: blocks read from its checkpoint, blocks computed, files written for output.gram. */
  record Built(long resumed, long computed, List<BlockFiles.Written> exported) {
    static Built of(DistributedKernel k) {
      return k == null ? null : new Built(k.resumedBlocks(), k.computedBlocks(), k.exported());
    }
  }

  static Outcome run(JavaSparkContext sc, JobConfig config, BlockKernel<?> kernel, JavaRDD<RowBlock> trainBlocks,
                     BlockPlan trainPlan, JavaRDD<RowBlock> testBlocks, BlockPlan testPlan, double[] f0Train,
                     double[] yTrain, double[] f0Test, double[] yTest, int outputs, PhaseTimer timer) {
    return run(sc, config, kernel, trainBlocks, trainPlan, testBlocks, testPlan, f0Train, yTrain, f0Test, yTest,
        outputs, timer, Files.NONE, null);
  }

  /**
   * @param matrixFree the empirical NTK's Jacobian products when kernel.cache = none and
   *                   kernel.type = empirical ({@link #matrixFree(JobConfig, Model)}), else null: the
   *                   kernels are then applied through them and never stored or recomputed as blocks
   */
  static Outcome run(JavaSparkContext sc, JobConfig config, BlockKernel<?> kernel, JavaRDD<RowBlock> trainBlocks,
                     BlockPlan trainPlan, JavaRDD<RowBlock> testBlocks, BlockPlan testPlan, double[] f0Train,
                     double[] yTrain, double[] f0Test, double[] yTest, int outputs, PhaseTimer timer, Files files,
                     JacobianProducts matrixFree) {
    DistributedKernel.Cache cache = DistributedKernel.Cache.fromConfig(config.get(ConfigKeys.KERNEL_CACHE));
    Precision precision = config.get(ConfigKeys.KERNEL_PRECISION);
    String solverType = config.get(ConfigKeys.SOLVER_TYPE);
    if (!Solvers.of(solverType).needsTrainingKernel()) {
      return nystrom(sc, config, kernel, trainBlocks, trainPlan, testBlocks, testPlan, f0Train, yTrain, f0Test, yTest,
          outputs, timer, cache, precision);
    }
    if (matrixFree != null) {
      MatrixFreeKernel train = new MatrixFreeKernel(sc, trainBlocks, trainPlan, trainBlocks, trainPlan, matrixFree,
          "training NTK");
      MatrixFreeKernel cross = testBlocks == null ? null : new MatrixFreeKernel(sc, testBlocks, testPlan, trainBlocks,
          trainPlan, matrixFree, "cross NTK");
      LOG.info(train.describe());
      OperatorProblem problem = new OperatorProblem(train, cross, f0Train, yTrain, f0Test, yTest, outputs);
      Map<String, Object> diagnostics = new LinkedHashMap<>();
      FitContext fitContext = FitContext.products(problem, FitRequests.of(config));
      Lanczos.Eigenpairs spectrum = spectrum(config, timer, train, fitContext.request().settings(), diagnostics);
      FitResult fit = timer.time("solver (" + solverType + ", matrix-free)", fitContext::fit);
      diagnostics.putAll(fitContext.diagnostics());
      diagnostics.put("trainingGramProducts", train.products());
      if (cross != null) {
        diagnostics.put("crossKernelProducts", cross.products());
      }
      diagnostics.put("kernelCache", "none (matrix-free: Θ V = J(Jᵀ V))");
      return new Outcome(fit, spectrum, diagnostics, null, null, null);
    }
    Map<String, Object> diagnostics = new LinkedHashMap<>();
    try (DistributedKernel train = timer.time("training Gram (kept on the executors)", () -> DistributedGram.distributed(
            sc, trainBlocks, trainPlan, null, trainPlan, kernel, precision, cache, "training Gram",
            files.trainCheckpoint(), files.trainExport()));
         DistributedKernel cross = testBlocks == null ? null : timer.time("cross kernel (kept on the executors)",
             () -> DistributedGram.distributed(sc, testBlocks, testPlan, trainBlocks, trainPlan, kernel, precision,
                 crossCache(cache, solverType), "cross kernel", files.crossCheckpoint(), files.crossExport()))) {
      LOG.info(train.describe());
      if (cross != null) {
        LOG.info(cross.describe());
      }
      OperatorProblem problem = new OperatorProblem(train, cross, f0Train, yTrain, f0Test, yTest, outputs);
      FitContext fitContext = FitContext.products(problem, FitRequests.of(config)).withCheckpoint(files.pcg());
      Lanczos.Eigenpairs spectrum = spectrum(config, timer, train, fitContext.request().settings(), diagnostics);
      FitResult fit = timer.time("solver (" + solverType + ", distributed)", fitContext::fit);
      diagnostics.putAll(fitContext.diagnostics());
      diagnostics.put("trainingGramProducts", train.products());
      diagnostics.put("trainingGramStoredBytes", train.storedBytes());
      if (cross != null) {
        diagnostics.put("crossKernelProducts", cross.products());
        diagnostics.put("crossKernelStoredBytes", cross.storedBytes());
      }
      diagnostics.put("kernelCache", cache.configName());
      diagnostics.put("storagePrecision", precision.configName());
      return new Outcome(fit, spectrum, diagnostics, Built.of(train), Built.of(cross), null);
    }
  }

  /** The top output.eigenvectors eigenpairs by Lanczos with output.spectrum, else null. */
  private static Lanczos.Eigenpairs spectrum(JobConfig config, PhaseTimer timer, KernelOperator train,
                                            SolverSettings s, Map<String, Object> diagnostics) {
    if (!config.get(ConfigKeys.OUTPUT_SPECTRUM)) {
      return null;
    }
    int k = config.get(ConfigKeys.OUTPUT_EIGENVECTORS);
    Lanczos.Eigenpairs spectrum = timer.time("spectrum (Lanczos, top " + k + ")",
        () -> Lanczos.largest(train, k, s.eigenTolerance(), s.maxIter(), s.seed(), true));
    diagnostics.put("spectrumLanczosSteps", spectrum.steps());
    return spectrum;
  }

  /**
   * The empirical NTK's Jacobian products for the matrix-free operator: kernel.cache = none with
   * kernel.type = empirical (and no output.gram, whose blocks need the Gram), else null.
   */
  static JacobianProducts matrixFree(JobConfig config, Model model) {
    boolean free = config.get(ConfigKeys.KERNEL_CACHE).equals("none")
        && config.get(ConfigKeys.KERNEL_TYPE).equals("empirical")
        && !Boolean.TRUE.equals(config.get(ConfigKeys.OUTPUT_GRAM)) && model instanceof Mlp;
    return free ? Kernels.matrixFree(config.kernelSpec(), (Mlp) model) : null;
  }

  /**
   * Nyström regression ({@code solver.type = nystrom}): M = solver.centers training rows drawn
   * uniformly or by their ridge leverage (solver.centerSampling, seeded by model.seed) are the
   * centres; Θ(X, C) stays on the executors per kernel.cache, Θ(C, C) comes to the driver
   * (M·k × M·k), and Θ(X*, C) is computed inside the one product that predicts. The training Gram
   * is never built.
   */
  private static Outcome nystrom(JavaSparkContext sc, JobConfig config, BlockKernel<?> kernel,
                                 JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan, JavaRDD<RowBlock> testBlocks,
                                 BlockPlan testPlan, double[] f0Train, double[] yTrain, double[] f0Test,
                                 double[] yTest, int outputs, PhaseTimer timer, DistributedKernel.Cache cache,
                                 Precision precision) {
    FitRequest request = FitRequests.of(config);
    int n = Math.toIntExact(trainPlan.totalRows());
    Map<String, Object> diagnostics = new LinkedHashMap<>();
    long seed = config.get(ConfigKeys.MODEL_SEED);
    long[] centers;
    if (config.get(ConfigKeys.SOLVER_CENTER_SAMPLING).equals("leverage")) {
      double ridge = config.get(ConfigKeys.SOLVER_RIDGE);
      LeverageScores.Sample sample = timer.time("leverage scores of the " + n + " training rows",
          () -> LeverageScores.centers(sc, trainBlocks, trainPlan, kernel, request.centers(), ridge, seed));
      LOG.info(String.format("Nyström centres by ridge leverage at ρ = %s, estimated from a subsample of %d rows: "
          + "effective dimension %.1f", ridge, sample.subsample(), sample.effectiveDimension()));
      diagnostics.put("leverageSubsample", sample.subsample());
      diagnostics.put("effectiveDimension", sample.effectiveDimension());
      centers = sample.centers();
    } else {
      centers = NystromCenters.uniform(n, request.centers(), seed);
    }
    BlockPlan centerPlan = new BlockPlan(centers.length, trainPlan.blockSize());
    JavaRDD<RowBlock> centerBlocks = timer.time("Nyström centres (" + centers.length + " of " + n + " rows)",
        () -> NystromCenters.rows(sc, trainBlocks, centers, centerPlan).cache());
    GramMatrix centerGram = timer.time("centres' kernel Θ(C, C)",
        () -> SparkGram.symmetric(sc, centerBlocks, centerPlan, kernel, "centres' kernel"));
    try (DistributedKernel trainCenters = timer.time("Θ(X, C) (kept on the executors)",
            () -> DistributedGram.againstCenters(sc, trainBlocks, trainPlan, centerBlocks, centerPlan, kernel,
                precision, cache, "Θ(X, C)"));
         DistributedKernel testCenters = testBlocks == null ? null : timer.time("Θ(X*, C)",
             () -> DistributedGram.distributed(sc, testBlocks, testPlan, centerBlocks, centerPlan, kernel, precision,
                 DistributedKernel.Cache.NONE, "Θ(X*, C)"))) {
      LOG.info(trainCenters.describe());
      NystromProblem problem = new NystromProblem(trainCenters, centerGram, testCenters, f0Train, yTrain, f0Test,
          yTest, outputs);
      // Θ(C, C) is read by the solver only: it may become the Cholesky factor in place.
      FitContext fitContext = FitContext.nystrom(problem, request).overwritingCenterGram();
      FitResult fit = timer.time("solver (nystrom, " + centers.length + " centres)", fitContext::fit);
      diagnostics.putAll(fitContext.diagnostics());
      diagnostics.put("centerSampling", config.get(ConfigKeys.SOLVER_CENTER_SAMPLING));
      diagnostics.put("trainCentersProducts", trainCenters.products());
      diagnostics.put("trainCentersStoredBytes", trainCenters.storedBytes());
      diagnostics.put("kernelCache", cache.configName());
      diagnostics.put("storagePrecision", precision.configName());
      return new Outcome(fit, null, diagnostics, Built.of(trainCenters), Built.of(testCenters), centers);
    } finally {
      centerBlocks.unpersist(false);
    }
  }

  /**
   * Regression and the flow apply the cross kernel once (all recorded times in one product), so
   * storing it would only cost memory: it is computed inside that product (or, with a checkpoint
   * or output.gram, written to block files before the solve and read by that product). Steps apply
   * it once per recorded time and keep it per kernel.cache.
   */
  static DistributedKernel.Cache crossCache(DistributedKernel.Cache cache, String solverType) {
    return Solvers.of(solverType).reappliesCrossKernel() ? cache : DistributedKernel.Cache.NONE;
  }
}
