package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.data.RowBlock;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Matrices;

/**
 * Products with the kernel kept on the executors equal the dense product of the collected Gram
 * (the dense path of {@link SparkGram}, itself tested against J Jᵀ) for every partitioning, odd
 * block sizes, trace and full kernels, the three caches and both storage precisions.
 *
 * <p>Tolerances: float64 blocks give the same sums as one dense GEMM in another order, a few ulps
 * of the largest partial sum (1e-13 relative to max |Θ V|). float32 blocks round each entry by
 * 2⁻²⁴ relative, so a sum of n terms is off by at most n·2⁻²⁴·max|Θ|·max|V|; 1e-6 of that scale
 * here.
 */
class DistributedKernelTest {
  static JavaSparkContext sc;

  @BeforeAll
  static void spark() {
    SparkGramTest.data();
    sc = JavaSparkContext.fromSparkContext(SparkGramTest.spark.sparkContext());
  }

  static double[] random(int n, long seed) {
    return new Random(seed).doubles(n, -1, 1).toArray();
  }

  @ParameterizedTest
  @CsvSource({"1, 5, trace, memory", "3, 7, trace, none", "7, 4, full, memory", "3, 37, full, disk",
      "7, 11, trace, disk"})
  void productsEqualTheDenseGram(int partitions, int blockSize, String outputs, String cache) {
    KernelOutputs layout = KernelOutputs.fromConfig(outputs);
    BlockKernel<?> kernel = new StructuredNtk(SparkGramTest.MLP, layout, Precision.FLOAT64);
    BlockPlan train = new BlockPlan(SparkGramTest.N, blockSize);
    BlockPlan test = new BlockPlan(SparkGramTest.M, blockSize);
    JavaRDD<RowBlock> trainBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N,
        partitions), train);
    JavaRDD<RowBlock> testBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.testX, SparkGramTest.M,
        partitions), test);
    GramMatrix gram = SparkGram.symmetric(sc, trainBlocks, train, kernel, "dense");
    GramMatrix cross = SparkGram.cross(sc, testBlocks, test, trainBlocks, train, kernel, "dense cross");
    DistributedKernel.Cache c = DistributedKernel.Cache.fromConfig(cache);
    try (DistributedKernel theta = DistributedGram.distributed(sc, trainBlocks, train, null, train, kernel,
        Precision.FLOAT64, c, "training");
         DistributedKernel thetaStar = DistributedGram.distributed(sc, testBlocks, test, trainBlocks, train, kernel,
             Precision.FLOAT64, c, "cross")) {
      for (int columns : new int[] {1, 3}) {
        double[] v = random(gram.cols() * columns, columns);
        assertClose(dense(gram, v, columns), theta.apply(v, columns), 1e-13);
        assertClose(dense(cross, v, columns), thetaStar.apply(v, columns), 1e-13);
        // Θ(X*, X)ᵀ U, each block's term added to its column block (what Nyström regression needs)
        double[] u = random(cross.rows() * columns, columns + 10);
        assertClose(denseTransposed(cross, u, columns), thetaStar.applyTransposed(u, columns), 1e-13);
        double[] w = random(gram.rows() * columns, columns + 20);
        assertClose(dense(gram, w, columns), theta.applyTransposed(w, columns), 1e-13); // Θ(X, X) is symmetric
      }
      assertEquals(4, theta.products());
      assertEquals(c == DistributedKernel.Cache.NONE, theta.storedBytes() == 0);
      // Under a result limit that fits two columns per job, a 5-column product runs as three jobs
      // of 2, 2 and 1 columns and still equals the dense product (one product counted).
      int rows = gram.rows();
      long limit = 2L * 2 * rows * 8;
      assertEquals(2, DistributedKernel.columnsPerJob(limit, rows, 5));
      assertFalse(DistributedKernel.sumsOnDriver(2, rows, 2, limit), "two partial sums of 2 columns exceed it");
      theta.limitResultBytes(limit);
      double[] v = random(gram.cols() * 5, 5);
      assertClose(dense(gram, v, 5), theta.apply(v, 5), 1e-13);
      assertEquals(5, theta.products());
      // the transposed product under the same limit, over the cross kernel's column blocks
      thetaStar.limitResultBytes(limit);
      double[] u = random(cross.rows() * 5, 6);
      assertClose(denseTransposed(cross, u, 5), thetaStar.applyTransposed(u, 5), 1e-13);
    }
  }

  /**
   * The kernel against centres in whole-row tiles: Θᵀ(Θ V) in one job equals the two dense
   * products, also when the columns go in groups under a result limit, and Θ V, Θᵀ U as well.
   */
  @ParameterizedTest
  @CsvSource({"1, 5, trace, memory", "3, 4, full, none", "2, 37, trace, disk"})
  void theNormalProductIsOneJobOverWholeRows(int partitions, int blockSize, String outputs, String cache) {
    BlockKernel<?> kernel = new StructuredNtk(SparkGramTest.MLP, KernelOutputs.fromConfig(outputs),
        Precision.FLOAT64);
    BlockPlan rows = new BlockPlan(SparkGramTest.N, blockSize);
    BlockPlan centers = new BlockPlan(SparkGramTest.M, blockSize);
    JavaRDD<RowBlock> rowBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N,
        partitions), rows);
    JavaRDD<RowBlock> centerBlocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.testX, SparkGramTest.M,
        partitions), centers);
    GramMatrix knm = SparkGram.cross(sc, rowBlocks, rows, centerBlocks, centers, kernel, "dense K_nm");
    try (DistributedKernel k = DistributedGram.againstCenters(sc, rowBlocks, rows, centerBlocks, centers, kernel,
        Precision.FLOAT64, DistributedKernel.Cache.fromConfig(cache), "K_nm")) {
      for (int columns : new int[] {1, 4}) {
        double[] v = random(knm.cols() * columns, 30 + columns);
        double[] expected = denseTransposed(knm, dense(knm, v, columns), columns);
        long before = k.products();
        assertClose(expected, k.normalProduct(v, columns), 1e-13);
        assertEquals(before + 1, k.products(), "one product, one job");
        assertClose(dense(knm, v, columns), k.apply(v, columns), 1e-13);
        double[] u = random(knm.rows() * columns, 40 + columns);
        assertClose(denseTransposed(knm, u, columns), k.applyTransposed(u, columns), 1e-13);
      }
      k.limitResultBytes(2L * 2 * knm.cols() * 8);
      double[] v = random(knm.cols() * 5, 50);
      assertClose(denseTransposed(knm, dense(knm, v, 5), 5), k.normalProduct(v, 5), 1e-13);
    }
  }

  @Test
  void float32BlocksAccumulateInFloat64() {
    BlockKernel<?> kernel = new StructuredNtk(SparkGramTest.MLP, KernelOutputs.TRACE, Precision.FLOAT64);
    BlockPlan train = new BlockPlan(SparkGramTest.N, 8);
    JavaRDD<RowBlock> blocks = RowBlocks.of(SparkGramTest.labeled(SparkGramTest.trainX, SparkGramTest.N, 3), train);
    GramMatrix gram = SparkGram.symmetric(sc, blocks, train, kernel, "dense");
    try (DistributedKernel f32 = DistributedGram.distributed(sc, blocks, train, null, train, kernel, Precision.FLOAT32,
        DistributedKernel.Cache.MEMORY, "float32");
         DistributedKernel f64 = DistributedGram.distributed(sc, blocks, train, null, train, kernel, Precision.FLOAT64,
             DistributedKernel.Cache.MEMORY, "float64")) {
      assertEquals(f64.storedBytes(), 2 * f32.storedBytes());
      double[] v = random(gram.cols() * 2, 5);
      double[] exact = dense(gram, v, 2);
      double[] single = f32.apply(v, 2);
      // The product of the float32-rounded kernel, computed exactly enough in float64 here.
      double[] rounded = gram.data().clone();
      for (int i = 0; i < rounded.length; i++) {
        rounded[i] = (float) rounded[i];
      }
      assertClose(dense(new GramMatrix(gram.rows(), gram.cols(), 1, rounded), v, 2), single, 1e-13);
      double scale = max(gram.data()) * max(v) * gram.cols();
      double worst = 0;
      for (int i = 0; i < exact.length; i++) {
        worst = Math.max(worst, Math.abs(exact[i] - single[i]));
      }
      assertTrue(worst <= scale * 0x1p-24, "float32 error " + worst + " above n·2⁻²⁴·max|Θ|·max|V| = " + scale * 0x1p-24);
      assertTrue(worst > 0, "float32 storage should round");
    }
  }

  static double[] dense(GramMatrix m, double[] v, int c) {
    double[] out = new double[m.rows() * c];
    Blas.get().gemm(m.rows(), c, m.cols(), 1.0, m.data(), v, 0.0, out);
    return out;
  }

  static double[] denseTransposed(GramMatrix m, double[] u, int c) {
    double[] out = new double[m.cols() * c];
    Blas.get().gemm(true, false, m.cols(), c, m.rows(), 1.0, m.data(), 0, m.cols(), u, 0, c, 0.0, out, 0, c);
    return out;
  }

  static double max(double[] a) {
    double m = 0;
    for (double x : a) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  static void assertClose(double[] expected, double[] actual, double rel) {
    double d = Matrices.maxRelativeDifference(actual, expected);
    assertTrue(d <= rel, "max relative difference " + d + " above " + rel);
  }
}
