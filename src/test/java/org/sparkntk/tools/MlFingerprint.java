package org.sparkntk.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.sparkntk.ml.NtkClassificationModel;
import org.sparkntk.ml.NtkClassifier;
import org.sparkntk.ml.NtkRegressionModel;
import org.sparkntk.ml.NtkRegressor;

/**
 * The ML API case of {@code scripts/outputs-fingerprint}: not a test (no JUnit, and its name matches
 * none of surefire's patterns), a main that fits the estimators on the quickstart CSVs and writes
 * everything a user of the ML API gets back, so that the script can fingerprint it:
 * <ul>
 *   <li>{@code regressor}: VectorAssembler(x1, x2) then NtkRegressor on y_wave with the estimator's
 *       defaults (analytic NTK, kernel regression, driver backend) in a Pipeline; the PipelineModel is
 *       saved ({@code regressor-pipeline/}) and loaded back;</li>
 *   <li>{@code classifier}: NtkClassifier on three classes cut from y_wave, empirical NTK of a
 *       2 → 64 → 3 network, cross-entropy kernel gradient descent (f_0 = the network); the model alone
 *       is saved ({@code classifier-model/}) and loaded back;</li>
 *   <li>{@code distributed}: NtkRegressor on y_bowl on the distributed backend (Gram kept on the
 *       executors, Nyström PCG); saved and loaded back.</li>
 * </ul>
 * For each: {@code <name>-predictions.csv} (transform of the test rows, every output column),
 * {@code <name>-predictions-loaded.csv} (the same from the loaded model) and
 * {@code <name>-model-data.csv} (the saved model's Parquet rows, decoded and ordered by row).
 * Doubles are written with {@link Double#toString}, which round-trips exactly. Fixed uids keep the
 * saved metadata free of random names; Spark runs {@code local[2]} whatever the machine.
 *
 * <p>Usage: {@code MlFingerprint <train.csv> <test.csv> <out-dir>} (out-dir must not exist).
 */
public final class MlFingerprint {
  private MlFingerprint() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: MlFingerprint <train.csv> <test.csv> <out-dir>");
      System.exit(2);
    }
    Path out = Path.of(args[2]);
    Files.createDirectories(out.getParent() == null ? Path.of(".") : out.getParent());
    Files.createDirectory(out);
    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("spark-ntk-ml-fingerprint")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    try {
      run(spark, args[0], args[1], out);
    } finally {
      spark.stop();
    }
  }

  private static Dataset<Row> read(SparkSession spark, String csv) {
    // The quickstart files are small: one partition, rows in file order; "row" keeps that order.
    return spark.read().option("header", "true").option("inferSchema", "true").csv(csv)
        .withColumn("row", functions.monotonically_increasing_id())
        .withColumn("cls", functions.expr("CASE WHEN y_wave < -0.3 THEN 0.0 WHEN y_wave < 0.3 THEN 1.0 ELSE 2.0 END"));
  }

  static void run(SparkSession spark, String trainCsv, String testCsv, Path out) throws IOException {
    VectorAssembler assembler = new VectorAssembler("assembler").setInputCols(new String[] {"x1", "x2"})
        .setOutputCol("features");
    Dataset<Row> train = read(spark, trainCsv);
    Dataset<Row> test = read(spark, testCsv);
    Dataset<Row> trainFeatures = assembler.transform(train);
    Dataset<Row> testFeatures = assembler.transform(test);

    // The regressor's defaults, in a Pipeline.
    NtkRegressor regressor = new NtkRegressor("ntk_regressor").setLabelCol("y_wave");
    PipelineModel pipeline = new Pipeline("pipeline").setStages(new PipelineStage[] {assembler, regressor}).fit(train);
    writeRows(pipeline.transform(test), out.resolve("regressor-predictions.csv"));
    String pipelineDir = out.resolve("regressor-pipeline").toString();
    pipeline.write().save(pipelineDir);
    PipelineModel pipelineLoaded = PipelineModel.load(pipelineDir);
    writeRows(pipelineLoaded.transform(test), out.resolve("regressor-predictions-loaded.csv"));
    writeRows(spark.read().parquet(pipelineDir + "/stages/1_ntk_regressor/data").orderBy("row"),
        out.resolve("regressor-model-data.csv"));

    // A classifier on the empirical NTK with cross-entropy steps.
    NtkClassifier classifier = new NtkClassifier("ntk_classifier").setLabelCol("cls").setKernelType("empirical")
        .setHidden(64).setLoss("xent").setSolverType("steps").setSteps(200).setSeed(5);
    NtkClassificationModel classification = classifier.fit(trainFeatures);
    writeRows(classification.transform(testFeatures), out.resolve("classifier-predictions.csv"));
    String classifierDir = out.resolve("classifier-model").toString();
    classification.write().save(classifierDir);
    writeRows(NtkClassificationModel.load(classifierDir).transform(testFeatures),
        out.resolve("classifier-predictions-loaded.csv"));
    writeRows(spark.read().parquet(classifierDir + "/data").orderBy("row"), out.resolve("classifier-model-data.csv"));

    // The distributed backend: the Gram stays on the executors, Nyström PCG solves.
    NtkRegressor distributed = new NtkRegressor("ntk_distributed").setLabelCol("y_bowl").setKernelType("empirical")
        .setHidden(32, 32).setSeed(3).setBackend("distributed").setTol(1e-10).setRank(40);
    NtkRegressionModel distributedModel = distributed.fit(trainFeatures);
    writeRows(distributedModel.transform(testFeatures), out.resolve("distributed-predictions.csv"));
    String distributedDir = out.resolve("distributed-model").toString();
    distributedModel.write().save(distributedDir);
    writeRows(NtkRegressionModel.load(distributedDir).transform(testFeatures),
        out.resolve("distributed-predictions-loaded.csv"));
    writeRows(spark.read().parquet(distributedDir + "/data").orderBy("row"),
        out.resolve("distributed-model-data.csv"));
  }

  /** Every column of {@code df}, ordered by its "row" column, as CSV; vectors as space-separated values. */
  private static void writeRows(Dataset<Row> df, Path file) throws IOException {
    List<Row> rows = df.orderBy("row").collectAsList();
    List<String> lines = new ArrayList<>();
    StringBuilder header = new StringBuilder();
    for (StructField f : df.schema().fields()) {
      header.append(header.length() == 0 ? "" : ",").append(f.name());
    }
    lines.add(header.toString());
    for (Row r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length(); i++) {
        line.append(i == 0 ? "" : ",").append(cell(r.get(i)));
      }
      lines.add(line.toString());
    }
    Files.write(file, lines);
  }

  private static String cell(Object v) {
    if (v instanceof Vector vector) {
      StringBuilder s = new StringBuilder();
      for (double x : vector.toArray()) {
        s.append(s.length() == 0 ? "" : " ").append(Double.toString(x));
      }
      return s.toString();
    }
    if (v instanceof scala.collection.Seq<?> seq) {
      StringBuilder s = new StringBuilder();
      scala.collection.Iterator<?> it = seq.iterator();
      while (it.hasNext()) {
        s.append(s.length() == 0 ? "" : " ").append(it.next());
      }
      return s.toString();
    }
    return String.valueOf(v);
  }
}
