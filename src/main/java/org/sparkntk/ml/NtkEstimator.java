package org.sparkntk.ml;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKey;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Mlp;
import org.sparkntk.pipeline.NtkJob;
import org.sparkntk.pipeline.NtkRun;
import scala.Function1;
import scala.Tuple2;

/**
 * The parameters shared by {@link NtkRegressor} and {@link NtkClassifier}: each maps to one job key
 * of the CLI (docs/CONFIG.md, "Configuration keys"), and {@link #settings} turns them into the settings of
 * the {@code JobConfig} that {@code fit} hands to {@code NtkJob.run}, the CLI's code path. Defaults
 * are the CLI's, except where a param's description says otherwise.
 *
 * @param <M> the fitted model
 * @param <E> the concrete estimator, so that setters chain
 */
public abstract class NtkEstimator<M extends NtkModel<M>, E extends NtkEstimator<M, E>> extends Estimator<M>
    implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> featuresCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final IntArrayParam hidden;
  private final Param<String> activation;
  private final DoubleParam sigmaW;
  private final DoubleParam sigmaB;
  private final Param<String> parameterization;
  private final LongParam seed;
  private final Param<String> inputMapping;
  private final DoubleParam inputScale;
  private final IntParam inputFeatures;
  private final Param<String> kernelType;
  private final Param<String> kernelMethod;
  private final IntParam kernelSamples;
  private final Param<String> kernelOutputs;
  private final Param<String> solverType;
  private final IntParam steps;
  private final DoubleParam lr;
  private final DoubleParam flowTime;
  private final DoubleParam ridge;
  private final Param<String> f0;
  private final Param<String> backend;
  private final Param<String> kernelCache;
  private final DoubleParam tol;
  private final IntParam maxIter;
  private final Param<String> preconditioner;
  private final IntParam rank;
  private final IntParam centers;
  private final Param<String> centerSampling;

  protected NtkEstimator(String uid) {
    this.uid = uid;
    featuresCol = new Param<>(this, "featuresCol", "features column, an ml Vector as VectorAssembler produces "
        + "(default: features)");
    labelCol = new Param<>(this, "labelCol", "label column, numeric (default: label)");
    predictionCol = new Param<>(this, "predictionCol", "prediction column (default: prediction)");
    hidden = new IntArrayParam(this, "hidden", "hidden widths n_1 … n_{L−1}, empty for no hidden layer "
        + "(model.hidden; default: 512, 512)", validator((int[] a) -> Arrays.stream(a).allMatch(w -> w > 0)));
    activation = new Param<>(this, "activation", "nonlinearity φ (model.activation): "
        + String.join(", ", Activation.configNames()) + ", or leaky_relu(α) (default: relu)",
        accepts(ConfigKeys.MODEL_ACTIVATION));
    sigmaW = new DoubleParam(this, "sigmaW", "σ_w, the weight scale, > 0 (model.sigmaW; default: 1.0)",
        accepts(ConfigKeys.MODEL_SIGMA_W));
    sigmaB = new DoubleParam(this, "sigmaB", "σ_b, the bias scale, ≥ 0 (model.sigmaB; default: 0.1)",
        accepts(ConfigKeys.MODEL_SIGMA_B));
    parameterization = new Param<>(this, "parameterization", "ntk or standard (model.parameterization; "
        + "default: ntk)", accepts(ConfigKeys.MODEL_PARAMETERIZATION));
    seed = new LongParam(this, "seed", "initialisation seed of the network, and of the Gaussian input mapping's B "
        + "(model.seed; default: 0)");
    inputMapping = new Param<>(this, "inputMapping", "fixed Fourier-feature mapping before the network: none, "
        + "basic, positional or gaussian (input.mapping; default: none)",
        accepts(ConfigKeys.INPUT_MAPPING));
    inputScale = new DoubleParam(this, "inputScale", "σ of the positional and gaussian mappings, > 0 "
        + "(input.scale; default: 10)", accepts(ConfigKeys.INPUT_SCALE));
    inputFeatures = new IntParam(this, "inputFeatures", "frequencies m of the positional and gaussian mappings, "
        + "> 0 (input.features; default: 256; the m → ∞ limit has no network and is not offered here)",
        ParamValidators.gt(0));
    kernelType = new Param<>(this, "kernelType", "empirical (the NTK of the network at initialisation), analytic "
        + "(its infinite-width limit) or montecarlo (the mean empirical NTK of kernelSamples initialisations) "
        + "(kernel.type; default: analytic, unlike the CLI: the most accurate kernel measured, with no seed and no "
        + "per-sample Jacobians)",
        ParamValidators.inArray(new String[] {"empirical", "analytic", "montecarlo"}));
    kernelMethod = new Param<>(this, "kernelMethod", "how the empirical NTK is computed: structured (per-layer "
        + "factors) or jacobian (explicit J Jᵀ) (kernel.method; default: structured)",
        accepts(ConfigKeys.KERNEL_METHOD));
    kernelSamples = new IntParam(this, "kernelSamples", "initialisations averaged by kernelType = montecarlo, > 0 "
        + "(kernel.samples; default: 8)", accepts(ConfigKeys.KERNEL_SAMPLES));
    kernelOutputs = new Param<>(this, "kernelOutputs", "trace (N×N, mean over outputs) or full (NO×NO) "
        + "(kernel.outputs; default: trace)", accepts(ConfigKeys.KERNEL_OUTPUTS));
    solverType = new Param<>(this, "solverType", "steps (kernel gradient descent), flow (its closed form at time "
        + "flowTime) or regression (t → ∞ with ridge) (solver.type; default: regression, unlike the CLI: the "
        + "converged predictor, one Cholesky solve, no step size or stopping time to tune)",
        accepts(ConfigKeys.SOLVER_TYPE));
    steps = new IntParam(this, "steps", "number of steps (steps), and the horizon η·steps of flow when flowTime "
        + "is 0, ≥ 0 (solver.steps; default: 1000)", accepts(ConfigKeys.SOLVER_STEPS));
    lr = new DoubleParam(this, "lr", "step size η, ≥ 0; 0 = auto, half the stable limit (solver.lr; default: 0)",
        ParamValidators.gtEq(0));
    flowTime = new DoubleParam(this, "flowTime", "time τ of the flow, ≥ 0; 0 = η·steps with η = lr "
        + "(solver.times; default: 0)", ParamValidators.gtEq(0));
    ridge = new DoubleParam(this, "ridge", "ridge ρ of regression, (Θ + ρI)⁻¹, ≥ 0 (solver.ridge; default: 1e-3, "
        + "unlike the CLI's 0: it keeps the solve well posed, and test accuracy is flat for ρ from 1e-4 to 1e-2 "
        + "times tr(Θ)/N, which is 0.2 to 1 for inputs of unit scale)",
        accepts(ConfigKeys.SOLVER_RIDGE));
    f0 = new Param<>(this, "f0", "start of the dynamics: network (the initialised network's outputs), zero "
        + "(f_0 = 0, the mean over initialisations) or auto (network for the empirical kernel, zero for analytic "
        + "and montecarlo) (solver.f0; default: auto)",
        accepts(ConfigKeys.SOLVER_F0));
    // The distributed backend's params: their defaults are the config keys' own.
    backend = new Param<>(this, "backend", "where the solver runs: driver (dense kernels collected), distributed "
        + "(the Gram stays on the executors, solvers by products) or auto (driver when the dense kernels fit "
        + "kernel.maxDriverBytes) (solver.backend; default: " + ConfigKeys.SOLVER_BACKEND.defaultValue() + ")",
        accepts(ConfigKeys.SOLVER_BACKEND));
    kernelCache = new Param<>(this, "kernelCache", "distributed backend: where the Gram's blocks stay, memory, disk "
        + "or none (recomputed per product) (kernel.cache; default: " + ConfigKeys.KERNEL_CACHE.defaultValue() + ")",
        accepts(ConfigKeys.KERNEL_CACHE));
    tol = new DoubleParam(this, "tol", "distributed backend: relative residual at which PCG stops, in (0, 1) "
        + "(solver.tol; default: " + ConfigKeys.SOLVER_TOL.defaultValue() + ")", accepts(ConfigKeys.SOLVER_TOL));
    maxIter = new IntParam(this, "maxIter", "distributed backend: most PCG iterations or Lanczos steps, > 0 "
        + "(solver.maxIter; default: " + ConfigKeys.SOLVER_MAX_ITER.defaultValue() + ")",
        accepts(ConfigKeys.SOLVER_MAX_ITER));
    preconditioner = new Param<>(this, "preconditioner", "distributed regression: nystrom or none "
        + "(solver.preconditioner; default: " + ConfigKeys.SOLVER_PRECONDITIONER.defaultValue() + ")",
        accepts(ConfigKeys.SOLVER_PRECONDITIONER));
    rank = new IntParam(this, "rank", "rank of the Nyström preconditioner, > 0 (solver.rank; default: "
        + ConfigKeys.SOLVER_RANK.defaultValue() + ")", accepts(ConfigKeys.SOLVER_RANK));
    centers = new IntParam(this, "centers", "solverType = nystrom: the training rows drawn as Nyström centres, > 0; "
        + "the model keeps only them (solver.centers; default: " + ConfigKeys.SOLVER_CENTERS.defaultValue() + ")",
        accepts(ConfigKeys.SOLVER_CENTERS));
    centerSampling = new Param<>(this, "centerSampling", "solverType = nystrom: uniform, or leverage (by approximate "
        + "ridge leverage scores at ridge > 0) (solver.centerSampling; default: "
        + ConfigKeys.SOLVER_CENTER_SAMPLING.defaultValue() + ")", accepts(ConfigKeys.SOLVER_CENTER_SAMPLING));
    setDefault(backend, ConfigKeys.SOLVER_BACKEND.defaultValue());
    setDefault(kernelCache, ConfigKeys.KERNEL_CACHE.defaultValue());
    setDefault(tol, Double.parseDouble(ConfigKeys.SOLVER_TOL.defaultValue()));
    setDefault(maxIter, Integer.parseInt(ConfigKeys.SOLVER_MAX_ITER.defaultValue()));
    setDefault(preconditioner, ConfigKeys.SOLVER_PRECONDITIONER.defaultValue());
    setDefault(rank, Integer.parseInt(ConfigKeys.SOLVER_RANK.defaultValue()));
    setDefault(centers, Integer.parseInt(ConfigKeys.SOLVER_CENTERS.defaultValue()));
    setDefault(centerSampling, ConfigKeys.SOLVER_CENTER_SAMPLING.defaultValue());
    setDefault(featuresCol, "features");
    setDefault(labelCol, "label");
    setDefault(predictionCol, "prediction");
    setDefault(hidden, new int[] {512, 512});
    setDefault(activation, "relu");
    setDefault(sigmaW, 1.0);
    setDefault(sigmaB, 0.1);
    setDefault(parameterization, "ntk");
    setDefault(seed, 0L);
    setDefault(inputMapping, "none");
    setDefault(inputScale, 10.0);
    setDefault(inputFeatures, 256);
    setDefault(kernelType, "analytic");
    setDefault(kernelMethod, "structured");
    setDefault(kernelSamples, 8);
    setDefault(kernelOutputs, "trace");
    setDefault(solverType, "regression");
    setDefault(steps, 1000);
    setDefault(lr, 0.0);
    setDefault(flowTime, 0.0);
    setDefault(ridge, 1e-3);
    setDefault(f0, "auto");
  }

  /**
   * The validator of a param that sets {@code key}: the key's own parser decides, so a param accepts
   * exactly what the job file accepts for that key (numbers as Java prints them).
   */
  static <T> Function1<T, Object> accepts(ConfigKey<?> key) {
    return validator((T v) -> {
      try {
        key.parse(String.valueOf(v), "");
        return true;
      } catch (ConfigException e) {
        return false;
      }
    });
  }

  @SuppressWarnings("unchecked") // a Scala T => Boolean seen as T => Object, as Spark's ParamValidators are
  static <T> Function1<T, Object> validator(Predicate<T> test) {
    return (Function1<T, Object>) (Function1<T, ?>) (T v) -> test.test(v);
  }

  @Override
  public String uid() {
    return uid;
  }

  @SuppressWarnings("unchecked")
  protected final E self() {
    return (E) this;
  }

  // ---- params (Spark finds them through these public no-argument methods) ----

  public Param<String> featuresCol() { return featuresCol; }
  public Param<String> labelCol() { return labelCol; }
  public Param<String> predictionCol() { return predictionCol; }
  public IntArrayParam hidden() { return hidden; }
  public Param<String> activation() { return activation; }
  public DoubleParam sigmaW() { return sigmaW; }
  public DoubleParam sigmaB() { return sigmaB; }
  public Param<String> parameterization() { return parameterization; }
  public LongParam seed() { return seed; }
  public Param<String> inputMapping() { return inputMapping; }
  public DoubleParam inputScale() { return inputScale; }
  public IntParam inputFeatures() { return inputFeatures; }
  public Param<String> kernelType() { return kernelType; }
  public Param<String> kernelMethod() { return kernelMethod; }
  public IntParam kernelSamples() { return kernelSamples; }
  public Param<String> kernelOutputs() { return kernelOutputs; }
  public Param<String> solverType() { return solverType; }
  public IntParam steps() { return steps; }
  public DoubleParam lr() { return lr; }
  public DoubleParam flowTime() { return flowTime; }
  public DoubleParam ridge() { return ridge; }
  public Param<String> f0() { return f0; }

  public String getFeaturesCol() { return getOrDefault(featuresCol); }
  public String getLabelCol() { return getOrDefault(labelCol); }
  public String getPredictionCol() { return getOrDefault(predictionCol); }
  public int[] getHidden() { return getOrDefault(hidden).clone(); }
  public String getActivation() { return getOrDefault(activation); }
  public double getSigmaW() { return (Double) getOrDefault(sigmaW); }
  public double getSigmaB() { return (Double) getOrDefault(sigmaB); }
  public String getParameterization() { return getOrDefault(parameterization); }
  public long getSeed() { return (Long) getOrDefault(seed); }
  public String getInputMapping() { return getOrDefault(inputMapping); }
  public double getInputScale() { return (Double) getOrDefault(inputScale); }
  public int getInputFeatures() { return (Integer) getOrDefault(inputFeatures); }
  public String getKernelType() { return getOrDefault(kernelType); }
  public String getKernelMethod() { return getOrDefault(kernelMethod); }
  public int getKernelSamples() { return (Integer) getOrDefault(kernelSamples); }
  public String getKernelOutputs() { return getOrDefault(kernelOutputs); }
  public String getSolverType() { return getOrDefault(solverType); }
  public int getSteps() { return (Integer) getOrDefault(steps); }
  public double getLr() { return (Double) getOrDefault(lr); }
  public double getFlowTime() { return (Double) getOrDefault(flowTime); }
  public double getRidge() { return (Double) getOrDefault(ridge); }
  public String getF0() { return getOrDefault(f0); }
  public Param<String> backend() { return backend; }
  public Param<String> kernelCache() { return kernelCache; }
  public DoubleParam tol() { return tol; }
  public IntParam maxIter() { return maxIter; }
  public Param<String> preconditioner() { return preconditioner; }
  public IntParam rank() { return rank; }
  public IntParam centers() { return centers; }
  public Param<String> centerSampling() { return centerSampling; }
  public String getBackend() { return getOrDefault(backend); }
  public String getKernelCache() { return getOrDefault(kernelCache); }
  public double getTol() { return (Double) getOrDefault(tol); }
  public int getMaxIter() { return (Integer) getOrDefault(maxIter); }
  public String getPreconditioner() { return getOrDefault(preconditioner); }
  public int getRank() { return (Integer) getOrDefault(rank); }
  public int getCenters() { return (Integer) getOrDefault(centers); }
  public String getCenterSampling() { return getOrDefault(centerSampling); }
  public E setBackend(String v) { set(backend, v); return self(); }
  public E setKernelCache(String v) { set(kernelCache, v); return self(); }
  public E setTol(double v) { set(tol, v); return self(); }
  public E setMaxIter(int v) { set(maxIter, v); return self(); }
  public E setPreconditioner(String v) { set(preconditioner, v); return self(); }
  public E setRank(int v) { set(rank, v); return self(); }
  public E setCenters(int v) { set(centers, v); return self(); }
  public E setCenterSampling(String v) { set(centerSampling, v); return self(); }

  public E setFeaturesCol(String v) { set(featuresCol, v); return self(); }
  public E setLabelCol(String v) { set(labelCol, v); return self(); }
  public E setPredictionCol(String v) { set(predictionCol, v); return self(); }
  public E setHidden(int... v) { set(hidden, v.clone()); return self(); }
  public E setActivation(String v) { set(activation, v); return self(); }
  public E setSigmaW(double v) { set(sigmaW, v); return self(); }
  public E setSigmaB(double v) { set(sigmaB, v); return self(); }
  public E setParameterization(String v) { set(parameterization, v); return self(); }
  public E setSeed(long v) { set(seed, v); return self(); }
  public E setInputMapping(String v) { set(inputMapping, v); return self(); }
  public E setInputScale(double v) { set(inputScale, v); return self(); }
  public E setInputFeatures(int v) { set(inputFeatures, v); return self(); }
  public E setKernelType(String v) { set(kernelType, v); return self(); }
  public E setKernelMethod(String v) { set(kernelMethod, v); return self(); }
  public E setKernelSamples(int v) { set(kernelSamples, v); return self(); }
  public E setKernelOutputs(String v) { set(kernelOutputs, v); return self(); }
  public E setSolverType(String v) { set(solverType, v); return self(); }
  public E setSteps(int v) { set(steps, v); return self(); }
  public E setLr(double v) { set(lr, v); return self(); }
  public E setFlowTime(double v) { set(flowTime, v); return self(); }
  public E setRidge(double v) { set(ridge, v); return self(); }
  public E setF0(String v) { set(f0, v); return self(); }

  /** The loss, solver.loss: mse for the regressor, the loss param for the classifier. */
  protected abstract String loss();

  /**
   * The job settings these params stand for, with {@code labels} as data.label. Steps record only
   * the first and last step (solver.recordEvery), since the model keeps the last only.
   */
  public Map<String, String> settings(String labels) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("data.label", labels);
    s.put("model.hidden", Arrays.stream(getHidden()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
    s.put("model.activation", getActivation());
    s.put("model.sigmaW", Double.toString(getSigmaW()));
    s.put("model.sigmaB", Double.toString(getSigmaB()));
    s.put("model.parameterization", getParameterization());
    s.put("model.seed", Long.toString(getSeed()));
    s.put("input.mapping", getInputMapping());
    s.put("input.scale", Double.toString(getInputScale()));
    s.put("input.features", Integer.toString(getInputFeatures()));
    s.put("kernel.type", getKernelType());
    s.put("kernel.method", getKernelMethod());
    s.put("kernel.samples", Integer.toString(getKernelSamples()));
    s.put("kernel.outputs", getKernelOutputs());
    s.put("solver.type", getSolverType());
    s.put("solver.loss", loss());
    s.put("solver.f0", getF0());
    s.put("solver.steps", Integer.toString(getSteps()));
    s.put("solver.recordEvery", Integer.toString(Math.max(1, getSteps())));
    s.put("solver.lr", getLr() == 0 ? "auto" : Double.toString(getLr()));
    if (getSolverType().equals("flow") && getFlowTime() > 0) {
      s.put("solver.times", Double.toString(getFlowTime()));
    }
    s.put("solver.ridge", Double.toString(getRidge()));
    s.put("solver.backend", getBackend());
    s.put("kernel.cache", getKernelCache());
    s.put("solver.tol", Double.toString(getTol()));
    s.put("solver.maxIter", Integer.toString(getMaxIter()));
    s.put("solver.preconditioner", getPreconditioner());
    s.put("solver.rank", Integer.toString(getRank()));
    s.put("solver.centers", Integer.toString(getCenters()));
    s.put("solver.centerSampling", getCenterSampling());
    return s;
  }

  /** Checks the input columns: features an ml Vector, label numeric (when present or {@code labelRequired}). */
  protected void validateInput(StructType schema, boolean labelRequired) {
    Schemas.requireVector(schema, getFeaturesCol(), "featuresCol");
    if (labelRequired || Arrays.asList(schema.fieldNames()).contains(getLabelCol())) {
      Schemas.requireNumeric(schema, getLabelCol(), "labelCol");
    }
  }

  /**
   * Runs {@code NtkJob.run(spark, config, train, null)}, the CLI's code path, on {@code train}
   * (exactly the features column and the label columns {@code labels}, comma-separated) and keeps
   * what prediction needs.
   */
  protected DualModel fitDual(Dataset<Row> train, String labels) {
    Map<String, String> settings = settings(labels);
    JobConfig config = JobConfig.of(settings);
    Dataset<Row> cached = train.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      NtkRun run = NtkJob.run(cached.sparkSession(), config, cached, null);
      if (!(run.model() instanceof Mlp network)) {
        throw new IllegalStateException("expected a network, got " + run.model().describe());
      }
      // The same reading order as the job's rows (DataReader numbers the rows of the same cached data
      // by zipWithIndex). Nyström regression's coefficients are those of its centres: only their rows,
      // O(M), are selected on the executors and reach the driver.
      List<Row> rows;
      if (run.centers() == null) {
        rows = cached.select(getFeaturesCol()).collectAsList();
      } else {
        long[] centres = run.centers(); // ascending
        rows = cached.select(getFeaturesCol()).javaRDD().zipWithIndex()
            .filter(t -> Arrays.binarySearch(centres, t._2()) >= 0)
            .collect().stream().sorted(Comparator.comparingLong(Tuple2::_2)).map(Tuple2::_1).toList();
        if (rows.size() != centres.length) {
          throw new IllegalStateException("found " + rows.size() + " of the " + centres.length + " centre rows");
        }
      }
      int d = ((Vector) rows.get(0).get(0)).size();
      double[] x = new double[rows.size() * d];
      for (int i = 0; i < rows.size(); i++) {
        double[] v = ((Vector) rows.get(i).get(0)).toArray();
        if (v.length != d) {
          throw new IllegalArgumentException("featuresCol = '" + getFeaturesCol() + "': row " + (i + 1) + " has a "
              + "vector of size " + v.length + ", the first row one of size " + d);
        }
        System.arraycopy(v, 0, x, i * d, d);
      }
      return new DualModel(settings, network, run.mapping(), d, x, network.outputs(), run.fit().coefficients());
    } finally {
      cached.unpersist(false);
    }
  }

  @Override
  public MLWriter write() {
    return new NtkPersistence.ParamsWriter(this);
  }
}
