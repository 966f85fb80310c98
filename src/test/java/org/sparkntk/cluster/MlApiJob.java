package org.sparkntk.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.ml.NtkRegressor;

/**
 * The ML API on a quickstart CSV: VectorAssembler(x1, x2) then NtkRegressor on y_wave, fit and
 * transform; writes the test predictions, one per line in the test file's row order. On a
 * cluster, transform broadcasts the fitted dual model to the executors that score the rows.
 */
public final class MlApiJob {
  private MlApiJob() {}

  public static void run(SparkSession spark, Path trainCsv, Path testCsv, Path predictions) throws IOException {
    Dataset<Row> train = spark.read().option("header", "true").option("inferSchema", "true").csv(trainCsv.toString());
    Dataset<Row> test = spark.read().option("header", "true").option("inferSchema", "true").csv(testCsv.toString())
        .withColumn("row", org.apache.spark.sql.functions.monotonically_increasing_id());
    VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x1", "x2"}).setOutputCol("features");
    NtkRegressor ntk = new NtkRegressor().setLabelCol("y_wave").setKernelType("empirical").setHidden(32, 32)
        .setSolverType("regression")
        .setRidge(1e-6).setSeed(3);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, ntk}).fit(train);
    List<Row> rows = model.transform(test.repartition(3)).orderBy("row").select("prediction").collectAsList();
    Files.write(predictions, rows.stream().map(r -> Double.toString(r.getDouble(0))).toList());
  }
}
