package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.ReferenceNtk;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The matrix-free empirical NTK against the stored blocks of the same kernel (structured route,
 * float64): Θ V and Θ(X*, X) V for trace and full outputs, on 1, 3 and 7 partitions, under both
 * parameterisations and with the input mappings (none, basic, positional, gaussian) applied to the
 * rows, several block sizes and column counts. Both compute Σ_j Θ_ij V_j in float64 by other
 * groupings (J(JᵀV) against (J Jᵀ)V), so they agree to rounding: 1e-12 relative, the issue's
 * tolerance. Every product runs twice and must give the same bits (the partial sums are added in
 * task order). The stored cross kernel is anchored once more to the plain J(γ(X*)) J(γ(X))ᵀ of
 * explicit Jacobians, so the mapping and the parameterisation are known to be in effect.
 */
class MatrixFreeKernelTest {
  private static final int INPUTS = 3;
  private static JavaSparkContext sc;

  @BeforeAll
  static void spark() {
    SparkGramTest.data();
    sc = JavaSparkContext.fromSparkContext(SparkGramTest.spark.sparkContext());
  }

  /** The mapping of {@code name} on the 3 input coordinates; small m keeps the network narrow. */
  private static InputMapping mapping(String name) {
    return switch (InputMapping.Kind.fromConfig(name)) {
      case NONE -> InputMapping.none(INPUTS);
      case BASIC -> InputMapping.basic(INPUTS);
      case POSITIONAL -> InputMapping.positional(INPUTS, 4.0, 2);
      case GAUSSIAN -> InputMapping.gaussian(INPUTS, 0.5, 4, 31);
    };
  }

