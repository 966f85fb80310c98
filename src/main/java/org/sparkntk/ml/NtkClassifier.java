package org.sparkntk.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Classification with the Neural Tangent Kernel, as a Spark ML estimator. The label column holds
 * class indices 0 … K−1 (as StringIndexer produces; K is the largest index in the training data
 * plus one); {@link #fit} one-hot encodes it into K label columns, so the network has K outputs,
 * and runs {@code NtkJob.run}. The outputs follow kernel dynamics from f_0 under
 * <ul>
 *   <li>{@code loss = mse} (default): (1/N) Σ_i ½‖f(x_i) − e_{y_i}‖² on the one-hot targets, by any
 *       solver;</li>
 *   <li>{@code loss = xent}: the softmax cross-entropy (1/N) Σ_i −log softmax(f(x_i))_{y_i}, kernel
 *       gradient descent (solverType = steps only).</li>
 * </ul>
 * Either way f(x*) = f_0(x*) + Θ(x*, X) α, and the model outputs rawPrediction = f(x*) (logits for
 * xent, scores for mse), probability and prediction = argmax f(x*).
 */
public final class NtkClassifier extends NtkEstimator<NtkClassificationModel, NtkClassifier> {
  private static final long serialVersionUID = 1L;

  private final Param<String> lossParam;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;

  public NtkClassifier() {
    this(Identifiable.randomUID("ntkClassifier"));
  }

  public NtkClassifier(String uid) {
    super(uid);
    lossParam = new Param<>(this, "loss", "xent (softmax cross-entropy, steps only) or mse on one-hot targets "
        + "(solver.loss; default: mse, which the default solverType = regression solves in closed form)",
        ParamValidators.inArray(new String[] {"xent", "mse"}));
    probabilityCol = new Param<>(this, "probabilityCol", "class probabilities column: softmax of the logits "
        + "(xent), the scores clipped at 0 and normalised (mse) (default: probability)");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", "the K outputs f(x*) (default: rawPrediction)");
    setDefault(lossParam, "mse");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
  }

  /** The loss param (named {@code loss}; the method {@code loss()} gives solver.loss). */
  public Param<String> lossType() { return lossParam; }
  public Param<String> probabilityCol() { return probabilityCol; }
  public Param<String> rawPredictionCol() { return rawPredictionCol; }
  public String getLoss() { return getOrDefault(lossParam); }
  public String getProbabilityCol() { return getOrDefault(probabilityCol); }
  public String getRawPredictionCol() { return getOrDefault(rawPredictionCol); }
  public NtkClassifier setLoss(String v) { set(lossParam, v); return this; }
  public NtkClassifier setProbabilityCol(String v) { set(probabilityCol, v); return this; }
  public NtkClassifier setRawPredictionCol(String v) { set(rawPredictionCol, v); return this; }

  @Override
  protected String loss() {
    return getLoss();
  }

  @Override
  public NtkClassificationModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema(), true);
    String label = getLabelCol();
    Column y = col(label).cast("double");
    List<Row> bad = dataset.select(y).where(y.isNull().or(y.lt(0)).or(y.notEqual(floor(y)))).limit(1)
        .collectAsList();
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException("labelCol = '" + label + "' must hold class indices 0, 1, 2, …; found "
          + bad.get(0).get(0) + " (index string labels with StringIndexer first)");
    }
    Row max = dataset.agg(org.apache.spark.sql.functions.max(y)).first();
    if (max.isNullAt(0)) {
      throw new IllegalArgumentException("the training data set is empty");
    }
    int classes = (int) max.getDouble(0) + 1;
    if (classes < 2) {
      throw new IllegalArgumentException("labelCol = '" + label + "' holds only class 0; a classifier needs at "
          + "least 2 classes");
    }
    List<Column> columns = new ArrayList<>();
    columns.add(col(getFeaturesCol()));
    List<String> names = new ArrayList<>();
    for (int k = 0; k < classes; k++) {
      String name = label + "_is_" + k;
      if (name.equals(getFeaturesCol())) {
        name = "_" + name;
      }
      names.add(name);
      columns.add(when(y.equalTo(k), lit(1.0)).otherwise(lit(0.0)).as(name));
    }
    Dataset<Row> train = dataset.select(columns.toArray(new Column[0]));
    NtkClassificationModel model = new NtkClassificationModel(uid(), fitDual(train, String.join(",", names)));
    return copyValues(model, ParamMap.empty()).setParent(this);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    validateInput(schema, true);
    StructType out = Schemas.append(schema, getRawPredictionCol(), "rawPredictionCol", SQLDataTypes.VectorType());
    out = Schemas.append(out, getProbabilityCol(), "probabilityCol", SQLDataTypes.VectorType());
    return Schemas.append(out, getPredictionCol(), "predictionCol", DataTypes.DoubleType);
  }

  @Override
  public NtkClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<NtkClassifier> read() {
    return new NtkPersistence.ParamsReader<>(NtkClassifier.class, NtkClassifier::new);
  }

  public static NtkClassifier load(String path) {
    return read().load(path);
  }
}
