package org.sparkntk.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.sparkntk.blocks.TaskMemory;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataException;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.linalg.Blas;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.NtkJob;

/**
 * A fitted kernel machine in dual form: f(x*) = f_0(x*) + Θ(x*, X) α, with the network f_0 (or
 * f_0 = 0 when solver.f0 resolves to zero, {@code JobComponents.startsFromZero}), the training features X
 * and the solver's dual coefficients α
 * ({@code FitResult.coefficients}). Every solver's prediction has this form: regression
 * α = (Θ + ρI)⁻¹(Y − f_0(X)); flow α = V Λ⁻¹(I − e^{−τΛ/N}) Vᵀ (Y − f_0(X)); steps
 * α_{t+1} = α_t − (η/N) d_t.
 *
 * <p>{@link #score} computes f on the executors, partition by partition of the input rows: the
 * training features and α (N·(d + O)·8 bytes), the network and the fit's own kernel are broadcast
 * once, the training rows are cut into the fit's blocks X_J and f(x*) = f_0(x*) + Σ_J Θ(x*, X_J) α_J
 * is accumulated over them, so it reproduces {@code NtkJob.run}'s test predictions without ever
 * holding an M × N kernel or the M × O scores on the driver.
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

  /** Rows scored per step on an executor (fewer when the fit's blocks are smaller). */
  static final int CHUNK_ROWS = 512;

  /** What one scored input row becomes; {@code scores} is the chunk's [rows × O], the row's are at {@code i}. */
  interface Emit<T> extends Serializable {
    T of(Row row, double[] scores, int i);
  }

  /**
   * Scores every row of {@code rows} on the executors, in the rows' own partitions: each partition's
   * rows are read in chunks, mapped by γ, prepared by the fit's kernel and multiplied against the
   * training blocks, f = f_0 + Σ_J Θ(x*, X_J) α_J; each row is then emitted with its chunk's scores.
   * The training features and α (N·(d + O) doubles), the network and the kernel are broadcast once
   * per call; nothing of size M is collected. Lazy, like any RDD transformation.
   *
   * @param featuresIndex the position of the ml Vector features column in the rows
   */
  <T> JavaRDD<T> score(JavaRDD<Row> rows, int featuresIndex, Emit<T> emit) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(rows.context());
    JobConfig config = JobConfig.of(settings);
    BlockKernel<?> kernel = JobComponents.kernel(config, network, mapping);
    int n = trainRows();
    long budget = TaskMemory.budgetBytes(sc);
    // The block size of the fit (it depends on N only), so that the training blocks are the job's.
    int blockSize = JobComponents.blockSize(config, kernel, n, sc.defaultParallelism(), budget);
    Broadcast<Scorer<?>> shared = sc.broadcast(scorer(kernel, new BlockPlan(n, blockSize), budget));
    return rows.mapPartitions(it -> scored(it, shared.value(), featuresIndex, emit));
  }

  <F extends Serializable> Scorer<F> scorer(BlockKernel<F> kernel, BlockPlan plan, long budget) {
    int blocks = plan.blockCount();
    int[] starts = new int[blocks + 1];
    for (int b = 0; b < blocks; b++) {
      starts[b] = Math.toIntExact(plan.start(b));
    }
    starts[blocks] = trainRows();
    // A task keeps the prepared training blocks for its whole partition when they take at most half its budget.
    boolean keep = (double) kernel.preparedBytes(plan.blockSize()) * blocks <= budget / 2.0;
    boolean mapped = mapping.kind() != InputMapping.Kind.NONE && mapping.isFinite();
    // A model saved before solver.f0 existed started from the network; solver.f0 = auto is resolved as the fit did.
    Map<String, String> fit = new HashMap<>(settings);
    fit.putIfAbsent("solver.f0", "network");
    boolean zeroF0 = JobComponents.startsFromZero(JobConfig.of(fit));
    return new Scorer<>(kernel, network, mapped ? mapping : null, zeroF0, inputs, outputs, trainFeatures,
        coefficients, starts, Math.max(1, Math.min(CHUNK_ROWS, plan.blockSize())), keep);
  }

  /**
   * Everything an executor needs to score rows, broadcast once per transform.
   *
   * @param mapping γ when it maps the rows (null: the raw features)
   * @param starts  the first training row of each training block, then N
   * @param keep    whether a task keeps the prepared training blocks for its partition (else per chunk)
   */
  record Scorer<F extends Serializable>(BlockKernel<F> kernel, Mlp network, InputMapping mapping, boolean zeroF0,
                                        int inputs, int outputs, double[] trainFeatures, double[] coefficients,
                                        int[] starts, int chunk, boolean keep) implements Serializable {

    /** The prepared training blocks, mapped as {@code RowBlocks.of} maps rows. */
    List<F> prepareTraining() {
      List<F> out = new ArrayList<>();
      for (int b = 0; b + 1 < starts.length; b++) {
        out.add(prepareTraining(b));
      }
      return out;
    }

    F prepareTraining(int b) {
      int rows = starts[b + 1] - starts[b];
      double[] x = Arrays.copyOfRange(trainFeatures, starts[b] * inputs, starts[b + 1] * inputs);
      return kernel.prepare(mapping == null ? x : mapping.apply(x, rows), rows);
    }

    /** f(x*) of {@code rows} raw feature rows x (row-major [rows × d]), [rows × O]; {@code prepared} may be null. */
    double[] scores(double[] x, int rows, List<F> prepared) {
      double[] z = mapping == null ? x : mapping.apply(x, rows);
      double[] f = zeroF0 ? new double[rows * outputs] : network.outputs(z, rows);
      F left = kernel.prepare(z, rows);
      int k = kernel.rowsPerExample();
      int width = outputs / k;
      for (int b = 0; b + 1 < starts.length; b++) {
        F right = prepared != null ? prepared.get(b) : prepareTraining(b);
        int cols = (starts[b + 1] - starts[b]) * k;
        double[] block = kernel.block(left, right);
        // f += Θ(x*, X_J) α_J, α_J the rows of α of training block J ([N·k × O/k] row-major).
        Blas.get().gemm(false, false, rows * k, width, cols, 1.0, block, 0, cols, coefficients,
            starts[b] * k * width, width, 1.0, f, 0, width);
      }
      return f;
    }
  }

  private static <F extends Serializable, T> Iterator<T> scored(Iterator<Row> rows, Scorer<F> scorer,
                                                                int featuresIndex, Emit<T> emit) {
    return new Scored<>(rows, scorer, featuresIndex, emit);
  }

  /** One partition's rows, scored a chunk at a time and emitted in their own order. */
  private static final class Scored<F extends Serializable, T> implements Iterator<T> {
    private final Iterator<Row> rows;
    private final Scorer<F> scorer;
    private final int featuresIndex;
    private final Emit<T> emit;
    private final List<Row> chunk = new ArrayList<>();
    private List<F> prepared;
    private double[] scores;
    private int next;

    Scored(Iterator<Row> rows, Scorer<F> scorer, int featuresIndex, Emit<T> emit) {
      this.rows = rows;
      this.scorer = scorer;
      this.featuresIndex = featuresIndex;
      this.emit = emit;
    }

    @Override
    public boolean hasNext() {
      if (next < chunk.size()) {
        return true;
      }
      chunk.clear();
      next = 0;
      while (chunk.size() < scorer.chunk() && rows.hasNext()) {
        chunk.add(rows.next());
      }
      if (chunk.isEmpty()) {
        prepared = null;
        return false;
      }
      int d = scorer.inputs();
      double[] x = new double[chunk.size() * d];
      for (int i = 0; i < chunk.size(); i++) {
        System.arraycopy(features(chunk.get(i).get(featuresIndex), d), 0, x, i * d, d);
      }
      if (scorer.keep() && prepared == null) {
        prepared = scorer.prepareTraining();
      }
      scores = scorer.scores(x, chunk.size(), prepared);
      return true;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      T out = emit.of(chunk.get(next), scores, next);
      next++;
      return out;
    }
  }

  /** The values of one row's features column, checked as {@code DataReader} checks them. */
  static double[] features(Object value, int inputs) {
    if (!(value instanceof Vector v)) {
      throw new DataException("the features column has a missing value");
    }
    if (v.size() != inputs) {
      throw new DataException("the features column has vectors of size " + v.size()
          + ", but the model was fitted on vectors of size " + inputs);
    }
    double[] x = v.toArray();
    for (int j = 0; j < x.length; j++) {
      if (!Double.isFinite(x[j])) {
        throw new DataException("the features column has " + x[j] + " at [" + j + "], not a finite number");
      }
    }
    return x;
  }
}
