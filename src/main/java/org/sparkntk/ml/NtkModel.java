package org.sparkntk.ml;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link NtkRegressionModel} and {@link NtkClassificationModel} share: the fitted
 * {@link DualModel} f(x*) = f_0(x*) + Θ(x*, X) α, the features and prediction columns, and
 * {@link #transform}, which scores the rows on the executors: the training features and α
 * (N·(d + O)·8 bytes) are broadcast once, and each partition of the input computes
 * f(x*) = f_0(x*) + Σ_J Θ(x*, X_J) α_J over the training blocks X_J for its own rows, a chunk at a
 * time, and emits every row with its output columns. Nothing of size M × N or M × O reaches the
 * driver, and each output row is computed from the input row it extends, whatever order or
 * partitioning the input has.
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

  /** Computes the output columns of one row from its O scores f(x*), row {@code row} of the [rows × O] {@code scores}. */
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
  public Map<String, String> settings() {
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

  /**
   * f(x*) of every row of {@code dataset}, row-major [M × O] in the order the rows are read,
   * computed on the executors as {@link #transform} computes them and collected (M × O doubles).
   */
  public double[] scores(Dataset<?> dataset) {
    Schemas.requireVector(dataset.schema(), getFeaturesCol(), "featuresCol");
    int o = dual.outputs();
    List<double[]> rows = dual.score(dataset.toDF().select(getFeaturesCol()).javaRDD(), 0,
        (row, scores, i) -> Arrays.copyOfRange(scores, i * o, (i + 1) * o)).collect();
    double[] out = new double[Math.multiplyExact(rows.size(), o)];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, out, i * o, o);
    }
    return out;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Dataset<Row> df = dataset.toDF();
    RowOutputs outputs = rowOutputs();
    JavaRDD<Row> rows = dual.score(df.javaRDD(), df.schema().fieldIndex(getFeaturesCol()), (r, scores, i) -> {
      Object[] extra = outputs.of(scores, i);
      Object[] values = new Object[r.length() + extra.length];
      for (int c = 0; c < r.length(); c++) {
        values[c] = r.get(c);
      }
      System.arraycopy(extra, 0, values, r.length(), extra.length);
      return RowFactory.create(values);
    });
    return df.sparkSession().createDataFrame(rows, out);
  }

  @Override
  public MLWriter write() {
    return new NtkPersistence.ModelWriter(this);
  }
}
