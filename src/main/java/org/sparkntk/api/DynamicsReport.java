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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataException;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.gram.AnalyticNtk;
import org.sparkntk.gram.BlockKernel;
import org.sparkntk.gram.BlockPlan;
import org.sparkntk.gram.GramMatrix;
import org.sparkntk.gram.KernelOutputs;
import org.sparkntk.gram.StructuredNtk;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.output.JobOutputs;
import org.sparkntk.output.OutputFiles;
import org.sparkntk.output.Plots;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.KernelProblem;
import org.sparkntk.solver.KernelSolver;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Spectrum;
import org.sparkntk.spark.RowBlocks;
import org.sparkntk.spark.SparkGram;
import org.sparkntk.spark.TaskMemory;
import org.sparkntk.train.DistributedTrainer;

/**
 * Gradient descent is kernel gradient descent (Jacot et al. 2018, key point 1; Lee et al. 2019),
 * measured: for every width in report.widths (every hidden layer; depth, φ, σ's from model.*) the
 * finite network is trained by full-batch gradient descent on Spark ({@link DistributedTrainer}),
 * and from the same f_0 with the same step η and cost, kernel gradient descent runs with (a) the
 * empirical NTK Θ_0 of that network at initialisation and (b) the analytic limit Θ_∞. Recorded:
 * <ul>
 *   <li>RMSE between the network's outputs and each kernel trajectory at every recorded step, on
 *       training and test rows, and the log-log slope of the final RMSE against width;</li>
 *   <li>‖Θ_T − Θ_0‖_F/‖Θ_0‖_F, how much the empirical NTK moved during training, and its slope
 *       (the "lazy" regime: it vanishes as the width grows);</li>
 *   <li>for mse, at the widest width, the training residual's components along the top
 *       report.components eigenvectors of Θ_0 over time: measured decay rates (least-squares slope
 *       of log‖p_k(t)‖ over t, for the network and for kernel gradient descent, see {@link #rate})
 *       against the predicted −log|1 − ηλ_k/N| ≈ ηλ_k/N per step.</li>
 * </ul>
 * η is solver.lr, or for auto 0.5 × the stable bound of the larger λ_max of Θ_0 and Θ_∞ at the
 * narrowest width (so one η serves every width and both kernels). Writes dynamics.csv,
 * dynamics.json, dynamics_rmse.png, dynamics_trajectories.png and (mse) dynamics_decay.png, then
 * manifest.json ({@link OutputFiles}, as the job).
 */
public final class DynamicsReport {
  private static final Logger LOG = LoggerFactory.getLogger("org.sparkntk");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DynamicsReport() {}

  /** One width's measurements; the trajectories are [recorded step][rows × O]. */
  public record Width(int width, int[] steps, double[] rmseEmpiricalTrain, double[] rmseEmpiricalTest,
                      double[] rmseAnalyticTrain, double[] rmseAnalyticTest, double[] networkCost,
                      double kernelChange, double[][] network, double[][] empirical, double[][] analytic) {}

  /** Decay of the residual along eigenvector k of Θ_0: rates per step. */
  public record Component(int k, double eigenvalue, double predictedRate, double networkRate, double kernelRate) {}

  public record Result(double learningRate, Loss loss, List<Width> widths, double[] rmseEmpiricalSlope,
                       double[] rmseAnalyticSlope, double kernelChangeSlope, List<Component> components,
                       double[][] networkProjections, double[][] kernelProjections) {}

