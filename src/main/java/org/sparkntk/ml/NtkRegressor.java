package org.sparkntk.ml;

import static org.apache.spark.sql.functions.col;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Kernel regression with the Neural Tangent Kernel of a fully connected network, as a Spark ML
 * estimator. With the MSE cost C(f) = (1/N) Σ_i ½(f(x_i) − y_i)², the network's outputs f_0 and its
 * NTK Θ, the fitted function is f(x*) = f_0(x*) + Θ(x*, X) α, where α comes from the solver:
 * kernel gradient descent (steps), its gradient flow at a time τ (flow), or its τ → ∞ limit with a
 * ridge, α = (Θ + ρI)⁻¹(Y − f_0(X)) (regression). {@link #fit} builds a {@code JobConfig} from the
 * params and calls {@code NtkJob.run}, the CLI's code path; see docs/CONFIG.md for the keys.
 *
 * <pre>{@code
 * NtkRegressor ntk = new NtkRegressor().setHidden(256, 256).setSolverType("regression").setRidge(1e-4);
 * PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, ntk}).fit(train);
 * }</pre>
 */
public final class NtkRegressor extends NtkEstimator<NtkRegressionModel, NtkRegressor> {
  private static final long serialVersionUID = 1L;

  public NtkRegressor() {
    this(Identifiable.randomUID("ntkRegressor"));
  }

  public NtkRegressor(String uid) {
    super(uid);
  }

  @Override
  protected String loss() {
    return "mse";
  }

  @Override
  public NtkRegressionModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema(), true);
    String label = getLabelCol();
    Dataset<Row> train = dataset.select(col(getFeaturesCol()), col(label).cast("double").as(label));
    NtkRegressionModel model = new NtkRegressionModel(uid(), fitDual(train, label));
    return copyValues(model, ParamMap.empty()).setParent(this);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    validateInput(schema, true);
    return Schemas.append(schema, getPredictionCol(), "predictionCol", DataTypes.DoubleType);
  }

  @Override
  public NtkRegressor copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<NtkRegressor> read() {
    return new NtkPersistence.ParamsReader<>(NtkRegressor.class, NtkRegressor::new);
  }

  public static NtkRegressor load(String path) {
    return read().load(path);
  }
}
