package org.sparkntk.ml;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link NtkRegressionModel} and {@link NtkClassificationModel} share: the fitted
 * {@link DualModel} f(x*) = f_0(x*) + Θ(x*, X) α, the features and prediction columns, and
 * {@link #transform}, which computes the cross kernel Θ(X*, X) on executors, collects the scores
 * to the driver (an M × N kernel is collected either way) and appends the output columns.
 *
 * <p>Rows are matched to their scores by their position in the input (as the CLI numbers rows in
 * reading order), which assumes, as Spark's own recomputation of lost partitions does, that the
 * input Dataset yields its rows in the same order each time it is computed.
 */
public abstract class NtkModel<M extends NtkModel<M>> extends Model<M> implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final DualModel dual;
  private final Param<String> featuresCol;
  private final Param<String> predictionCol;

  protected NtkModel(String uid, DualModel dual) {
    this.uid = uid;
    this.dual = dual;
    featuresCol = new Param<>(this, "featuresCol", "features column, an ml Vector of the size the model was "
        + "fitted on (default: features)");
    predictionCol = new Param<>(this, "predictionCol", "prediction column (default: prediction)");
    setDefault(featuresCol, "features");
    setDefault(predictionCol, "prediction");
  }

  /** Computes the output columns of one row from its O scores f(x*), row {@code row} of {@code scores}. */
  interface RowOutputs extends Serializable {
    Object[] of(double[] scores, int row);
  }

  @Override
  public String uid() {
    return uid;
  }

  DualModel dual() {
    return dual;
  }

  public Param<String> featuresCol() { return featuresCol; }
  public Param<String> predictionCol() { return predictionCol; }
  public String getFeaturesCol() { return getOrDefault(featuresCol); }
  public String getPredictionCol() { return getOrDefault(predictionCol); }

  @SuppressWarnings("unchecked")
  public M setFeaturesCol(String v) { set(featuresCol, v); return (M) this; }
  @SuppressWarnings("unchecked")
  public M setPredictionCol(String v) { set(predictionCol, v); return (M) this; }

  /** Number of training rows N. */
  public int numTrainRows() {
    return dual.trainRows();
  }

  /** Size d of the feature vectors the model was fitted on. */
  public int numFeatures() {
    return dual.inputs();
  }

  /** The job settings of the fit, as {@code NtkJob.run} read them. */
  public java.util.Map<String, String> settings() {
    return dual.settings();
  }

  /** The output columns appended to {@code schema}. */
  protected abstract StructType appendOutputs(StructType schema);

  /** The output columns' values from the scores. */
  protected abstract RowOutputs rowOutputs();

  @Override
  public StructType transformSchema(StructType schema) {
    Schemas.requireVector(schema, getFeaturesCol(), "featuresCol");
    return appendOutputs(schema);
  }

  /** f(x*) of every row of {@code dataset}, row-major [M × O] in reading order. */
  public double[] scores(Dataset<?> dataset) {
    Schemas.requireVector(dataset.schema(), getFeaturesCol(), "featuresCol");
    return dual.predict(dataset.sparkSession(), dataset.select(getFeaturesCol()));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Dataset<Row> df = dataset.toDF();
    SparkSession spark = df.sparkSession();
    if (df.isEmpty()) {
      return spark.createDataFrame(java.util.List.of(), out);
    }
    double[] scores = dual.predict(spark, df.select(getFeaturesCol()));
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<double[]> shared = sc.broadcast(scores);
    RowOutputs outputs = rowOutputs();
    JavaRDD<Row> rows = df.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      Object[] extra = outputs.of(shared.value(), Math.toIntExact(t._2()));
      Object[] values = new Object[r.length() + extra.length];
      for (int i = 0; i < r.length(); i++) {
        values[i] = r.get(i);
      }
      System.arraycopy(extra, 0, values, r.length(), extra.length);
      return RowFactory.create(values);
    });
    return spark.createDataFrame(rows, out);
  }

  @Override
  public MLWriter write() {
    return new NtkPersistence.ModelWriter(this);
  }
}
