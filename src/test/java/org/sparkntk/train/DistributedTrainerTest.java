package org.sparkntk.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkntk.SparkTestSession;
import org.sparkntk.data.RowBlock;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.solver.Loss;

/**
 * The distributed trainer against the same step computed in one JVM ({@link NetworkGradient} over all
 * rows as one block), across partitionings and block sizes, and its bookkeeping: recorded steps, Spark
 * jobs per step, the divergence guard and the checks of its input.
 *
 * <p>Tolerances: both sides add the same per-row terms, in a different order (GEMMs over blocks of 4
 * or 5 rows, partition sums added by treeAggregate, versus one GEMM over all rows); each gradient
 * entry is a sum of N = 23 row terms, so the difference is a few ulps of the largest partial sums,
 * ~1e-15 relative, and a step θ − (η/N)g keeps it at that level. 1e-12 (the contract) leaves a margin of
 * a thousand, while a missing 1/N, a block counted twice or a lost partition change results by O(1e-2)
 * or more.
 */
class DistributedTrainerTest {
  static final int N = 23;
  static final int M = 9;
  static final int INPUTS = 3;
  static final int O = 2;
  static JavaSparkContext sc;
  static double[] trainX;
  static double[] testX;

  @BeforeAll
  static void setUp() {
    sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    Random r = new Random(31);
    trainX = r.doubles(N * INPUTS, -1.5, 1.5).toArray();
    testX = r.doubles(M * INPUTS, -1.5, 1.5).toArray();
  }

  static Architecture arch(Parameterization param) {
    return new Architecture(new int[] {INPUTS, 8, 6, O}, Activation.TANH, param, 1.2, 0.3);
  }

  /** mse: smooth functions of the inputs; xent: one-hot rows of the class argmax of the same functions. */
  static double[] targets(Loss loss, double[] x, int rows) {
    double[] y = new double[rows * O];
    for (int i = 0; i < rows; i++) {
      double u = Math.sin(2 * x[i * INPUTS]) + x[i * INPUTS + 1];
      double v = Math.cos(x[i * INPUTS + 2]) - 0.5;
      if (loss == Loss.MSE) {
        y[i * O] = u;
        y[i * O + 1] = v;
      } else {
        y[i * O + (u > v ? 0 : 1)] = 1.0;
      }
    }
    return y;
  }

  /** Rows cut into consecutive blocks of {@code blockSize}, spread over {@code partitions} partitions. */
  static JavaRDD<RowBlock> blocks(double[] x, double[] y, int rows, int blockSize, int partitions) {
    List<RowBlock> list = new ArrayList<>();
    for (int start = 0, b = 0; start < rows; start += blockSize, b++) {
      int r = Math.min(blockSize, rows - start);
      list.add(new RowBlock(b, start, r, Arrays.copyOfRange(x, start * INPUTS, (start + r) * INPUTS),
          y == null ? new double[0] : Arrays.copyOfRange(y, start * O, (start + r) * O)));
    }
    JavaRDD<RowBlock> rdd = sc.parallelize(list, partitions);
    assertEquals(partitions, rdd.getNumPartitions());
    return rdd;
  }

  static double rel(double[] actual, double[] expected) {
    return Matrices.maxRelativeDifference(actual, expected);
  }

  @ParameterizedTest(name = "{1}, {2}: {0} partitions")
  @CsvSource({"1, mse, ntk", "3, mse, ntk", "7, mse, ntk", "1, xent, standard", "3, xent, standard",
      "7, xent, standard"})
  void oneStepEqualsSingleJvmStep(int partitions, String lossName, String paramName) {
    Loss loss = Loss.fromConfig(lossName);
    Mlp initial = Mlp.initialise(arch(Parameterization.fromConfig(paramName)), 12);
    double[] y = targets(loss, trainX, N);
    double[] testY = targets(loss, testX, M);
    double lr = 0.7;
    DistributedTrainer.Result result = DistributedTrainer.train(sc, blocks(trainX, y, N, 4, partitions),
        blocks(testX, testY, M, 5, Math.max(1, partitions - 1)), initial, loss, lr, 1, new int[] {0, 1});

    GradientSum whole = new NetworkGradient(initial, loss).of(trainX, y, N);
    Mlp expected = NetworkGradient.step(initial, whole, lr);
    double relTheta = rel(result.finalMlp().parameters(), expected.parameters());
    System.out.printf("%s %s, %d partitions: θ_1 differs from the single-JVM step by %.2e relative%n", lossName,
        paramName, partitions, relTheta);
    assertTrue(relTheta < 1e-12, "θ_1 differs from the single-JVM step by " + relTheta);
    assertTrue(rel(initial.parameters(), expected.parameters()) > 1e-3, "the step must move θ");
    assertArrayEquals(new int[] {0, 1}, result.steps());
    assertTrue(rel(result.trainOutputs()[0], initial.outputs(trainX, N)) < 1e-12, "f_0 on the training rows");
    assertTrue(rel(result.trainOutputs()[1], expected.outputs(trainX, N)) < 1e-12, "f_1 on the training rows");
    assertTrue(rel(result.testOutputs()[1], expected.outputs(testX, M)) < 1e-12, "f_1 on the test rows");
    assertEquals(whole.cost() / N, result.trainCosts()[0], 1e-12 * result.trainCosts()[0], "C(θ_0)");
    double c1 = loss.costSum(expected.outputs(trainX, N), y, O) / N;
    assertEquals(c1, result.trainCosts()[1], 1e-12 * c1, "C(θ_1)");
    assertTrue(result.trainCosts()[1] < result.trainCosts()[0], "a small step lowers the cost");
    double t1 = loss.costSum(expected.outputs(testX, M), testY, O) / M;
    assertEquals(t1, result.testCosts()[1], 1e-12 * t1, "test cost at step 1");
    assertEquals(lr, result.learningRate());
    assertEquals(loss, result.loss());
  }

