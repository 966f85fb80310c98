package org.sparkntk.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.data.RowBlock;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.solver.Loss;

/**
 * Full-batch gradient descent of the finite network on Spark, the dynamics that kernel gradient
 * descent approximates (docs/THEORY.md §5):
 *
 * <pre>θ_{t+1} = θ_t − η ∇_θ C(θ_t),   C(θ) = (1/N) Σ_i c(f_θ(x_i), y_i)</pre>
 *
 * with θ the trainable parameters of the model's parameterisation ({@link Mlp#parameters()}). To first
 * order in η the outputs then move by −(η/N) Σ_i Θ_t(x, x_i) d_t(x_i), kernel gradient descent with the
 * NTK at θ_t (Jacot et al. 2018, §3); as the widths grow Θ_t stays close to Θ_0 and the trajectory
 * approaches kernel gradient descent with Θ_0 (Lee et al. 2019), which is what comparing this trainer
 * with the kernel gradient descent of {@code solver.type = steps} measures.
 *
 * <p>Each step is one Spark job: θ_t is broadcast, every partition sums Σ_i c_i and Σ_i ∇_θ c_i over its
 * row blocks ({@link NetworkGradient}, GEMMs per block), {@link PartitionOrderSum} adds the partition sums,
 * in partition order, and the driver updates θ. Recording the outputs at a requested step adds one job per
 * data set (training, test). The row blocks do not depend on the partitioning, so neither do the
 * per-block sums; only the grouping of blocks into partitions does, which changes results by rounding
 * (relative differences of order 1e-15 per step). With the same partitioning a rerun gives the same bits.
 *
 * <p>Divergence guard: when C(θ_t) or its gradient is not finite (or θ_T is not), training stops with a
 * {@link DivergenceException} naming the step and the cost.
 */
