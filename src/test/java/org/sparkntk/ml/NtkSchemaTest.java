package org.sparkntk.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sparkntk.SparkTestSession;

/** transformSchema and fit refuse missing or wrongly typed columns with messages that name them. */
class NtkSchemaTest {
  private static final StructType GOOD = new StructType().add("features", SQLDataTypes.VectorType())
      .add("label", DataTypes.DoubleType);

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test
  void estimatorSchemas() {
    NtkRegressor r = new NtkRegressor();
    StructType out = r.transformSchema(GOOD);
    assertEquals(DataTypes.DoubleType, out.apply("prediction").dataType());
    assertTrue(message(() -> r.transformSchema(new StructType().add("label", DataTypes.DoubleType)))
        .contains("featuresCol = 'features': no such column; the columns are [label]"));
    assertTrue(message(() -> r.transformSchema(new StructType().add("features", DataTypes.DoubleType)
        .add("label", DataTypes.DoubleType))).contains("must be an ml Vector column (as VectorAssembler produces), "
        + "but it has type double"));
    assertTrue(message(() -> r.transformSchema(new StructType().add("features", SQLDataTypes.VectorType())
        .add("label", DataTypes.StringType))).contains("labelCol = 'label' must be a numeric column, but it has type "
        + "string"));
    assertTrue(message(() -> r.setLabelCol("y").transformSchema(GOOD)).contains("labelCol = 'y': no such column"));
    assertTrue(message(() -> new NtkRegressor().transformSchema(GOOD.add("prediction", DataTypes.DoubleType)))
        .contains("predictionCol = 'prediction': the column already exists"));
    StructType c = new NtkClassifier().transformSchema(GOOD);
    assertEquals(SQLDataTypes.VectorType(), c.apply("rawPrediction").dataType());
    assertEquals(SQLDataTypes.VectorType(), c.apply("probability").dataType());
    assertEquals(DataTypes.DoubleType, c.apply("prediction").dataType());
    assertTrue(message(() -> new NtkClassifier().setProbabilityCol("label").transformSchema(GOOD))
        .contains("probabilityCol = 'label': the column already exists"));
  }

  @Test
  void fitAndTransformCheckTheData() {
    SparkSession spark = SparkTestSession.get();
    List<Row> rows = List.of(RowFactory.create(Vectors.dense(0.1, 0.2), 0.0),
        RowFactory.create(Vectors.dense(0.3, -0.2), 1.5), RowFactory.create(Vectors.dense(-0.5, 0.4), 1.0));
    Dataset<Row> df = spark.createDataFrame(rows, GOOD);
    assertTrue(message(() -> new NtkClassifier().fit(df)).contains("labelCol = 'label' must hold class indices "
        + "0, 1, 2, …; found 1.5"));
    Dataset<Row> oneClass = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(0.1, 0.2), 0.0)), GOOD);
    assertTrue(message(() -> new NtkClassifier().fit(oneClass)).contains("holds only class 0"));
    NtkRegressionModel model = new NtkRegressor().setKernelType("empirical").setHidden(8).setSolverType("regression")
        .setRidge(1e-3).fit(df);
    assertEquals(3, model.numTrainRows());
    assertEquals(2, model.numFeatures());
    Dataset<Row> wide = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(1, 2, 3), 0.0)), GOOD);
    // The rows are checked on the executors, as they are scored: the job fails with the reader's exception.
    Throwable failure = assertThrows(Exception.class, () -> model.transform(wide).count());
    while (failure != null && !(failure instanceof IllegalArgumentException)) {
      failure = failure.getCause();
    }
    assertTrue(failure != null && failure.getMessage().contains("the features column has vectors of size 3, "
        + "but the model was fitted on vectors of size 2"), String.valueOf(failure));
    assertTrue(message(() -> model.transformSchema(new StructType().add("x", DataTypes.DoubleType)))
        .contains("featuresCol = 'features': no such column"));
    assertEquals(0, model.transform(df.limit(0)).count());
  }
}