  /** Five steps give the same trajectory, to rounding, whatever the partitioning and the block size. */
  @ParameterizedTest
  @EnumSource(Loss.class)
  void partitioningDoesNotChangeTheResult(Loss loss) {
    Mlp initial = Mlp.initialise(arch(Parameterization.NTK), 5);
    double[] y = targets(loss, trainX, N);
    int[] record = {0, 5};
    DistributedTrainer.Result reference = null;
    double worst = 0;
    for (int[] layout : new int[][] {{1, 23}, {3, 4}, {7, 1}}) {
      DistributedTrainer.Result r = DistributedTrainer.train(sc, blocks(trainX, y, N, layout[1], layout[0]), null,
          initial, loss, 0.5, 5, record);
      assertNull(r.testOutputs());
      assertNull(r.testCosts());
      if (reference == null) {
        reference = r;
        assertTrue(r.trainCosts()[1] < 0.95 * r.trainCosts()[0], "training must make progress: " + Arrays.toString(
            r.trainCosts()));
        continue;
      }
      String where = layout[0] + " partitions, blocks of " + layout[1];
      worst = Math.max(worst, rel(r.finalMlp().parameters(), reference.finalMlp().parameters()));
      assertTrue(rel(r.finalMlp().parameters(), reference.finalMlp().parameters()) < 1e-12, "θ_5, " + where);
      for (int k = 0; k < record.length; k++) {
        assertTrue(rel(r.trainOutputs()[k], reference.trainOutputs()[k]) < 1e-12, "outputs at step " + record[k]
            + ", " + where);
        assertEquals(reference.trainCosts()[k], r.trainCosts()[k], 1e-12 * reference.trainCosts()[k]);
      }
    }
    System.out.printf("%s: θ_5 over partitionings differs by at most %.2e relative%n", loss.configName(), worst);
  }

  /**
   * Three networks (different seeds, one of another width) trained together equal each trained alone, to
   * the trainer's 1e-12 contract: each network's per-block sums are the same either way, and only the order
   * in which the driver adds the partition sums (the order the tasks finish) can differ, a rounding-level
   * change (measured ~1e-16). Together they take the Spark jobs of one network.
   */
  @ParameterizedTest
  @EnumSource(Loss.class)
  void networksTrainedTogetherEqualEachTrainedAlone(Loss loss) {
    double[] y = targets(loss, trainX, N);
    double[] testY = targets(loss, testX, M);
    JavaRDD<RowBlock> train = blocks(trainX, y, N, 4, 3).persist(StorageLevel.MEMORY_ONLY());
    JavaRDD<RowBlock> test = blocks(testX, testY, M, 5, 2).persist(StorageLevel.MEMORY_ONLY());
    Architecture other = new Architecture(new int[] {INPUTS, 12, 5, O}, Activation.TANH, Parameterization.NTK, 1.2,
        0.3);
    List<Mlp> initials = List.of(Mlp.initialise(arch(Parameterization.NTK), 1),
        Mlp.initialise(arch(Parameterization.NTK), 2), Mlp.initialise(other, 3));
    int[] record = {0, 2, 4};
    String group = "trainer-together-" + loss.configName();
    sc.setJobGroup(group, "counting jobs", false);
    List<DistributedTrainer.Result> together;
    try {
      together = DistributedTrainer.trainAll(sc, train, test, initials, loss, 0.4, 4, record);
      drainListenerBus();
      assertEquals(2 + 4 + 3 * 2, sc.statusTracker().getJobIdsForGroup(group).length,
          "two block checks + 4 steps + 3 recorded steps × 2 data sets, as for one network");
    } finally {
      sc.clearJobGroup();
    }
    for (int j = 0; j < initials.size(); j++) {
      DistributedTrainer.Result alone = DistributedTrainer.train(sc, train, test, initials.get(j), loss, 0.4, 4,
          record);
      DistributedTrainer.Result r = together.get(j);
      assertTrue(rel(r.finalMlp().parameters(), alone.finalMlp().parameters()) < 1e-12, "θ_4 of network " + j);
      assertTrue(rel(r.trainCosts(), alone.trainCosts()) < 1e-12, "training costs of network " + j);
      assertTrue(rel(r.testCosts(), alone.testCosts()) < 1e-12, "test costs of network " + j);
      for (int k = 0; k < record.length; k++) {
        assertTrue(rel(r.trainOutputs()[k], alone.trainOutputs()[k]) < 1e-12, "f at step " + record[k]);
        assertTrue(rel(r.testOutputs()[k], alone.testOutputs()[k]) < 1e-12, "f(X*) at step " + record[k]);
      }
      assertTrue(rel(r.finalMlp().parameters(), initials.get(j).parameters()) > 1e-3, "training moves θ");
    }
    assertTrue(rel(together.get(0).trainOutputs()[2], together.get(1).trainOutputs()[2]) > 1e-2,
        "different seeds give different networks");
    train.unpersist(false);
    test.unpersist(false);
  }

