package org.sparkntk.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.sparkntk.SparkTestSession;
import org.sparkntk.data.IdxFiles;

/**
 * NtkClassifier on real data: 2000 training and 1000 test images of Fashion-MNIST (Debian's
 * dataset-fashion-mnist; CI installs it), 4×4-pooled to 7×7 pixels (for speed), through VectorAssembler and
 * MulticlassClassificationEvaluator. The floor is the nearest-class-mean classifier on the same
 * pixels, computed here: a kernel machine that only matched class means would not be learning
 * anything from the NTK.
 */
class FashionMnistTest {
  static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");
  static final int TRAIN = 2000;
  static final int TEST = 1000;
  static final int POOL = 4;

  /** Accuracy of assigning each test image to the class whose training mean is nearest (Euclidean). */
  static double nearestClassMean(double[][] x, int[] y, double[][] xt, int[] yt) {
    int d = x[0].length;
    double[][] mean = new double[10][d];
    int[] count = new int[10];
    for (int i = 0; i < x.length; i++) {
      count[y[i]]++;
      for (int j = 0; j < d; j++) {
        mean[y[i]][j] += x[i][j];
      }
    }
    int correct = 0;
    for (int i = 0; i < xt.length; i++) {
      int best = -1;
      double bestDistance = Double.POSITIVE_INFINITY;
      for (int c = 0; c < 10; c++) {
        if (count[c] == 0) {
          continue;
        }
        double s = 0;
        for (int j = 0; j < d; j++) {
          double diff = xt[i][j] - mean[c][j] / count[c];
          s += diff * diff;
        }
        if (s < bestDistance) {
          bestDistance = s;
          best = c;
        }
      }
      correct += best == yt[i] ? 1 : 0;
    }
    return (double) correct / xt.length;
  }

  @Test
  void classifierBeatsNearestClassMeanOnFashionMnist() throws IOException {
    if (!Files.isReadable(DIR.resolve("train-images-idx3-ubyte.gz"))) {
      fail("Fashion-MNIST not found in " + DIR + ": install Debian's dataset-fashion-mnist package "
          + "(apt-get install -y dataset-fashion-mnist), as the README's set-up and .ci/run do");
    }
    double[][] x = IdxFiles.images(DIR.resolve("train-images-idx3-ubyte.gz"), TRAIN, POOL);
    int[] y = IdxFiles.labels(DIR.resolve("train-labels-idx1-ubyte.gz"), TRAIN);
    double[][] xt = IdxFiles.images(DIR.resolve("t10k-images-idx3-ubyte.gz"), TEST, POOL);
    int[] yt = IdxFiles.labels(DIR.resolve("t10k-labels-idx1-ubyte.gz"), TEST);
    double baseline = nearestClassMean(x, y, xt, yt);

    // The README's notebook cell, as written there.
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> train = IdxFiles.frame(spark, DIR.resolve("train-images-idx3-ubyte.gz"),
        DIR.resolve("train-labels-idx1-ubyte.gz"), TRAIN, POOL);
    Dataset<Row> test = IdxFiles.frame(spark, DIR.resolve("t10k-images-idx3-ubyte.gz"),
        DIR.resolve("t10k-labels-idx1-ubyte.gz"), TEST, POOL);
    VectorAssembler assembler = new VectorAssembler().setInputCols(IdxFiles.pixelColumns(train))
        .setOutputCol("features");
    // MSE on one-hot targets solved in closed form (kernel regression): seconds, where 1000 steps take minutes.
    NtkClassifier ntk = new NtkClassifier().setHidden(256).setLoss("mse").setSolverType("regression").setRidge(1e-3);
    long start = System.nanoTime();
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, ntk}).fit(train);
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(model.transform(test));
    assertEquals(49, IdxFiles.pixelColumns(train).length);
    System.out.printf("Fashion-MNIST %d/%d: NTK accuracy %.4f, nearest class mean %.4f, %.1f s%n", TRAIN, TEST,
        accuracy, baseline, (System.nanoTime() - start) / 1e9);
    assertTrue(accuracy > baseline + 0.05, "NTK accuracy " + accuracy + " vs nearest class mean " + baseline);
  }
}