  @ParameterizedTest(name = "{0} partitions, block {1}, {2}, {3}, mapping {4}")
  @CsvSource({"1, 5, trace, ntk, none", "3, 7, full, standard, none", "7, 8, trace, standard, positional",
      "3, 16, full, ntk, gaussian", "7, 6, full, standard, basic", "1, 16, trace, standard, gaussian"})
  void productsEqualTheStoredBlocks(int partitions, int blockSize, String outputs, String parameterization,
                                    String mappingName) {
    KernelOutputs layout = KernelOutputs.fromConfig(outputs);
    InputMapping mapping = mapping(mappingName);
    Mlp mlp = Mlp.initialise(Architecture.of(mapping.outputs(), new int[] {6, 5}, 2, Activation.TANH,
        Parameterization.fromConfig(parameterization), 1.0, 0.1), 2024);
    BlockPlan train = new BlockPlan(SparkGramTest.N, blockSize);
    BlockPlan test = new BlockPlan(SparkGramTest.M, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N,
        partitions), train, mapping);
    JavaRDD<RowBlock> testBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.testX, SparkGramTest.M,
        partitions), test, mapping);
    StructuredNtk stored = new StructuredNtk(mlp, layout, Precision.FLOAT64);
    JacobianProducts free = new JacobianProducts(mlp, layout);
    MatrixFreeKernel theta = new MatrixFreeKernel(sc, trainBlocks, train, trainBlocks, train, free, "training");
    MatrixFreeKernel cross = new MatrixFreeKernel(sc, testBlocks, test, trainBlocks, train, free, "cross");
    try (DistributedKernel thetaStored = DistributedGram.distributed(sc, trainBlocks, train, null, train, stored,
        Precision.FLOAT64, DistributedKernel.Cache.MEMORY, "stored");
         DistributedKernel crossStored = DistributedGram.distributed(sc, testBlocks, test, trainBlocks, train, stored,
             Precision.FLOAT64, DistributedKernel.Cache.MEMORY, "stored cross")) {
      assertEquals(thetaStored.rows(), theta.rows());
      assertEquals(crossStored.rows(), cross.rows());
      for (int columns : new int[] {1, 3}) {
        double[] v = DistributedKernelTest.random(theta.cols() * columns, 60 + columns);
        double[] free1 = theta.apply(v, columns);
        double train1 = Matrices.maxRelativeDifference(free1, thetaStored.apply(v, columns));
        double[] crossFree = cross.apply(v, columns);
        double crossDiff = Matrices.maxRelativeDifference(crossFree, crossStored.apply(v, columns));
        assertTrue(train1 <= 1e-12 && crossDiff <= 1e-12, outputs + ", " + columns + " columns: Θ V differs by "
            + train1 + ", Θ(X*, X) V by " + crossDiff);
        assertEquals(0.0, Matrices.maxRelativeDifference(free1, theta.apply(v, columns)), "the same bits twice");
        if (columns == 3) {
          double[] dense = ReferenceNtk.of(mlp, mapping.apply(SparkGramTest.testX, SparkGramTest.M), SparkGramTest.M,
              mapping.apply(SparkGramTest.trainX, SparkGramTest.N), SparkGramTest.N, layout);
          double anchor = Matrices.maxRelativeDifference(crossFree, times(dense, cross.rows(), v, columns));
          assertTrue(anchor <= 1e-12, "Θ(X*, X) V differs from J(γ(X*)) J(γ(X))ᵀ V by " + anchor);
        }
      }
      assertEquals(4, theta.products());
      assertEquals(2, cross.products());
    }
  }

  /**
   * The routes a large product takes give the same bits as the direct one: the task sums added per
   * piece on the reducers of a shuffle (a result limit below their total), and the columns in groups
   * (a limit below one job's sums of all columns). Each column's passes are the same arithmetic in
   * either grouping and the task sums are added in task order on every route, so the bits agree;
   * the Jᵀ V job has one task per core, not per row block.
   */
  @Test
  void largeProductsTakeTheShuffleAndColumnGroupsWithTheSameBits() {
    KernelOutputs layout = KernelOutputs.TRACE;
    Mlp mlp = Mlp.initialise(Architecture.of(INPUTS, new int[] {6, 5}, 2, Activation.TANH, Parameterization.NTK,
        1.0, 0.1), 2024);
    BlockPlan train = new BlockPlan(SparkGramTest.N, 4);
    JavaRDD<RowBlock> blocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N, 7), train,
        InputMapping.none(INPUTS));
    JacobianProducts free = new JacobianProducts(mlp, layout);
    MatrixFreeKernel theta = new MatrixFreeKernel(sc, blocks, train, blocks, train, free, "training");
    assertEquals(Math.min(train.blockCount(), sc.defaultParallelism()), theta.transposedTasks());
    int columns = 3;
    double[] v = DistributedKernelTest.random(theta.cols() * columns, 77);
    double[] direct = theta.apply(v, columns);
    long perColumn = 8L * free.passes(1) * free.parameters();
    // all columns in one job, but the tasks' sums together above half the limit: the shuffle route
    theta.limitResultBytes(2 * perColumn * columns + 16);
    assertEquals(columns, theta.columnsPerJob(columns));
    assertEquals(0.0, Matrices.maxRelativeDifference(direct, theta.apply(v, columns)), "shuffle route");
    // one column per job
    theta.limitResultBytes(2 * perColumn + 16);
    assertEquals(1, theta.columnsPerJob(columns));
    assertEquals(0.0, Matrices.maxRelativeDifference(direct, theta.apply(v, columns)), "column groups");
    theta.limitResultBytes(perColumn);
    IllegalStateException tooLarge = assertThrows(IllegalStateException.class, () -> theta.apply(v, columns));
    assertTrue(tooLarge.getMessage().contains("spark.driver.maxResultSize"), tooLarge.getMessage());
    try (DistributedKernel stored = DistributedGram.distributed(sc, blocks, train, null, train,
        new StructuredNtk(mlp, layout, Precision.FLOAT64), Precision.FLOAT64, DistributedKernel.Cache.MEMORY,
        "stored")) {
      double diff = Matrices.maxRelativeDifference(direct, stored.apply(v, columns));
      assertTrue(diff <= 1e-12, "Θ V differs from the stored blocks' by " + diff);
    }
  }

  /** A V for A row-major [rows × n] and V row-major [n × columns], n = V's length / columns. */
  private static double[] times(double[] a, int rows, double[] v, int columns) {
    int n = v.length / columns;
    double[] out = new double[rows * columns];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < n; j++) {
        for (int c = 0; c < columns; c++) {
          out[i * columns + c] += a[i * n + j] * v[j * columns + c];
        }
      }
    }
    return out;
  }
}