  /** One Spark job per step (the treeAggregate), plus one per data set at setup and at each recorded step. */
  @Test
  void oneSparkJobPerStep() {
    Mlp initial = Mlp.initialise(arch(Parameterization.NTK), 2);
    double[] y = targets(Loss.MSE, trainX, N);
    JavaRDD<RowBlock> train = blocks(trainX, y, N, 4, 3);
    JavaRDD<RowBlock> test = blocks(testX, null, M, 4, 2);
    String group = "trainer-job-count";
    sc.setJobGroup(group, "counting jobs", false);
    try {
      DistributedTrainer.train(sc, train, null, initial, Loss.MSE, 0.3, 6, new int[0]);
      drainListenerBus();
      assertEquals(1 + 6, sc.statusTracker().getJobIdsForGroup(group).length, "block check + 6 steps");
      sc.setJobGroup(group + "-2", "counting jobs", false);
      DistributedTrainer.Result r = DistributedTrainer.train(sc, train, test, initial, Loss.MSE, 0.3, 6,
          new int[] {0, 6});
      drainListenerBus();
      assertEquals(2 + 6 + 2 * 2, sc.statusTracker().getJobIdsForGroup(group + "-2").length,
          "two block checks + 6 steps + 2 recorded steps × 2 data sets");
      assertTrue(Double.isNaN(r.testCosts()[1]), "test rows without labels have no cost");
      assertEquals(M * O, r.testOutputs()[1].length);
    } finally {
      sc.clearJobGroup();
    }
    assertEquals(StorageLevel.NONE(), train.getStorageLevel(), "an RDD the trainer cached is released");
  }

  /**
   * Waits until Spark's listeners have seen every finished job: the status tracker learns of jobs
   * asynchronously, and on a busy machine the last jobs of a group can be missing when counted.
   */
  private static void drainListenerBus() {
    try {
      sc.sc().listenerBus().waitUntilEmpty(60_000);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain in 60 s", e);
    }
  }

  @Test
  void divergenceStopsWithStepAndCost() {
    Architecture linear = new Architecture(new int[] {INPUTS, 8, O}, Activation.IDENTITY, Parameterization.NTK,
        1.0, 0.1);
    double[] y = targets(Loss.MSE, trainX, N);
    DistributedTrainer.DivergenceException e = assertThrows(DistributedTrainer.DivergenceException.class,
        () -> DistributedTrainer.train(sc, blocks(trainX, y, N, 8, 2), null, Mlp.initialise(linear, 1), Loss.MSE,
            1e3, 500, new int[] {500}));
    System.out.println("divergence: " + e.getMessage());
    assertTrue(e.step() > 0 && e.step() < 500, "diverges within the run, at step " + e.step());
    assertTrue(!Double.isFinite(e.cost()) || e.getMessage().contains("gradient"), e.getMessage());
    assertTrue(e.getMessage().contains("step " + e.step()) && e.getMessage().contains("Lower the learning rate"),
        e.getMessage());
  }

  @Test
  void refusesBadInput() {
    Mlp mlp = Mlp.initialise(arch(Parameterization.NTK), 1);
    double[] y = targets(Loss.MSE, trainX, N);
    List<RowBlock> gap = new ArrayList<>(blocks(trainX, y, N, 5, 1).collect());
    gap.remove(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.train(sc,
        sc.parallelize(gap, 2), null, mlp, Loss.MSE, 0.1, 1, new int[0]));
    assertTrue(e.getMessage().contains("starts at row 10 where row 5 was expected"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.train(sc,
        blocks(trainX, null, N, 5, 2), null, mlp, Loss.MSE, 0.1, 1, new int[0]));
    assertTrue(e.getMessage().contains("label values"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.train(sc, blocks(trainX, y, N, 5, 2),
        null, mlp, Loss.MSE, -1, 1, new int[0]));
    Architecture noBias = new Architecture(new int[] {INPUTS, 4, O}, Activation.TANH, Parameterization.STANDARD,
        1.0, 0.0);
    e = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.train(sc, blocks(trainX, y, N, 5, 2),
        null, Mlp.initialise(noBias, 1), Loss.MSE, 0.1, 1, new int[0]));
    assertTrue(e.getMessage().contains("σ_b = 0"), e.getMessage());
  }
}
