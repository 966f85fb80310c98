package org.sparkntk.ml;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted {@link NtkRegressor}: prediction = f(x*) = f_0(x*) + Θ(x*, X) α, scored on the
 * executors against the broadcast training blocks (see {@link NtkModel}). Saved as Spark ML
 * models are (metadata JSON and Parquet data, plus the network in spark-ntk's saved model format),
 * also inside a {@code PipelineModel}.
 */
public final class NtkRegressionModel extends NtkModel<NtkRegressionModel> {
  private static final long serialVersionUID = 1L;

  NtkRegressionModel(String uid, DualModel dual) {
    super(uid, dual);
    if (dual.outputs() != 1) {
      throw new IllegalArgumentException("a regression model has one output, got " + dual.outputs());
    }
  }

  @Override
  protected StructType appendOutputs(StructType schema) {
    return Schemas.append(schema, getPredictionCol(), "predictionCol", DataTypes.DoubleType);
  }

  @Override
  protected RowOutputs rowOutputs() {
    return (scores, row) -> new Object[] {scores[row]};
  }

  @Override
  public NtkRegressionModel copy(ParamMap extra) {
    return copyValues(new NtkRegressionModel(uid(), dual()), extra).setParent(parent());
  }

  public static MLReader<NtkRegressionModel> read() {
    return new NtkPersistence.ModelReader<>(NtkRegressionModel.class, NtkRegressionModel::new);
  }

  public static NtkRegressionModel load(String path) {
    return read().load(path);
  }
}
