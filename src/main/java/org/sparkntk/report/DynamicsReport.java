package org.sparkntk.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
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
import org.sparkntk.data.DataException;
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
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.SizeGuard;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitRequest;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.StepSize;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Spectrum;
import org.sparkntk.train.DistributedTrainer;

/**
 * Gradient descent is kernel gradient descent (Jacot et al. 2018; Lee et al. 2019; docs/THEORY.md §5),
 * measured: for every width in report.widths (every hidden layer; depth, φ, σ's from model.*) and each
 * of report.seeds initialisations (seeds model.seed, model.seed + 1, …), the finite network is trained
 * by full-batch gradient descent on Spark ({@link DistributedTrainer}), and from the same f_0 with the
 * same step η and cost, kernel gradient descent runs with (a) the empirical NTK Θ_0 of that network at
 * initialisation and (b) the analytic limit Θ_∞. Recorded per run (width, seed):
 * <ul>
 *   <li>RMSE between the network's outputs and each kernel trajectory at every recorded step, on
 *       training and test rows, and the final training RMSE divided by rms(f_0 − y), the run's own
 *       initial residual (the distance to kernel gradient descent scales with how far training moves
 *       the outputs);</li>
 *   <li>‖Θ_T − Θ_0‖_F/‖Θ_0‖_F, how much the empirical NTK moved during training (the "lazy" regime:
 *       it vanishes as the width grows);</li>
 *   <li>for mse, at the widest width and the first seed, the training residual's components along the
 *       top report.components eigenvectors of Θ_0 over time: measured decay rates (least-squares slope
 *       of log‖p_k(t)‖ over t, for the network and for kernel gradient descent, see {@link #rate})
 *       against the predicted −log|1 − ηλ_k/N| ≈ ηλ_k/N per step.</li>
 * </ul>
 * Per width, each final quantity's median and range over the seeds; against width, two log-log slopes:
 * through the per-width medians, and pooled over every run with a 95 % confidence interval
 * ({@link LogLogFit}). With one seed both are the single run's slope.
 *
 * <p>Cost: the seeds of a width share everything that does not depend on the initialisation. The data
 * are read and blocked once and cached; Θ_∞ is computed once (ntk parameterisation); the networks of
 * all seeds train together, one Spark job per step for all of them ({@link DistributedTrainer#trainAll},
 * the blocks coalesced to one partition per core so that each task sums its rows into one gradient per
 * network); and kernel gradient descent starts from the f_0 the trainer records at step 0 instead of
 * computing it again. Per seed remain the Grams Θ_0 (training and cross) and Θ_T, and the arithmetic of
 * the training steps. The driver holds the Θ_0 of every seed of a width until its networks are trained.
 *
 * <p>η is solver.lr, or for auto 0.5 × the stable bound of the larger λ_max of Θ_0 (first seed) and Θ_∞
 * at the narrowest width (so one η serves every width, seed and kernel). Writes dynamics.csv,
 * dynamics.json, dynamics_rmse.png, dynamics_trajectories.png and (mse) dynamics_decay.png, then
 * manifest.json ({@link OutputFiles}, as the job).
 *
 * <p>Over 400 lines because the experiment's result types (Run, Width, Measure, Spread, Slopes,
 * Component, Result, about 100 lines) are defined beside the one report that fills them, as the
 * statistics over runs (medians, slopes, eigen-decay rates) are; the files are written by
 * {@link DynamicsFiles}.
 */
public final class DynamicsReport {
  private static final Logger LOG = LoggerFactory.getLogger(DynamicsReport.class);
  /** Confidence level of the pooled slopes' intervals. */
  public static final double CONFIDENCE = 0.95;

  private DynamicsReport() {}

  /** One initialisation at one width; the trajectories are [recorded step][rows × O]. */
  public record Run(long seed, int[] steps, double[] rmseEmpiricalTrain, double[] rmseEmpiricalTest,
                    double[] rmseAnalyticTrain, double[] rmseAnalyticTest, double[] networkCost,
                    double initialResidual, double kernelChange, double[][] network, double[][] empirical,
                    double[][] analytic) {}