  public static Result run(SparkSession spark, JobConfig config) {
    try (OutputFiles out = OutputFiles.claim(config, "dynamics.json", List.of("dynamics.csv", "dynamics_rmse.png",
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
    int steps = config.get(ConfigKeys.SOLVER_STEPS);
    Integer every = config.get(ConfigKeys.SOLVER_RECORD_EVERY);
    int stride = every != null ? every : Math.max(1, steps / 20);
    int[] record = IntStream.concat(IntStream.iterate(0, s -> s <= steps, s -> s + stride), IntStream.of(steps))
        .distinct().toArray();
    KernelOutputs outputs = config.get(ConfigKeys.KERNEL_OUTPUTS);
    InputMapping mapping = NtkJob.mapping(config, train.featureCount());
    if (!mapping.isFinite()) {
      throw new ConfigException("the dynamics report trains a finite network: input.features = inf does not apply");
    }
    int n = Math.toIntExact(train.count());
    int m = test == null ? 0 : Math.toIntExact(test.count());
    int o = labels.size();
    // the network trained by gradient descent adds its gradient and the next step's parameters
    SizeGuard.reportWidths(widths, mapping.outputs(), depth, o, SizeGuard.JOB_MODEL_COPIES + 2);
    Architecture first = architecture(config, mapping.outputs(), widths[0], depth, o);
    AnalyticNtk limitKernel = new AnalyticNtk(first, outputs, true, ConvergenceReport.quadrature(config));
    int blockSize = NtkJob.blockSize(config, limitKernel, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan trainPlan = new BlockPlan(n, blockSize);
    BlockPlan testPlan = test == null ? null : new BlockPlan(m, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(train, trainPlan, mapping);
    JavaRDD<RowBlock> testBlocks = test == null ? null : RowBlocks.of(test, testPlan, mapping);
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
    long seed = config.get(ConfigKeys.MODEL_SEED);
    for (int wi = 0; wi < widths.length; wi++) {
      int w = widths[wi];
      Architecture arch = architecture(config, mapping.outputs(), w, depth, o);
      Mlp mlp0 = Mlp.initialise(arch, seed);
      double[] f0Train = RowBlocks.outputs(trainBlocks, trainPlan, mlp0);
      double[] f0Test = test == null ? null : RowBlocks.outputs(testBlocks, testPlan, mlp0);
      StructuredNtk empiricalKernel = new StructuredNtk(mlp0, outputs, config.get(ConfigKeys.KERNEL_PRECISION));
      GramMatrix[] theta0 = grams(sc, trainBlocks, trainPlan, testBlocks, testPlan, empiricalKernel,
          "empirical NTK, width " + w);
      GramMatrix[] thetaInf = standard ? grams(sc, trainBlocks, trainPlan, testBlocks, testPlan,
          new AnalyticNtk(arch, outputs, true, ConvergenceReport.quadrature(config)), "analytic NTK, width " + w) : limit;
      if (Double.isNaN(lr)) {
        double lambda = Math.max(KernelSolver.largestEigenvalue(theta0[0].data(), theta0[0].rows()),
            KernelSolver.largestEigenvalue(thetaInf[0].data(), thetaInf[0].rows()));
        lr = lrSetting != null ? lrSetting
            : KernelSolver.AUTO_LR_SAFETY * KernelSolver.stableLearningRateBound(loss, n, lambda);
        LOG.info(String.format(Locale.ROOT, "learning rate η = %.6g for every width (λ_max = %.6g at width %d)", lr,
            lambda, w));
      }
      LOG.info("width {}: training the network for {} steps", w, steps);
      DistributedTrainer.Result net = DistributedTrainer.train(sc, trainBlocks, testBlocks, mlp0, loss, lr, steps,
          record);
      FitResult empirical = new KernelSolver(new KernelProblem(theta0[0], theta0[1], f0Train, yTrain, f0Test, yTest, o),
          loss).steps(lr, steps, record);
      FitResult analytic = new KernelSolver(new KernelProblem(thetaInf[0], thetaInf[1], f0Train, yTrain, f0Test, yTest,
          o), loss).steps(lr, steps, record);
      int r = record.length;
      double[] eTrain = new double[r];
      double[] eTest = new double[r];
      double[] aTrain = new double[r];
      double[] aTest = new double[r];
      double[][] netTrain = net.trainOutputs();
      double[][] empTrain = new double[r][];
      double[][] anaTrain = new double[r][];
      for (int s = 0; s < r; s++) {
        empTrain[s] = empirical.snapshots().get(s).trainPredictions();
        anaTrain[s] = analytic.snapshots().get(s).trainPredictions();
        eTrain[s] = rmse(netTrain[s], empTrain[s]);
        aTrain[s] = rmse(netTrain[s], anaTrain[s]);
        eTest[s] = test == null ? Double.NaN : rmse(net.testOutputs()[s], empirical.snapshots().get(s).testPredictions());
        aTest[s] = test == null ? Double.NaN : rmse(net.testOutputs()[s], analytic.snapshots().get(s).testPredictions());
      }
      GramMatrix thetaT = SparkGram.symmetric(sc, trainBlocks, trainPlan,
          new StructuredNtk(net.finalMlp(), outputs, config.get(ConfigKeys.KERNEL_PRECISION)),
          "empirical NTK after training, width " + w);
      double change = ConvergenceTable.relativeDistance(thetaT.data(), theta0[0].data());
      results.add(new Width(w, record, eTrain, eTest, aTrain, aTest, net.trainCosts(), change, netTrain, empTrain,
          anaTrain));
      LOG.info(String.format(Locale.ROOT, "width %d: RMSE(network − kernel GD) at step %d: Θ_0 %.4g, Θ_∞ %.4g; "
          + "‖Θ_T − Θ_0‖/‖Θ_0‖ = %.4g", w, steps, eTrain[r - 1], aTrain[r - 1], change));
      if (wi == widths.length - 1 && loss == Loss.MSE) {
        int k = Math.min(config.get(ConfigKeys.REPORT_COMPONENTS), theta0[0].rows());
        Spectrum spectrum = Spectrum.of(theta0[0]);
        networkProjections = projections(spectrum, k, netTrain, yTrain);
        kernelProjections = projections(spectrum, k, empTrain, yTrain);
        for (int c = 0; c < k; c++) {
          double lambda = spectrum.values()[c];
          components.add(new Component(c, lambda, -Math.log(Math.abs(1 - lr * lambda / n)),
              rate(record, networkProjections[c], kernelProjections[c]),
              rate(record, kernelProjections[c], kernelProjections[c])));
        }
      }
    }
    trainBlocks.unpersist(false);
    if (testBlocks != null) {
      testBlocks.unpersist(false);
    }
    double[] ws = Arrays.stream(widths).asDoubleStream().toArray();
    Result result = new Result(lr, loss, results,
        ConvergenceTable.fitLogLog(ws, results.stream().mapToDouble(x -> x.rmseEmpiricalTrain()[x.steps().length - 1]).toArray()),
        ConvergenceTable.fitLogLog(ws, results.stream().mapToDouble(x -> x.rmseAnalyticTrain()[x.steps().length - 1]).toArray()),
        ConvergenceTable.fitLogLog(ws, results.stream().mapToDouble(Width::kernelChange).toArray())[0], components, networkProjections,
        kernelProjections);
    LOG.info(String.format(Locale.ROOT, "log-log slopes against width: RMSE vs Θ_0 %.3f, RMSE vs Θ_∞ %.3f, "
        + "kernel change %.3f", result.rmseEmpiricalSlope()[0], result.rmseAnalyticSlope()[0],
        result.kernelChangeSlope()));
    write(out, config, result);
    return result;
  }

  private static Architecture architecture(JobConfig config, int inputs, int width, int depth, int outputs) {
    int[] hidden = new int[depth];
    Arrays.fill(hidden, width);
    return Architecture.of(inputs, hidden, outputs, config.get(ConfigKeys.MODEL_ACTIVATION),
        config.get(ConfigKeys.MODEL_PARAMETERIZATION), config.get(ConfigKeys.MODEL_SIGMA_W),
        config.get(ConfigKeys.MODEL_SIGMA_B));
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

  private static void write(OutputFiles out, JobConfig config, Result r) {
    try {
      out.write("dynamics.csv", f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write("width,step,rmse_empirical_train,rmse_empirical_test,rmse_analytic_train,rmse_analytic_test,"
              + "network_train_cost\n");
          for (Width x : r.widths()) {
            for (int s = 0; s < x.steps().length; s++) {
              w.write(String.format(Locale.ROOT, "%d,%d,%s,%s,%s,%s,%s%n", x.width(), x.steps()[s],
                  x.rmseEmpiricalTrain()[s], num(x.rmseEmpiricalTest()[s]), x.rmseAnalyticTrain()[s],
                  num(x.rmseAnalyticTest()[s]), x.networkCost()[s]));
            }
          }
        }
      });
      double[] ws = r.widths().stream().mapToDouble(Width::width).toArray();
      int last = r.widths().get(0).steps().length - 1;
      out.write("dynamics_rmse.png", Plots.xy(String.format(Locale.ROOT,
              "Network vs kernel gradient descent after %d steps (slopes %.2f, %.2f)",
              r.widths().get(0).steps()[last], r.rmseEmpiricalSlope()[0], r.rmseAnalyticSlope()[0]),
          "hidden width", "RMSE on training rows / relative kernel change", true,
          new Plots.Series("RMSE vs kernel GD with Θ_0", ws,
              r.widths().stream().mapToDouble(x -> x.rmseEmpiricalTrain()[last]).toArray(), true),
          new Plots.Series("RMSE vs kernel GD with Θ_∞", ws,
              r.widths().stream().mapToDouble(x -> x.rmseAnalyticTrain()[last]).toArray(), true),
          new Plots.Series("‖Θ_T − Θ_0‖/‖Θ_0‖", ws, r.widths().stream().mapToDouble(Width::kernelChange).toArray(),
              true)));
      List<Plots.Series> traj = new ArrayList<>();
      // the narrowest and the widest width; one series each, also when report.widths has one width
      for (Width x : r.widths().size() == 1 ? r.widths()
          : List.of(r.widths().get(0), r.widths().get(r.widths().size() - 1))) {
        double[] t = Arrays.stream(x.steps()).asDoubleStream().toArray();
        traj.add(new Plots.Series("network, width " + x.width() + " (row 0, output 0)", t, column(x.network()), false));
        traj.add(new Plots.Series("kernel GD with Θ_0, width " + x.width(), t, column(x.empirical()), true));
      }
      Width widest = r.widths().get(r.widths().size() - 1);
      traj.add(new Plots.Series("kernel GD with Θ_∞", Arrays.stream(widest.steps()).asDoubleStream().toArray(),
          column(widest.analytic()), true));
      out.write("dynamics_trajectories.png", Plots.xy("Output f_t(x_0) during training", "step t", "f_t(x_0)",
          false, traj.toArray(Plots.Series[]::new)));
      if (!r.components().isEmpty()) {
        List<Plots.Series> decay = new ArrayList<>();
        double[] t = Arrays.stream(widest.steps()).asDoubleStream().toArray();
        for (int c = 0; c < Math.min(3, r.components().size()); c++) {
          Component comp = r.components().get(c);
          double[] measured = r.networkProjections()[c].clone();
          double start = measured[0];
          double[] predicted = new double[t.length];
          for (int s = 0; s < t.length; s++) {
            measured[s] /= start;
            predicted[s] = Math.exp(-comp.predictedRate() * t[s]);
          }
          decay.add(new Plots.Series("network, component " + c, t, measured, false));
          decay.add(new Plots.Series(String.format(Locale.ROOT, "predicted e^{−ηtλ_%d/N}", c), t, predicted, true));
        }
        out.write("dynamics_decay.png", Plots.xy("Training residual along the top eigenvectors of Θ_0, width "
            + widest.width(), "step t", "‖p_k(t)‖ / ‖p_k(0)‖", false, true, decay.toArray(Plots.Series[]::new)));
      }
      ObjectNode root = JSON.createObjectNode();
      root.put("loss", r.loss().configName());
      root.put("learningRate", r.learningRate());
      root.put("kernelOutputs", config.get(ConfigKeys.KERNEL_OUTPUTS).configName());
      root.put("rmseEmpiricalSlope", r.rmseEmpiricalSlope()[0]);
      root.put("rmseAnalyticSlope", r.rmseAnalyticSlope()[0]);
      root.put("kernelChangeSlope", r.kernelChangeSlope());
      ArrayNode widths = root.putArray("widths");
      for (Width x : r.widths()) {
        ObjectNode o = widths.addObject();
        int l = x.steps().length - 1;
        o.put("width", x.width());
        o.put("steps", x.steps()[l]);
        o.put("rmseEmpiricalTrain", x.rmseEmpiricalTrain()[l]);
        JobOutputs.putNumber(o, "rmseEmpiricalTest", x.rmseEmpiricalTest()[l]);
        o.put("rmseAnalyticTrain", x.rmseAnalyticTrain()[l]);
        JobOutputs.putNumber(o, "rmseAnalyticTest", x.rmseAnalyticTest()[l]);
        o.put("kernelChange", x.kernelChange());
        o.put("networkTrainCostStart", x.networkCost()[0]);
        o.put("networkTrainCostEnd", x.networkCost()[l]);
      }
      ArrayNode comps = root.putArray("components");
      for (Component c : r.components()) {
        ObjectNode o = comps.addObject();
        o.put("k", c.k());
        o.put("eigenvalue", c.eigenvalue());
        o.put("predictedRate", c.predictedRate());
        JobOutputs.putNumber(o, "networkRate", c.networkRate());
        JobOutputs.putNumber(o, "kernelRate", c.kernelRate());
      }
      JobOutputs.putSettings(root, config);
      out.write("dynamics.json", f -> JSON.writeValue(f.toFile(), root));
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the dynamics report to " + out.dir() + " failed: " + e.getMessage(), e);
    }
  }

  private static double[] column(double[][] trajectory) {
    return Arrays.stream(trajectory).mapToDouble(f -> f[0]).toArray();
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }
}
