package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Matrices;

/**
 * The matrix-free empirical NTK against the stored blocks of the same kernel (structured route,
 * float64): Θ V and Θ(X*, X) V for trace and full outputs, several partitions, block sizes and
 * column counts. Both compute Σ_j Θ_ij V_j in float64 by other groupings (J(JᵀV) against
 * (J Jᵀ)V), so they agree to rounding: 1e-12 relative, the tolerance. Every product runs
 * twice and must give the same bits (the partial sums are added in task order).
 */
class MatrixFreeKernelTest {
  private static JavaSparkContext sc;

  @BeforeAll
  static void spark() {
    SparkGramTest.data();
    sc = JavaSparkContext.fromSparkContext(SparkGramTest.spark.sparkContext());
  }

  @ParameterizedTest
  @CsvSource({"1, 5, trace", "3, 7, full", "2, 16, trace", "3, 4, full"})
  void productsEqualTheStoredBlocks(int partitions, int blockSize, String outputs) {
    KernelOutputs layout = KernelOutputs.fromConfig(outputs);
    BlockPlan train = new BlockPlan(SparkGramTest.N, blockSize);
    BlockPlan test = new BlockPlan(SparkGramTest.M, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N,
        partitions), train);
    JavaRDD<RowBlock> testBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.testX, SparkGramTest.M,
        partitions), test);
    StructuredNtk stored = new StructuredNtk(SparkGramTest.MLP, layout, Precision.FLOAT64);
    JacobianProducts free = new JacobianProducts(SparkGramTest.MLP, layout);
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
        double crossDiff = Matrices.maxRelativeDifference(cross.apply(v, columns), crossStored.apply(v, columns));
        assertTrue(train1 <= 1e-12 && crossDiff <= 1e-12, outputs + ", " + columns + " columns: Θ V differs by "
            + train1 + ", Θ(X*, X) V by " + crossDiff);
        assertEquals(0.0, Matrices.maxRelativeDifference(free1, theta.apply(v, columns)), "the same bits twice");
      }
      assertEquals(4, theta.products());
    }
  }
}
