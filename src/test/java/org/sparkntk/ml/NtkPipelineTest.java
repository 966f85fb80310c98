package org.sparkntk.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.NtkJob;
import org.sparkntk.pipeline.NtkRun;

/**
 * The ML API end to end on a small synthetic problem: in a Pipeline after VectorAssembler, its
 * predictions equal NtkJob.run's test predictions on the same data and settings, and they survive
 * saving and loading (alone and inside a PipelineModel).
 */
class NtkPipelineTest {
  private static SparkSession spark;
  private static Dataset<Row> train;
  private static Dataset<Row> test;
  private static final VectorAssembler ASSEMBLER =
      new VectorAssembler().setInputCols(new String[] {"x1", "x2"}).setOutputCol("features");

  @TempDir
  Path dir;

  /** y = sin(3 x1) + x1 x2 and a class (0, 1, 2) by the sign pattern of (x1, x2). */
  private static Dataset<Row> data(int rows, long seed) {
    Random r = new Random(seed);
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      double x1 = 2 * r.nextDouble() - 1;
      double x2 = 2 * r.nextDouble() - 1;
      double cls = x1 < 0 ? 0 : x2 < 0 ? 1 : 2;
      list.add(RowFactory.create(x1, x2, Math.sin(3 * x1) + x1 * x2, cls));
    }
    StructType schema = new StructType().add("x1", DataTypes.DoubleType).add("x2", DataTypes.DoubleType)
        .add("y", DataTypes.DoubleType).add("cls", DataTypes.DoubleType);
    return spark.createDataFrame(list, schema);
  }

  @BeforeAll
  static void start() {
    spark = SparkTestSession.get();
    train = data(90, 1);
    test = data(40, 2);
  }

  private static double[] column(Dataset<Row> df, String name) {
    return df.select(name).collectAsList().stream().mapToDouble(r -> r.getDouble(0)).toArray();
  }

  private static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + " row " + i);
    }
  }

  /** NtkJob.run on the raw columns x1, x2 (its features) and the labels, with the estimator's own settings. */
  private static double[] jobPredictions(Map<String, String> settings, Dataset<Row> trainDf, Dataset<Row> testDf) {
    NtkRun run = NtkJob.run(spark, JobConfig.of(settings), trainDf, testDf);
    return run.fit().last().testPredictions();
  }

  @Test
  void regressorInAPipelineEqualsNtkJobForEverySolver() {
    for (String solver : List.of("regression", "flow", "steps")) {
      NtkRegressor ntk = new NtkRegressor().setLabelCol("y").setKernelType("empirical").setHidden(64, 64)
          .setSolverType(solver)
          .setRidge(1e-6).setSteps(300).setSeed(3);
      PipelineModel model = new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, ntk}).fit(train);
      Dataset<Row> out = model.transform(test);
      assertEquals(40, out.count());
      assertTrue(List.of(out.columns()).containsAll(List.of("x1", "x2", "y", "cls", "features", "prediction")));
      double[] expected = jobPredictions(ntk.settings("y"), train.select("x1", "x2", "y"), test.select("x1", "x2"));
      assertClose(expected, column(out, "prediction"), 1e-10, solver);
    }
    // A notebook's session outlives fit and transform: the stages never stop it.
    assertFalse(spark.sparkContext().isStopped(), "fit or transform stopped the notebook's SparkSession");
  }

  /**
   * The distributed backend through the ML API: the Gram stays on the executors during fit, PCG
   * solves, and the fitted model predicts what the driver backend's does (to the solver's
   * accuracy: tol 1e-12 on (Θ + 1e-3 I), condition ≲ 1e5, so 1e-7).
   */
  @Test
  void distributedBackendParamsGiveTheDriverBackendsPredictions() {
    NtkRegressor driver = new NtkRegressor().setLabelCol("y").setHidden(32).setSolverType("regression")
        .setRidge(1e-3).setSeed(5).setBackend("driver");
    NtkRegressor distributed = driver.copy(new org.apache.spark.ml.param.ParamMap())
        .setBackend("distributed").setKernelCache("disk").setTol(1e-12).setMaxIter(500).setRank(40);
    assertEquals("distributed", distributed.settings("y").get("solver.backend"));
    assertEquals("40", distributed.settings("y").get("solver.rank"));
    double[] a = column(new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, driver}).fit(train)
        .transform(test), "prediction");
    double[] b = column(new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, distributed}).fit(train)
        .transform(test), "prediction");
    assertClose(a, b, 1e-7, "distributed against driver");
    assertThrows(IllegalArgumentException.class, () -> new NtkRegressor().setTol(0));
    assertThrows(IllegalArgumentException.class, () -> new NtkRegressor().setBackend("cluster"));
  }

  @Test
  void classifierEqualsNtkJobOnOneHotLabels() {
    // The estimator's defaults before they became analytic, mse and regression, kept so that the results stay the same.
    NtkClassifier ntk = new NtkClassifier().setLabelCol("cls").setHidden(64).setSteps(200).setSeed(5)
        .setKernelOutputs("full").setKernelType("empirical").setLoss("xent").setSolverType("steps");
    NtkClassificationModel model = ntk.fit(ASSEMBLER.transform(train));
    assertEquals(3, model.numClasses());
    Dataset<Row> out = model.transform(ASSEMBLER.transform(test));
    String oneHot = "CASE WHEN cls = %d THEN 1.0 ELSE 0.0 END AS cls_is_%d";
    Dataset<Row> jobTrain = train.selectExpr("x1", "x2", oneHot.formatted(0, 0), oneHot.formatted(1, 1),
        oneHot.formatted(2, 2));
    double[] expected = jobPredictions(ntk.settings("cls_is_0,cls_is_1,cls_is_2"), jobTrain, test.select("x1", "x2"));
    List<Row> rows = out.select("rawPrediction", "probability", "prediction").collectAsList();
    for (int i = 0; i < rows.size(); i++) {
      double[] raw = ((Vector) rows.get(i).get(0)).toArray();
      double[] p = ((Vector) rows.get(i).get(1)).toArray();
      assertClose(java.util.Arrays.copyOfRange(expected, 3 * i, 3 * i + 3), raw, 1e-10, "logits of row " + i);
      double z = Math.exp(raw[0]) + Math.exp(raw[1]) + Math.exp(raw[2]);
      int best = 0;
      for (int a = 0; a < 3; a++) {
        assertEquals(Math.exp(raw[a]) / z, p[a], 1e-12, "softmax row " + i);
        best = raw[a] > raw[best] ? a : best;
      }
      assertEquals(best, rows.get(i).getDouble(2));
    }
  }

  /**
   * The default f0 = auto, as the CLI resolves it: the analytic and Monte-Carlo regressors predict
   * exactly as with f0 = zero, the empirical one as with f0 = network; and f0 = network still adds
   * the network's outputs to an analytic fit (its predictions differ from f0 = zero's by more than
   * rounding). transform and NtkJob.run resolve auto alike (1e-10, as above).
   */
  @Test
  void defaultF0IsZeroForInfiniteWidthKernelsAndTheNetworkForTheEmpiricalOne() {
    Dataset<Row> trainDf = ASSEMBLER.transform(train);
    Dataset<Row> testDf = ASSEMBLER.transform(test);
    for (String type : List.of("empirical", "analytic", "montecarlo")) {
      java.util.function.Function<String, double[]> predict = f0 -> {
        NtkRegressor r = new NtkRegressor().setLabelCol("y").setHidden(16).setKernelType(type).setKernelSamples(2)
            .setSolverType("regression").setRidge(1e-4).setSeed(3);
        if (f0 != null) {
          r.setF0(f0);
        }
        NtkRegressionModel model = r.fit(trainDf);
        double[] scores = column(model.transform(testDf), "prediction");
        if (f0 == null) {
          assertClose(jobPredictions(r.settings("y"), train.select("x1", "x2", "y"), test.select("x1", "x2")), scores,
              1e-10, type + " with the default f0 through NtkJob.run");
        }
        return scores;
      };
      double[] byDefault = predict.apply(null);
      double[] network = predict.apply("network");
      double[] zero = predict.apply("zero");
      // Separate fits of the same settings agree to rounding (1e-10, as above), far below the gap between the two f0.
      assertClose(type.equals("empirical") ? network : zero, byDefault, 1e-10, type + ": default f0");
      double gap = 0;
      for (int i = 0; i < zero.length; i++) {
        gap = Math.max(gap, Math.abs(network[i] - zero[i]));
      }
      assertTrue(gap > 1e-3, type + ": f0 = network and zero predict alike (max gap " + gap + ")");
    }
  }

  /** The test rows with an int id column (their position) and the assembled features. */
  private static Dataset<Row> withIds(Dataset<Row> df) {
    List<Row> rows = df.collectAsList();
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      list.add(RowFactory.create(i, rows.get(i).getDouble(0), rows.get(i).getDouble(1)));
    }
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("x1", DataTypes.DoubleType)
        .add("x2", DataTypes.DoubleType);
    return ASSEMBLER.transform(spark.createDataFrame(list, schema));
  }

  @Test
  void everyRowKeepsItsOwnPredictionWhateverTheOrder() {
    NtkRegressionModel model = new NtkRegressor().setLabelCol("y").setKernelType("empirical").setHidden(32)
        .setSolverType("regression").setRidge(1e-4).setSeed(7).fit(ASSEMBLER.transform(train));
    Dataset<Row> base = withIds(test);
    double[] expected = model.scores(base); // in the original order: row i has id i
    assertEquals(40, expected.length);
    assertClose(expected, column(model.transform(base), "prediction"), 0, "transform in the original order");
    Map<String, Dataset<Row>> shuffled = Map.of(
        "repartition(3)", base.repartition(3),
        "orderBy(rand(seed))", base.orderBy(functions.rand(11)),
        "repartition(5) then orderBy(rand())", base.repartition(5).orderBy(functions.rand()));
    for (var e : shuffled.entrySet()) {
      List<Row> rows = model.transform(e.getValue()).select("id", "prediction").collectAsList();
      assertEquals(40, rows.size(), e.getKey());
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      for (Row r : rows) {
        int id = r.getInt(0);
        assertTrue(seen.add(id), e.getKey() + ": id " + id + " twice");
        assertEquals(expected[id], r.getDouble(1), 1e-10 * Math.max(1, Math.abs(expected[id])),
            e.getKey() + ", id " + id);
      }
    }
  }

  @Test
  void smallChunksAndBlocksGiveTheSameScores() {
    NtkClassificationModel model = new NtkClassifier().setLabelCol("cls").setHidden(32).setSteps(50).setSeed(9)
        .setKernelOutputs("full").setKernelType("empirical").setLoss("xent").setSolverType("steps")
        .fit(ASSEMBLER.transform(train));
    DualModel dual = model.dual();
    Dataset<Row> base = withIds(test);
    double[] expected = model.scores(base);
    // Training blocks and chunks of 7 rows: many chunks per partition and many blocks X_J per chunk.
    Map<String, String> settings = new java.util.HashMap<>(dual.settings());
    settings.put("kernel.blockSize", "7");
    DualModel small = new DualModel(settings, dual.network(), dual.mapping(), dual.inputs(), dual.trainFeatures(),
        dual.outputs(), dual.coefficients());
    int o = dual.outputs();
    List<double[]> rows = small.score(base.select("features").javaRDD(), 0,
        (r, scores, i) -> java.util.Arrays.copyOfRange(scores, i * o, (i + 1) * o)).collect();
    double[] actual = new double[rows.size() * o];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, actual, i * o, o);
    }
    assertClose(expected, actual, 1e-10, "blocks of 7");

    // The training blocks prepared once per partition or again for every chunk.
    samePreparedOrNot(small, JobComponents.kernel(JobConfig.of(settings), dual.network(), dual.mapping()));
  }

  private static <F extends java.io.Serializable> void samePreparedOrNot(DualModel dual,
                                                                         org.sparkntk.kernel.BlockKernel<F> kernel) {
    DualModel.Scorer<F> scorer = dual.scorer(kernel, new org.sparkntk.kernel.BlockPlan(dual.trainRows(), 7),
        Long.MAX_VALUE);
    double[] x = java.util.Arrays.copyOf(dual.trainFeatures(), 10 * dual.inputs());
    assertClose(scorer.scores(x, 10, scorer.prepareTraining()), scorer.scores(x, 10, null), 0, "prepared per chunk");
  }

  /**
   * Nyström regression through the ML API: with every training row a centre it predicts what exact
   * regression does (to 1e-7: solver.tol 1e-11 on the preconditioned system, whose attainable
   * accuracy the triangular factors of Θ(C, C) bound); with 12 centres the fitted model keeps
   * their 12 rows only, O(M), and saves and loads to the same predictions.
   */
  @Test
  void nystromKeepsItsCentresOnly() throws java.io.IOException {
    NtkRegressor exact = new NtkRegressor().setLabelCol("y").setHidden(32).setSolverType("regression")
        .setRidge(1e-2).setSeed(5).setBackend("driver");
    NtkRegressor everyRow = exact.copy(new org.apache.spark.ml.param.ParamMap()).setSolverType("nystrom")
        .setBackend("auto").setCenters(100_000).setTol(1e-11);
    double[] a = column(new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, exact}).fit(train)
        .transform(test), "prediction");
    double[] b = column(new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, everyRow}).fit(train)
        .transform(test), "prediction");
    assertClose(a, b, 1e-7, "Nyström with every row a centre against exact regression");

    NtkRegressionModel twelve = everyRow.copy(new org.apache.spark.ml.param.ParamMap()).setCenters(12)
        .fit(ASSEMBLER.transform(train));
    assertEquals(12 * twelve.dual().inputs(), twelve.dual().trainFeatures().length);
    // the kept rows are the centres the job drew (model.seed = 5), in order
    List<Row> assembled = ASSEMBLER.transform(train).select("features").collectAsList();
    long[] centres = org.sparkntk.blocks.NystromCenters.uniform(assembled.size(), 12, 5);
    int d = twelve.dual().inputs();
    for (int c = 0; c < centres.length; c++) {
      double[] expected = ((Vector) assembled.get((int) centres[c]).get(0)).toArray();
      double[] kept = Arrays.copyOfRange(twelve.dual().trainFeatures(), c * d, (c + 1) * d);
      assertArrayEquals(expected, kept, "centre " + c + " (training row " + centres[c] + ")");
    }
    double[] before = column(twelve.transform(ASSEMBLER.transform(test)), "prediction");
    String saved = dir.resolve("nystrom-model").toString();
    twelve.write().save(saved);
    assertClose(before, column(NtkRegressionModel.load(saved).transform(ASSEMBLER.transform(test)), "prediction"), 0,
        "loaded Nyström model");
    double gap = 0;
    for (int i = 0; i < a.length; i++) {
      gap = Math.max(gap, Math.abs(a[i] - before[i]));
    }
    assertTrue(gap > 1e-6, "12 centres should not reproduce exact regression");
  }

  @Test
  void saveAndLoadGiveIdenticalPredictions() throws java.io.IOException {
    NtkRegressor ntk = new NtkRegressor().setLabelCol("y").setKernelType("empirical").setHidden(32)
        .setSolverType("regression").setRidge(1e-4).setInputMapping("gaussian").setInputScale(1.0).setInputFeatures(16)
        .setPredictionCol("yhat");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, ntk}).fit(train);
    double[] before = column(model.transform(test), "yhat");

    NtkRegressionModel stage = (NtkRegressionModel) model.stages()[1];
    String alone = dir.resolve("ntk-model").toString();
    stage.write().save(alone);
    NtkRegressionModel loaded = NtkRegressionModel.load(alone);
    assertEquals(stage.uid(), loaded.uid());
    assertEquals("yhat", loaded.getPredictionCol());
    assertEquals(stage.settings(), loaded.settings());
    assertClose(before, column(loaded.transform(ASSEMBLER.transform(test)), "yhat"), 0, "loaded model");
    assertThrows(Exception.class, () -> stage.write().save(alone), "saving over a model needs overwrite()");
    stage.write().overwrite().save(alone);

    String pipeline = dir.resolve("pipeline-model").toString();
    model.write().save(pipeline);
    PipelineModel reloaded = PipelineModel.load(pipeline);
    assertSame(NtkRegressionModel.class, reloaded.stages()[1].getClass());
    assertClose(before, column(reloaded.transform(test), "yhat"), 0, "loaded PipelineModel");

    // The unfitted estimator too, as part of a saved Pipeline.
    String unfitted = dir.resolve("pipeline").toString();
    new Pipeline().setStages(new PipelineStage[] {ASSEMBLER, ntk}).write().save(unfitted);
    NtkRegressor back = (NtkRegressor) Pipeline.load(unfitted).getStages()[1];
    assertEquals(ntk.settings("y"), back.settings("y"));
    assertEquals(ntk.uid(), back.uid());
  }

  @Test
  void classificationModelSavesAndLoads() throws java.io.IOException {
    NtkClassificationModel model = new NtkClassifier().setLabelCol("cls").setKernelType("empirical").setHidden(16)
        .setLoss("mse")
        .setSolverType("regression").setRidge(1e-3).fit(ASSEMBLER.transform(train));
    String path = dir.resolve("classifier").toString();
    model.write().save(path);
    NtkClassificationModel loaded = NtkClassificationModel.load(path);
    assertEquals("mse", loaded.loss());
    List<Row> a = model.transform(ASSEMBLER.transform(test)).select("rawPrediction", "probability", "prediction")
        .collectAsList();
    List<Row> b = loaded.transform(ASSEMBLER.transform(test)).select("rawPrediction", "probability", "prediction")
        .collectAsList();
    assertEquals(a, b);
    assertThrows(IllegalArgumentException.class, () -> NtkRegressionModel.load(path),
        "a classification model is not a regression model");
  }
}
