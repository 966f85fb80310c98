package org.sparkntk.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkntk.api.NtkJob;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.data.RowBlock;
import org.sparkntk.gram.BlockKernel;
import org.sparkntk.gram.BlockPlan;
import org.sparkntk.gram.GramMatrix;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.spark.RowBlocks;
import org.sparkntk.spark.SparkGram;
import org.sparkntk.spark.TaskMemory;

/**
 * A fitted kernel machine in dual form: f(x*) = f_0(x*) + Θ(x*, X) α, with the network f_0 (or
 * f_0 = 0 for solver.f0 = zero), the training features X and the solver's dual coefficients α
 * ({@code FitResult.coefficients}). Every solver's prediction has this form: regression
 * α = (Θ + ρI)⁻¹(Y − f_0(X)); flow α = V Λ⁻¹(I − e^{−τΛ/N}) Vᵀ (Y − f_0(X)); steps
 * α_{t+1} = α_t − (η/N) d_t. Prediction recomputes the cross kernel on executors with the job's
 * own kernel and block plan, so it reproduces {@code NtkJob.run}'s test predictions.
 *
 * @param settings      the job settings of the fit (they rebuild the kernel)
 * @param network       the network giving f_0 and the empirical kernel
 * @param mapping       the input mapping before it
 * @param inputs        d, the raw feature count
 * @param trainFeatures X before the mapping, row-major [N × d] in reading order
 * @param outputs       O
 * @param coefficients  α, [N·k × O/k] row-major, the same memory as [N × O]
 */
record DualModel(Map<String, String> settings, Mlp network, InputMapping mapping, int inputs, double[] trainFeatures,
                 int outputs, double[] coefficients) {

  DualModel {
    settings = Map.copyOf(settings);
    if (trainFeatures.length % inputs != 0 || coefficients.length != trainFeatures.length / inputs * outputs) {
      throw new IllegalArgumentException(trainFeatures.length + " feature values of width " + inputs + " and "
          + coefficients.length + " coefficients for " + outputs + " outputs do not describe the same rows");
    }
  }

  int trainRows() {
    return trainFeatures.length / inputs;
  }

  /** f(x*) of every row of {@code features} (one ml Vector column), row-major [M × O] in reading order. */
  double[] predict(SparkSession spark, Dataset<Row> features) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    LabeledData data = DataReader.examples("data to transform", features, List.of(), false);
    if (data.featureCount() != inputs) {
      throw new IllegalArgumentException("the features column has vectors of size " + data.featureCount()
          + ", but the model was fitted on vectors of size " + inputs);
    }
    JobConfig config = JobConfig.of(settings);
    BlockKernel<?> kernel = NtkJob.kernel(config, network, mapping);
    int n = trainRows();
    int m = Math.toIntExact(data.count());
    // The block size of the fit (it depends on N only), so that the kernel blocks are the job's.
    int blockSize = NtkJob.blockSize(config, kernel, n, sc.defaultParallelism(), TaskMemory.budgetBytes(sc));
    BlockPlan trainPlan = new BlockPlan(n, blockSize);
    BlockPlan plan = new BlockPlan(m, blockSize);
    JavaRDD<RowBlock> trainBlocks = trainBlocks(sc, trainPlan);
    JavaRDD<RowBlock> blocks = RowBlocks.of(data, plan, mapping);
    try {
      double[] f = settings.getOrDefault("solver.f0", "network").equals("zero") ? new double[m * outputs]
          : RowBlocks.outputs(blocks, plan, network);
      GramMatrix cross = SparkGram.cross(sc, blocks, plan, trainBlocks, trainPlan, kernel, "cross kernel (transform)");
      Blas.get().gemm(cross.rows(), outputs / kernel.rowsPerExample(), cross.cols(), 1.0, cross.data(), coefficients,
          1.0, f);
      return f;
    } finally {
      trainBlocks.unpersist(false);
      blocks.unpersist(false);
      sc.setJobDescription(null);
    }
  }

  /** The training rows as row blocks of {@code plan}, mapped on the executors as {@code RowBlocks.of} maps them. */
  private JavaRDD<RowBlock> trainBlocks(JavaSparkContext sc, BlockPlan plan) {
    List<RowBlock> raw = new ArrayList<>();
    for (int b = 0; b < plan.blockCount(); b++) {
      int start = Math.toIntExact(plan.start(b));
      int rows = plan.rows(b);
      raw.add(new RowBlock(b, start, rows,
          Arrays.copyOfRange(trainFeatures, start * inputs, (start + rows) * inputs), new double[0]));
    }
    InputMapping gamma = mapping;
    boolean mapped = gamma.kind() != InputMapping.Kind.NONE && gamma.isFinite();
    return sc.parallelize(raw, Math.max(1, raw.size()))
        .map(b -> mapped ? new RowBlock(b.block(), b.start(), b.rows(), gamma.apply(b.features(), b.rows()), b.labels()) : b)
        .persist(StorageLevel.MEMORY_AND_DISK());
  }
}
