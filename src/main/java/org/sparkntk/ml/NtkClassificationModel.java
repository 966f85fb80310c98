package org.sparkntk.ml;

import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted {@link NtkClassifier}. For each row: rawPrediction = f(x*) = f_0(x*) + Θ(x*, X) α, the
 * K outputs; probability = softmax(f) when fitted with the cross-entropy (the model's own class
 * probabilities), and for mse the scores clipped at 0 and normalised to sum 1 (one-hot at the
 * argmax when no score is positive) — a ranking, not a calibrated probability; prediction = argmax f
 * as a double.
 */
public final class NtkClassificationModel extends NtkModel<NtkClassificationModel> {
  private static final long serialVersionUID = 1L;

  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;

  NtkClassificationModel(String uid, DualModel dual) {
    super(uid, dual);
    probabilityCol = new Param<>(this, "probabilityCol", "class probabilities column (default: probability)");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", "the K outputs f(x*) (default: rawPrediction)");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
  }

  public Param<String> probabilityCol() { return probabilityCol; }
  public Param<String> rawPredictionCol() { return rawPredictionCol; }
  public String getProbabilityCol() { return getOrDefault(probabilityCol); }
  public String getRawPredictionCol() { return getOrDefault(rawPredictionCol); }
  public NtkClassificationModel setProbabilityCol(String v) { set(probabilityCol, v); return this; }
  public NtkClassificationModel setRawPredictionCol(String v) { set(rawPredictionCol, v); return this; }

  /** K, the number of classes. */
  public int numClasses() {
    return dual().outputs();
  }

  /** The cost the outputs were fitted with: xent or mse. */
  public String loss() {
    return dual().settings().get("solver.loss");
  }

  @Override
  protected StructType appendOutputs(StructType schema) {
    StructType out = Schemas.append(schema, getRawPredictionCol(), "rawPredictionCol", SQLDataTypes.VectorType());
    out = Schemas.append(out, getProbabilityCol(), "probabilityCol", SQLDataTypes.VectorType());
    return Schemas.append(out, getPredictionCol(), "predictionCol", DataTypes.DoubleType);
  }

  @Override
  protected RowOutputs rowOutputs() {
    int k = numClasses();
    boolean softmax = loss().equals("xent");
    return (scores, row) -> {
      double[] f = Arrays.copyOfRange(scores, row * k, (row + 1) * k);
      int best = 0;
      for (int a = 1; a < k; a++) {
        if (f[a] > f[best]) {
          best = a;
        }
      }
      return new Object[] {Vectors.dense(f), Vectors.dense(probabilities(f, best, softmax)), (double) best};
    };
  }

  /** softmax(f) with the maximum subtracted, or max(f, 0)/Σ max(f, 0) (one-hot at {@code best} if that sum is 0). */
  static double[] probabilities(double[] f, int best, boolean softmax) {
    double[] p = new double[f.length];
    double sum = 0;
    for (int a = 0; a < f.length; a++) {
      p[a] = softmax ? Math.exp(f[a] - f[best]) : Math.max(f[a], 0.0);
      sum += p[a];
    }
    if (sum == 0) {
      p[best] = 1.0;
      return p;
    }
    for (int a = 0; a < f.length; a++) {
      p[a] /= sum;
    }
    return p;
  }

  @Override
  public NtkClassificationModel copy(ParamMap extra) {
    return copyValues(new NtkClassificationModel(uid(), dual()), extra).setParent(parent());
  }

  public static MLReader<NtkClassificationModel> read() {
    return new NtkPersistence.ModelReader<>(NtkClassificationModel.class, NtkClassificationModel::new);
  }

  public static NtkClassificationModel load(String path) {
    return read().load(path);
  }
}