public final class DistributedTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  private static final String JOB_DESCRIPTION = "spark.job.description";

  private DistributedTrainer() {}

  /**
   * What training recorded.
   *
   * @param steps         the recorded steps t, ascending
   * @param trainOutputs  f_t(X) at each recorded step, row-major [N × O] in row order
   * @param testOutputs   f_t(X*) at each recorded step, [M × O], or null without test rows
   * @param trainCosts    C(θ_t) = (1/N) Σ_i c(f_t(x_i), y_i) at each recorded step
   * @param testCosts     the same over the test rows; null without test rows, NaN entries when they have no labels
   * @param finalMlp      the network after the last step, θ_T
   * @param learningRate  η
   * @param loss          c
   */
  public record Result(int[] steps, double[][] trainOutputs, double[][] testOutputs, double[] trainCosts,
                       double[] testCosts, Mlp finalMlp, double learningRate, Loss loss) {}

  /** The training cost or its gradient became NaN or infinite. */
  public static final class DivergenceException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    private final int step;
    private final double cost;

    DivergenceException(int step, double cost, String what, double learningRate, int lastFiniteStep,
                        double lastFiniteCost) {
      super(String.format("gradient descent diverged at step %d: %s (training cost C = %s; η = %s%s). "
              + "Lower the learning rate.", step, what, cost, learningRate,
          lastFiniteStep < 0 ? "" : String.format("; C was %.6g at step %d", lastFiniteCost, lastFiniteStep)));
      this.step = step;
      this.cost = cost;
    }

    /** The step t whose θ_t gave the non-finite cost or gradient. */
    public int step() {
      return step;
    }

    /** C(θ_t) at that step (may itself be finite when only the gradient was not). */
    public double cost() {
      return cost;
    }
  }

  /**
   * Runs {@code steps} full-batch gradient-descent steps of size η from {@code initial}, recording the
   * outputs and costs at the steps listed in {@code recordAt} (values outside 0 … steps are ignored,
   * duplicates merged, as the kernel gradient descent of {@code solver.type = steps} does).
   *
   * @param train  row blocks of the training rows, labels [rows × O] required (cached here if not already)
   * @param test   row blocks of test rows to record outputs on, or null; labels optional
   */
  public static Result train(JavaSparkContext sc, JavaRDD<RowBlock> train, JavaRDD<RowBlock> test, Mlp initial,
                             Loss loss, double learningRate, int steps, int[] recordAt) {
    return trainAll(sc, train, test, List.of(initial), loss, learningRate, steps, recordAt).get(0);
  }

  /**
   * {@link #train} of several networks at once (e.g. one per initialisation seed), sharing each step's
   * Spark job: θ_t of every network is broadcast together and one pass over the row blocks sums each
   * network's cost and gradient into its own {@link GradientSum}, so the job scheduling, the pass over
   * the cached blocks and each recording job are paid once per step instead of once per network. Each
   * network's sums are added in the same order as when it is trained alone, so its trajectory is the
   * one {@link #train} gives it.
   *
   * @param initials networks with the same numbers of inputs and outputs; their results in the same order
   */
  public static List<Result> trainAll(JavaSparkContext sc, JavaRDD<RowBlock> train, JavaRDD<RowBlock> test,
                                      List<Mlp> initials, Loss loss, double learningRate, int steps, int[] recordAt) {
    if (initials.isEmpty()) {
      throw new IllegalArgumentException("no network to train");
    }
    Architecture arch = initials.get(0).architecture();
    for (Mlp mlp : initials) {
      Architecture a = mlp.architecture();
      if (a.inputs() != arch.inputs() || a.outputs() != arch.outputs()) {
        throw new IllegalArgumentException(String.format("networks trained together must share their inputs and "
            + "outputs: %d → %d and %d → %d", arch.inputs(), arch.outputs(), a.inputs(), a.outputs()));
      }
      if (a.parameterization() == Parameterization.STANDARD && a.sigmaB() == 0.0) {
        throw new IllegalArgumentException("cannot train the standard parameterisation with σ_b = 0: its trainable "
            + "biases b' = σ_b·b have no stored form (the model keeps raw draws b); use σ_b > 0 or the ntk "
            + "parameterisation");
      }
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("the learning rate must be a positive finite number, got " + learningRate);
    }
    if (steps < 0) {
      throw new IllegalArgumentException("the number of steps must be ≥ 0, got " + steps);
    }
    int[] record = Arrays.stream(recordAt).filter(s -> s >= 0 && s <= steps).distinct().sorted().toArray();
    int k = initials.size();
    int o = arch.outputs();
    int[] p = initials.stream().mapToInt(mlp -> Math.toIntExact(mlp.architecture().parameterCount())).toArray();
    String networks = k == 1 ? "" : k + " networks, ";
    String previousDescription = sc.getLocalProperty(JOB_DESCRIPTION);
    boolean cacheTrain = train.getStorageLevel().equals(StorageLevel.NONE());
    boolean cacheTest = test != null && test.getStorageLevel().equals(StorageLevel.NONE());
    if (cacheTrain) {
      train.persist(StorageLevel.MEMORY_AND_DISK());
    }
    if (cacheTest) {
      test.persist(StorageLevel.MEMORY_AND_DISK());
    }
    try {
      sc.setJobDescription("spark-ntk: gradient descent — checking the row blocks");
      int n = checkBlocks(train, arch, true, "training");
      if (n == 0) {
        throw new IllegalArgumentException("gradient descent needs at least one training row");
      }
      int m = test == null ? 0 : checkBlocks(test, arch, false, "test");
      double[][][] trainOutputs = new double[k][record.length][];
      double[][][] testOutputs = test == null ? null : new double[k][record.length][];
      double[][] trainCosts = new double[k][record.length];
      double[][] testCosts = test == null ? null : new double[k][record.length];
      Mlp[] mlps = initials.toArray(Mlp[]::new);
      int next = 0;
      int[] lastFiniteStep = new int[k];
      Arrays.fill(lastFiniteStep, -1);
      double[] lastFiniteCost = new double[k];
      Arrays.fill(lastFiniteCost, Double.NaN);
      for (int t = 0; ; t++) {
        Broadcast<Mlp[]> current = sc.broadcast(mlps);
        try {
          if (next < record.length && record[next] == t) {
            sc.setJobDescription(String.format("spark-ntk: gradient descent — outputs at step %d of %d (%s%d rows)",
                t, steps, networks, n));
            Recorded[] r = outputs(train, current, loss, n, o);
            Recorded[] s = null;
            if (test != null) {
              sc.setJobDescription(String.format("spark-ntk: gradient descent — test outputs at step %d of %d "
                  + "(%s%d rows)", t, steps, networks, m));
              s = outputs(test, current, loss, m, o);
            }
            for (int j = 0; j < k; j++) {
              trainOutputs[j][next] = r[j].outputs();
              trainCosts[j][next] = r[j].cost();
              if (s != null) {
                testOutputs[j][next] = s[j].outputs();
                testCosts[j][next] = s[j].cost();
              }
              LOG.info(String.format("gradient descent step %d of %d%s: training cost %.6g%s", t, steps,
                  k == 1 ? "" : String.format(" (network %d of %d)", j + 1, k), r[j].cost(),
                  s == null ? "" : String.format(", test cost %.6g", s[j].cost())));
              if (!Double.isFinite(r[j].cost())) {
                throw new DivergenceException(t, r[j].cost(), which(j, k) + "the cost is not finite", learningRate,
                    lastFiniteStep[j], lastFiniteCost[j]);
              }
            }
            next++;
          }
          if (t == steps) {
            break;
          }
          sc.setJobDescription(String.format("spark-ntk: gradient descent — step %d of %d, ∇C over %d rows, "
              + "%sP = %d (%s)", t + 1, steps, n, networks, p[0], loss.configName()));
          GradientSum[] zero = new GradientSum[k];
          for (int j = 0; j < k; j++) {
            zero[j] = new GradientSum(p[j]);
          }
          GradientSum[] sums = PartitionOrderSum.of(sc, train.mapPartitions(blocks -> {
            Mlp[] nets = current.value();
            GradientSum[] acc = new GradientSum[nets.length];
            for (int j = 0; j < nets.length; j++) {
              acc[j] = new GradientSum(p[j]);
            }
            while (blocks.hasNext()) {
              RowBlock block = blocks.next();
              for (int j = 0; j < nets.length; j++) {
                new NetworkGradient(nets[j], loss).accumulate(block.features(), block.labels(), block.rows(),
                    acc[j]);
              }
            }
            return List.<GradientSum[]>of(acc).iterator();
          }), zero);
          Mlp[] updated = new Mlp[k];
          for (int j = 0; j < k; j++) {
            GradientSum sum = sums[j];
            if (sum.rows() != n) {
              throw new IllegalStateException("the gradient summed " + sum.rows() + " rows, the data has " + n);
            }
            double cost = sum.cost() / n;
            if (!Double.isFinite(cost)) {
              throw new DivergenceException(t, cost, which(j, k) + "the cost is not finite", learningRate,
                  lastFiniteStep[j], lastFiniteCost[j]);
            }
            if (!allFinite(sum.gradient())) {
              throw new DivergenceException(t, cost, which(j, k) + "the gradient is not finite", learningRate,
                  lastFiniteStep[j], lastFiniteCost[j]);
            }
            lastFiniteStep[j] = t;
            lastFiniteCost[j] = cost;
            updated[j] = NetworkGradient.step(mlps[j], sum, learningRate);
          }
          mlps = updated;
        } finally {
          current.destroy();
        }
      }
      List<Result> results = new ArrayList<>(k);
      for (int j = 0; j < k; j++) {
        if (!allFinite(mlps[j].parameters())) {
          throw new DivergenceException(steps, Double.NaN, which(j, k) + "the parameters are not finite",
              learningRate, lastFiniteStep[j], lastFiniteCost[j]);
        }
        results.add(new Result(record, trainOutputs[j], testOutputs == null ? null : testOutputs[j], trainCosts[j],
            testCosts == null ? null : testCosts[j], mlps[j], learningRate, loss));
      }
      return results;
    } finally {
      sc.setJobDescription(previousDescription);
      if (cacheTrain) {
        train.unpersist(false);
      }
      if (cacheTest) {
        test.unpersist(false);
      }
    }
  }

  /** "network j of k: " when several networks train together. */
  private static String which(int j, int k) {
    return k == 1 ? "" : String.format("network %d of %d: ", j + 1, k);
  }

  private static boolean allFinite(double[] values) {
    for (double v : values) {
      if (!Double.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /** A block's shape as the driver checks it. */
  private record Shape(long start, int rows, int features, int labels) implements Serializable {}

  /**
   * Checks that the blocks cover rows 0 … N−1 once, with n_0 features and, when {@code labelsRequired},
   * O labels per row (test rows may have none); returns N. One job; it also fills the cache.
   */
  private static int checkBlocks(JavaRDD<RowBlock> blocks, Architecture arch, boolean labelsRequired, String what) {
    List<Shape> shapes = blocks.map(b -> new Shape(b.start(), b.rows(), b.features().length, b.labels().length))
        .collect();
    Shape[] sorted = shapes.toArray(Shape[]::new);
    Arrays.sort(sorted, Comparator.comparingLong(Shape::start));
    long expected = 0;
    int o = arch.outputs();
    for (Shape s : sorted) {
      if (s.start() != expected) {
        throw new IllegalArgumentException(String.format("%s row blocks must cover rows 0 … N−1 once: a block starts "
            + "at row %d where row %d was expected", what, s.start(), expected));
      }
      if (s.features() != (long) s.rows() * arch.inputs()) {
        throw new IllegalArgumentException(String.format("%s block at row %d has %d feature values, expected "
            + "%d rows × %d inputs", what, s.start(), s.features(), s.rows(), arch.inputs()));
      }
      boolean labelsOk = s.labels() == (long) s.rows() * o || (!labelsRequired && s.labels() == 0);
      if (!labelsOk) {
        throw new IllegalArgumentException(String.format("%s block at row %d has %d label values, expected %d rows "
            + "× %d outputs%s", what, s.start(), s.labels(), s.rows(), o, labelsRequired ? "" : " (or none)"));
      }
      expected += s.rows();
    }
    return Math.toIntExact(expected);
  }

  /** f(x) of every row in row order, and C = (1/rows) Σ_i c_i (NaN when the rows have no labels). */
  private record Recorded(double[] outputs, double cost) {}

  /** One block's outputs and Σ_i c_i over it, per network. */
  private record BlockOutputs(long start, double[][] outputs, double[] costSums) implements Serializable {}

  /** Every network's outputs and cost on {@code blocks}, one job for all of them. */
  private static Recorded[] outputs(JavaRDD<RowBlock> blocks, Broadcast<Mlp[]> mlps, Loss loss, int rows, int o) {
    List<BlockOutputs> perBlock = blocks.map(b -> {
      Mlp[] nets = mlps.value();
      double[][] f = new double[nets.length][];
      double[] cost = new double[nets.length];
      for (int j = 0; j < nets.length; j++) {
        f[j] = nets[j].outputs(b.features(), b.rows());
        cost[j] = b.labels().length == 0 ? Double.NaN : loss.costSum(f[j], b.labels(), o);
      }
      return new BlockOutputs(b.start(), f, cost);
    }).collect();
    BlockOutputs[] sorted = perBlock.toArray(BlockOutputs[]::new);
    // Row order, so that the cost is summed in the same order whatever the partitioning.
    Arrays.sort(sorted, Comparator.comparingLong(BlockOutputs::start));
    int k = mlps.value().length;
    Recorded[] recorded = new Recorded[k];
    for (int j = 0; j < k; j++) {
      double[] out = new double[Math.multiplyExact(rows, o)];
      double cost = 0;
      for (BlockOutputs b : sorted) {
        System.arraycopy(b.outputs()[j], 0, out, Math.toIntExact(b.start() * o), b.outputs()[j].length);
        cost += b.costSums()[j];
      }
      recorded[j] = new Recorded(out, rows == 0 ? Double.NaN : cost / rows);
    }
    return recorded;
  }
}