  /** The runs of one width, in seed order. */
  public record Width(int width, List<Run> runs) {
    /** The value of {@code m} for each run. */
    public double[] values(Measure m) {
      return runs.stream().mapToDouble(m::of).toArray();
    }
  }

  /** A final quantity of a run. */
  public enum Measure {
    RMSE_EMPIRICAL_TRAIN("rmseEmpiricalTrain"),
    RMSE_EMPIRICAL_TEST("rmseEmpiricalTest"),
    RMSE_ANALYTIC_TRAIN("rmseAnalyticTrain"),
    RMSE_ANALYTIC_TEST("rmseAnalyticTest"),
    KERNEL_CHANGE("kernelChange"),
    /** RMSE_EMPIRICAL_TRAIN ÷ INITIAL_RESIDUAL of the same run. */
    RMSE_EMPIRICAL_NORMALISED("rmseEmpiricalTrainNormalised"),
    /** RMSE_ANALYTIC_TRAIN ÷ INITIAL_RESIDUAL of the same run. */
    RMSE_ANALYTIC_NORMALISED("rmseAnalyticTrainNormalised"),
    /** rms(f_0 − y) on the training rows. */
    INITIAL_RESIDUAL("initialResidual"),
    COST_START("networkTrainCostStart"),
    COST_END("networkTrainCostEnd");

    private final String key;

    Measure(String key) {
      this.key = key;
    }

    /** Its name in dynamics.json. */
    public String key() {
      return key;
    }

    /** The quantity for one run (at its last recorded step). */
    public double of(Run r) {
      int l = r.steps().length - 1;
      return switch (this) {
        case RMSE_EMPIRICAL_TRAIN -> r.rmseEmpiricalTrain()[l];
        case RMSE_EMPIRICAL_TEST -> r.rmseEmpiricalTest()[l];
        case RMSE_ANALYTIC_TRAIN -> r.rmseAnalyticTrain()[l];
        case RMSE_ANALYTIC_TEST -> r.rmseAnalyticTest()[l];
        case KERNEL_CHANGE -> r.kernelChange();
        case RMSE_EMPIRICAL_NORMALISED -> r.rmseEmpiricalTrain()[l] / r.initialResidual();
        case RMSE_ANALYTIC_NORMALISED -> r.rmseAnalyticTrain()[l] / r.initialResidual();
        case INITIAL_RESIDUAL -> r.initialResidual();
        case COST_START -> r.networkCost()[0];
        case COST_END -> r.networkCost()[l];
      };
    }
  }

  /** The measures whose dependence on the width is fitted. */
  public static final List<Measure> FITTED = List.of(Measure.RMSE_EMPIRICAL_TRAIN, Measure.RMSE_EMPIRICAL_TEST,
      Measure.RMSE_ANALYTIC_TRAIN, Measure.RMSE_ANALYTIC_TEST, Measure.KERNEL_CHANGE,
      Measure.RMSE_EMPIRICAL_NORMALISED, Measure.RMSE_ANALYTIC_NORMALISED);

  /** Median, smallest and largest of a set of runs' values (median of an even count: the mean of the middle two). */
  public record Spread(double median, double min, double max) {
    public static Spread of(double[] values) {
      if (values.length == 0) {
        return new Spread(Double.NaN, Double.NaN, Double.NaN);
      }
      double[] v = values.clone();
      Arrays.sort(v);
      int n = v.length;
      return new Spread(n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]);
    }
  }

  /**
   * The dependence of a measure on the width: the slope of log(median) against log(width) through the
   * per-width medians, and the pooled fit of every run with its confidence interval.
   */
  public record Slopes(double medianSlope, LogLogFit pooled) {}

  /** Decay of the residual along eigenvector k of Θ_0: rates per step. */
  public record Component(int k, double eigenvalue, double predictedRate, double networkRate, double kernelRate) {}

  public record Result(double learningRate, Loss loss, List<Width> widths, Map<Measure, Slopes> slopes,
                       List<Component> components, double[][] networkProjections, double[][] kernelProjections) {
    /** The slopes of {@code m} (NaN when its values are not all positive and finite, e.g. without test rows). */
    public Slopes slopes(Measure m) {
      return slopes.get(m);
    }
  }

  public static Result run(SparkSession spark, JobConfig config) {
    try (OutputFiles out = OutputFiles.claim(config, () -> spark.sparkContext().hadoopConfiguration(),
        "dynamics.json", List.of("dynamics.csv", "dynamics_rmse.png",
        "dynamics_trajectories.png", "dynamics_decay.png"))) {
      return run(spark, config, out);
    }
  }

  private static Result run(SparkSession spark, JobConfig config, OutputFiles out) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> labels = config.labels();
    String trainPath = config.get(ConfigKeys.DATA_TRAIN);
    String testPath = config.get(ConfigKeys.DATA_TEST);
    int maxFeatures = config.get(ConfigKeys.DATA_MAX_FEATURES);
    LabeledData train = DataReader.examples("data.train (" + trainPath + ")", DataReader.read(spark, "data.train",
        trainPath, config.format(), config.get(ConfigKeys.DATA_HEADER), maxFeatures), labels, true, maxFeatures);
    LabeledData test = testPath == null ? null : DataReader.examples("data.test (" + testPath + ")",
        DataReader.read(spark, "data.test", testPath, config.format(), config.get(ConfigKeys.DATA_HEADER), maxFeatures),
        labels, true, maxFeatures);
    if (test != null && test.featureCount() != train.featureCount()) {
      throw new DataException("data.test has " + test.featureCount() + " feature columns but data.train has "
          + train.featureCount());
    }
    int depth = config.get(ConfigKeys.MODEL_HIDDEN).length;
    if (depth == 0) {
      throw new ConfigException("the dynamics report needs at least one hidden layer: model.hidden is empty");
    }
    if (config.get(ConfigKeys.SOLVER_F0).equals("zero")) {
      throw new ConfigException("the dynamics report compares the network with kernel gradient descent from the "
          + "network's own f_0; solver.f0 = zero does not apply");
    }
    Loss loss = config.get(ConfigKeys.SOLVER_LOSS);
    int[] widths = config.get(ConfigKeys.REPORT_WIDTHS).clone();
    Arrays.sort(widths);
    int seeds = config.get(ConfigKeys.REPORT_SEEDS);
    int steps = config.get(ConfigKeys.SOLVER_STEPS);
    Integer every = config.get(ConfigKeys.SOLVER_RECORD_EVERY);
    int stride = every != null ? every : Math.max(1, steps / 20);
    int[] record = IntStream.concat(IntStream.iterate(0, s -> s <= steps, s -> s + stride), IntStream.of(steps))
        .distinct().toArray();
    KernelOutputs outputs = config.get(ConfigKeys.KERNEL_OUTPUTS);
    InputMapping mapping = JobComponents.mapping(config, train.featureCount());
    if (!mapping.isFinite()) {
      throw new ConfigException("the dynamics report trains a finite network: input.features = inf does not apply");
    }
    int n = Math.toIntExact(train.count());
    int m = test == null ? 0 : Math.toIntExact(test.count());
    int o = labels.size();
    // the network trained by gradient descent adds its gradient and the next step's parameters
    SizeGuard.reportWidths(widths, mapping.outputs(), depth, o, SizeGuard.JOB_MODEL_COPIES + 2);
    Architecture first = architecture(config, mapping.outputs(), widths[0], depth, o);
    KernelSpec spec = config.kernelSpec().withOutputs(outputs);
    AnalyticNtk limitKernel = Kernels.limit(spec, first);
    int blockSize = JobComponents.blockSize(config, limitKernel, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan trainPlan = new BlockPlan(n, blockSize);
    BlockPlan testPlan = test == null ? null : new BlockPlan(m, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(train, trainPlan, mapping);
    JavaRDD<RowBlock> testBlocks = test == null ? null : RowBlocks.of(test, testPlan, mapping);
    // The trainer reads the same cached blocks through one partition per core: a task then adds its
    // blocks' gradients into one sum per network, and the driver receives defaultParallelism sums per
    // step instead of one per block (at width 1024 each is 8 MB). Only the order of the additions changes.
    JavaRDD<RowBlock> trainerBlocks = coalesced(trainBlocks, sc.defaultParallelism());
    JavaRDD<RowBlock> trainerTestBlocks = testBlocks == null ? null : coalesced(testBlocks, sc.defaultParallelism());
    double[] yTrain = RowBlocks.labels(trainBlocks, trainPlan, o);
    double[] yTest = test == null ? null : RowBlocks.labels(testBlocks, testPlan, o);
    boolean standard = first.parameterization() == Parameterization.STANDARD;
    GramMatrix[] limit = standard ? null : grams(sc, trainBlocks, trainPlan, testBlocks, testPlan, limitKernel,
        "analytic NTK");

    Double lrSetting = config.get(ConfigKeys.SOLVER_LR);
    double lr = Double.NaN;
    List<Width> results = new ArrayList<>();
    double[][] networkProjections = null;
    double[][] kernelProjections = null;
    List<Component> components = new ArrayList<>();
    long seed0 = config.get(ConfigKeys.MODEL_SEED);
    for (int wi = 0; wi < widths.length; wi++) {
      int w = widths[wi];
      Architecture arch = architecture(config, mapping.outputs(), w, depth, o);
      GramMatrix[] thetaInf = standard ? grams(sc, trainBlocks, trainPlan, testBlocks, testPlan,
          Kernels.limit(spec, arch), "analytic NTK, width " + w) : limit;
      List<Mlp> initial = new ArrayList<>(seeds);
      List<GramMatrix[]> theta0 = new ArrayList<>(seeds);
      for (int s = 0; s < seeds; s++) {
        Mlp mlp0 = Mlp.initialise(arch, seed0 + s);
        initial.add(mlp0);
        theta0.add(grams(sc, trainBlocks, trainPlan, testBlocks, testPlan,
            Kernels.empirical(spec, mlp0),
            "empirical NTK, width " + w + (seeds == 1 ? "" : ", seed " + (seed0 + s))));
      }
      if (Double.isNaN(lr)) {
        double lambda = Math.max(StepSize.largestEigenvalue(theta0.get(0)[0].data(), theta0.get(0)[0].rows()),
            StepSize.largestEigenvalue(thetaInf[0].data(), thetaInf[0].rows()));
        lr = lrSetting != null ? lrSetting : StepSize.auto(loss, n, lambda);
        LOG.info(String.format(Locale.ROOT, "learning rate η = %.6g for every width (λ_max = %.6g at width %d)", lr,
            lambda, w));
      }
      LOG.info("width {}: training {} for {} steps", w, seeds == 1 ? "the network" : seeds + " networks", steps);
      List<DistributedTrainer.Result> nets = DistributedTrainer.trainAll(sc, trainerBlocks, trainerTestBlocks,
          initial, loss, lr, steps, record);
      List<Run> runs = new ArrayList<>(seeds);
      for (int s = 0; s < seeds; s++) {
        DistributedTrainer.Result net = nets.get(s);
        GramMatrix[] t0 = theta0.get(s);
        // f_0 as the trainer computed it at step 0 (record starts at 0): the same outputs of the same
        // network on the same blocks as RowBlocks.outputs, without another pass over the data
        double[] f0Train = net.trainOutputs()[0];
        double[] f0Test = test == null ? null : net.testOutputs()[0];
        FitRequest stepsRequest = FitRequest.steps(loss, lr, steps, record);
        FitResult empirical = FitContext.dense(new KernelProblem(t0[0], t0[1], f0Train, yTrain, f0Test, yTest, o),
            stepsRequest).fit();
        FitResult analytic = FitContext.dense(new KernelProblem(thetaInf[0], thetaInf[1], f0Train, yTrain, f0Test,
            yTest, o), stepsRequest).fit();
        int r = record.length;
        double[] eTrain = new double[r];
        double[] eTest = new double[r];
        double[] aTrain = new double[r];
        double[] aTest = new double[r];
        double[][] netTrain = net.trainOutputs();
        double[][] empTrain = new double[r][];
        double[][] anaTrain = new double[r][];
        for (int k = 0; k < r; k++) {
          empTrain[k] = empirical.snapshots().get(k).trainPredictions();
          anaTrain[k] = analytic.snapshots().get(k).trainPredictions();
          eTrain[k] = rmse(netTrain[k], empTrain[k]);
          aTrain[k] = rmse(netTrain[k], anaTrain[k]);
          eTest[k] = test == null ? Double.NaN : rmse(net.testOutputs()[k],
              empirical.snapshots().get(k).testPredictions());
          aTest[k] = test == null ? Double.NaN : rmse(net.testOutputs()[k],
              analytic.snapshots().get(k).testPredictions());
        }
        GramMatrix thetaT = SparkGram.symmetric(sc, trainBlocks, trainPlan,
            Kernels.empirical(spec, net.finalMlp()),
            "empirical NTK after training, width " + w + (seeds == 1 ? "" : ", seed " + (seed0 + s)));
        double change = ConvergenceTable.relativeDistance(thetaT.data(), t0[0].data());
        Run run = new Run(seed0 + s, record, eTrain, eTest, aTrain, aTest, net.trainCosts(), rmse(f0Train, yTrain),
            change, netTrain, empTrain, anaTrain);
        runs.add(run);
        LOG.info(String.format(Locale.ROOT, "width %d%s: RMSE(network − kernel GD) at step %d: Θ_0 %.4g, Θ_∞ %.4g; "
                + "‖Θ_T − Θ_0‖/‖Θ_0‖ = %.4g; rms(f_0 − y) = %.4g", w, seeds == 1 ? "" : ", seed " + (seed0 + s),
            steps, eTrain[r - 1], aTrain[r - 1], change, run.initialResidual()));
        if (s == 0 && wi == widths.length - 1 && loss == Loss.MSE) {
          int k = Math.min(config.get(ConfigKeys.REPORT_COMPONENTS), t0[0].rows());
          Spectrum spectrum = Spectrum.of(t0[0]);
          networkProjections = projections(spectrum, k, netTrain, yTrain);
          kernelProjections = projections(spectrum, k, empTrain, yTrain);
          for (int c = 0; c < k; c++) {
            double lambda = spectrum.values()[c];
            components.add(new Component(c, lambda, -Math.log(Math.abs(1 - lr * lambda / n)),
                rate(record, networkProjections[c], kernelProjections[c]),
                rate(record, kernelProjections[c], kernelProjections[c])));
          }
        }
        theta0.set(s, null);
      }
      results.add(new Width(w, runs));
    }
    trainBlocks.unpersist(false);
    if (testBlocks != null) {
      testBlocks.unpersist(false);
    }
    Map<Measure, Slopes> slopes = new EnumMap<>(Measure.class);
    for (Measure measure : FITTED) {
      slopes.put(measure, slopes(results, measure));
    }
    Result result = new Result(lr, loss, results, slopes, components, networkProjections, kernelProjections);
    LOG.info(String.format(Locale.ROOT, "log-log slopes against width (median; pooled with %.0f %% interval): "
            + "RMSE vs Θ_0 %s, RMSE vs Θ_∞ %s, kernel change %s", 100 * CONFIDENCE,
        describe(result.slopes(Measure.RMSE_EMPIRICAL_TRAIN)), describe(result.slopes(Measure.RMSE_ANALYTIC_TRAIN)),
        describe(result.slopes(Measure.KERNEL_CHANGE))));
    DynamicsFiles.write(out, config, result);
    return result;
  }

  /** The slopes of {@code m} over the widths' runs; NaN when a value is not positive and finite. */
  static Slopes slopes(List<Width> widths, Measure m) {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    double[] ws = new double[widths.size()];
    double[] medians = new double[widths.size()];
    boolean positive = true;
    for (int i = 0; i < widths.size(); i++) {
      Width w = widths.get(i);
      ws[i] = w.width();
      double[] v = w.values(m);
      medians[i] = Spread.of(v).median();
      for (double value : v) {
        positive &= value > 0 && Double.isFinite(value);
        x.add((double) w.width());
        y.add(value);
      }
    }
    if (!positive) {
      return new Slopes(Double.NaN, LogLogFit.of(new double[0], new double[0], CONFIDENCE));
    }
    return new Slopes(ConvergenceTable.fitLogLog(ws, medians)[0], LogLogFit.of(
        x.stream().mapToDouble(Double::doubleValue).toArray(), y.stream().mapToDouble(Double::doubleValue).toArray(),
        CONFIDENCE));
  }

  private static String describe(Slopes s) {
    return String.format(Locale.ROOT, "%.3f; %.3f [%.3f, %.3f]", s.medianSlope(), s.pooled().slope(),
        s.pooled().lower(), s.pooled().upper());
  }

  /** {@code blocks} read through at most {@code partitions} partitions (no shuffle), or as they are. */
  private static JavaRDD<RowBlock> coalesced(JavaRDD<RowBlock> blocks, int partitions) {
    return blocks.getNumPartitions() > partitions ? blocks.coalesce(partitions) : blocks;
  }

  private static Architecture architecture(JobConfig config, int inputs, int width, int depth, int outputs) {
    return config.architecture(inputs, JobConfig.uniformHidden(width, depth), outputs);
  }


  /** {Θ(X, X), Θ(X*, X) or null}. */
  private static GramMatrix[] grams(JavaSparkContext sc, JavaRDD<RowBlock> train, BlockPlan trainPlan,
                                    JavaRDD<RowBlock> test, BlockPlan testPlan, BlockKernel<?> kernel, String what) {
    return new GramMatrix[] {SparkGram.symmetric(sc, train, trainPlan, kernel, what),
        test == null ? null : SparkGram.cross(sc, test, testPlan, train, trainPlan, kernel, what + " (cross)")};
  }

  static double rmse(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(s / a.length);
  }

  /**
   * ‖p_k(t)‖ per component and recorded step, p_k = V_kᵀ(f_t − Y) (the norm over output columns
   * for a trace kernel), [k][step].
   */
  private static double[][] projections(Spectrum spectrum, int k, double[][] outputs, double[] y) {
    double[][] out = new double[k][outputs.length];
    for (int s = 0; s < outputs.length; s++) {
      double[] residual = new double[y.length];
      for (int i = 0; i < y.length; i++) {
        residual[i] = outputs[s][i] - y[i];
      }
      double[] p = spectrum.project(residual, k);
      int c = p.length / k;
      for (int j = 0; j < k; j++) {
        double sq = 0;
        for (int q = 0; q < c; q++) {
          sq += p[j * c + q] * p[j * c + q];
        }
        out[j][s] = Math.sqrt(sq);
      }
    }
    return out;
  }

  /**
   * The decay rate per step of a component, −slope of log‖p(t)‖ against t by least squares over the
   * recorded steps where kernel gradient descent's component {@code reference} is still above 1 % of
   * its start: past that the network's component sits at its O(1/√width) distance from the kernel
   * trajectory rather than decaying, and a rate fitted there would measure that floor. NaN when
   * fewer than two recorded steps qualify (a mode that decays within one recording stride).
   */
  static double rate(int[] steps, double[] norms, double[] reference) {
    List<double[]> points = new ArrayList<>();
    for (int s = 0; s < steps.length; s++) {
      if (reference[s] >= 1e-2 * reference[0] && norms[s] > 0) {
        points.add(new double[] {steps[s], Math.log(norms[s])});
      }
    }
    if (points.size() < 2) {
      return Double.NaN;
    }
    double[] fit = ConvergenceTable.fitLine(points.stream().mapToDouble(p -> p[0]).toArray(),
        points.stream().mapToDouble(p -> p[1]).toArray());
    return -fit[0];
  }

}
