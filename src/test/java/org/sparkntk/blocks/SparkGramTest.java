package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.ReferenceNtk;
import org.sparkntk.SparkTestSession;
import org.sparkntk.data.DataReader;
import org.sparkntk.data.LabeledData;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.BlockStore;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.empirical.ExplicitNtk;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.linalg.Matrices;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The distributed Gram equals the plain single-JVM J Jᵀ (a naive triple loop over the explicit
 * Jacobians of all rows at once) whatever the partitioning and block size.
 *
 * <p>Tolerance 1e-13 relative to the largest entry: both sides sum the same P products per entry
 * in float64; only the summation order differs (GEMM blocking vs a plain loop), which moves the
 * result by a few ulps of the largest partial sums, about 1e-15 here.
 */
class SparkGramTest {
  static final int N = 37;
  static final int M = 11;
  static final Architecture ARCH = new Architecture(new int[] {3, 6, 5, 2}, Activation.TANH,
      Parameterization.NTK, 1.0, 0.1);
  static final Mlp MLP = Mlp.initialise(ARCH, 2024);
  static double[] trainX;
  static double[] testX;
  static SparkSession spark;

  @BeforeAll
  static void data() {
    spark = SparkTestSession.get();
    Random r = new Random(9);
    trainX = r.doubles(N * 3, -2, 2).toArray();
    testX = r.doubles(M * 3, -2, 2).toArray();
  }

  static LabeledData labeled(double[] x, int rows, int partitions) {
    StructType schema = new StructType(new StructField[] {
        DataTypes.createStructField("a", DataTypes.DoubleType, false),
        DataTypes.createStructField("b", DataTypes.DoubleType, false),
        DataTypes.createStructField("c", DataTypes.DoubleType, false),
        DataTypes.createStructField("y1", DataTypes.DoubleType, false),
        DataTypes.createStructField("y2", DataTypes.DoubleType, false)});
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      list.add(RowFactory.create(x[3 * i], x[3 * i + 1], x[3 * i + 2], (double) i, -(double) i));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> ds = spark.createDataFrame(sc.parallelize(list, partitions), schema);
    assertEquals(partitions, ds.javaRDD().getNumPartitions());
    return DataReader.examples("test data", ds, List.of("y1", "y2"), true);
  }

  static double[] reference(double[] xl, int nl, double[] xr, int nr, KernelOutputs outputs) {
    return ReferenceNtk.of(MLP, xl, nl, xr, nr, outputs);
  }

  /**
   * In this local session the Grams take the route without a shuffle ({@link PreparedInDriver});
   * the rows marked "shuffle" take the tiles' shuffle route, as on a cluster.
   */
  @ParameterizedTest(name = "{3}: {0} partitions, block {1}, {2}, {4}")
  @CsvSource({"1, 5, trace, jacobian, in driver", "3, 5, trace, jacobian, in driver",
      "7, 5, trace, jacobian, in driver", "1, 16, full, jacobian, in driver", "3, 16, full, jacobian, in driver",
      "7, 16, full, jacobian, in driver", "3, 64, trace, jacobian, in driver", "7, 1, full, jacobian, in driver",
      "1, 5, trace, structured, in driver", "3, 8, trace, structured, in driver",
      "7, 5, trace, structured, in driver", "1, 16, full, structured, in driver",
      "3, 16, full, structured, in driver", "7, 3, full, structured, in driver",
      "3, 5, trace, jacobian, shuffle", "7, 1, full, jacobian, shuffle", "1, 16, full, structured, shuffle",
      "7, 3, full, structured, shuffle"})
  void distributedGramEqualsSingleJvm(int partitions, int blockSize, String outputs, String method, String route) {
    KernelOutputs kind = KernelOutputs.fromConfig(outputs);
    BlockKernel<?> kernel = method.equals("jacobian") ? new ExplicitNtk(MLP, kind)
        : new StructuredNtk(MLP, kind, Precision.FLOAT64);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    LabeledData train = labeled(trainX, N, partitions);
    BlockPlan plan = new BlockPlan(N, blockSize);
    LabeledData test = labeled(testX, M, Math.max(1, partitions - 1));
    BlockPlan testPlan = new BlockPlan(M, blockSize);
    GramMatrix gram;
    GramMatrix cross;
    if (route.equals("shuffle")) {
      System.setProperty(PreparedInDriver.SWITCH, "false");
    }
    try {
      gram = SparkGram.symmetric(sc, RowBlocks.of(train, plan), plan, kernel, "test Gram");
      cross = SparkGram.cross(sc, RowBlocks.of(test, testPlan), testPlan, RowBlocks.of(train, plan), plan,
          kernel, "test cross");
    } finally {
      System.clearProperty(PreparedInDriver.SWITCH);
    }
    double[] expected = reference(trainX, N, trainX, N, kind);
    double rel = Matrices.maxRelativeDifference(gram.data(), expected);
    assertTrue(rel < 1e-13, "training Gram differs from J Jᵀ by " + rel);
    double relCross = Matrices.maxRelativeDifference(cross.data(), reference(testX, M, trainX, N, kind));
    assertTrue(relCross < 1e-13, "cross kernel differs from J(X*) J(X)ᵀ by " + relCross);
    assertEquals(M * kind.rowsPerExample(2), cross.rows());
  }

  /**
   * The three routes of a dense Gram give the same bits, for the symmetric Gram (mirrored blocks)
   * and the cross kernel, and each saves every block once: in this local session the blocks are
   * prepared once in the driver's JVM and placed by the tasks ({@link PreparedInDriver}); with
   * that switch off they are shuffled to tiles whose tasks place them ({@link DriverPlacement}); with
   * placement off as well they come back as task results, as on a cluster.
   */
  @org.junit.jupiter.api.Test
  void everyRouteGivesTheSameBits() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    StructuredNtk kernel = new StructuredNtk(MLP, KernelOutputs.FULL, Precision.FLOAT64);
    BlockPlan plan = new BlockPlan(N, 6);
    BlockPlan testPlan = new BlockPlan(M, 4);
    var train = RowBlocks.of(labeled(trainX, N, 3), plan);
    var test = RowBlocks.of(labeled(testX, M, 2), testPlan);
    int pairs = plan.blockCount() * (plan.blockCount() + 1) / 2;
    int crossPairs = testPlan.blockCount() * plan.blockCount();

    long before = DriverPlacement.placedInThisJvm();
    MemoryStore inDriverStore = new MemoryStore();
    double[][] inDriver = gramAndCross(null, sc, train, plan, test, testPlan, kernel, inDriverStore);
    assertEquals(pairs + crossPairs, DriverPlacement.placedInThisJvm() - before, "every block placed by a task");
    MemoryStore placedStore = new MemoryStore();
    double[][] placed = gramAndCross(PreparedInDriver.SWITCH, sc, train, plan, test, testPlan, kernel, placedStore);
    assertEquals(2 * (pairs + crossPairs), DriverPlacement.placedInThisJvm() - before,
        "every block placed by its tile's task");
    MemoryStore returnedStore = new MemoryStore();
    double[][] returned = gramAndCross(DriverPlacement.SWITCH, sc, train, plan, test, testPlan, kernel, returnedStore);
    assertEquals(2 * (pairs + crossPairs), DriverPlacement.placedInThisJvm() - before,
        "nothing placed with the switch off");
    for (MemoryStore store : List.of(inDriverStore, placedStore, returnedStore)) {
      assertEquals(pairs, store.saves);
    }
    for (int kernelIndex = 0; kernelIndex < 2; kernelIndex++) {
      assertArrayEquals(returned[kernelIndex], placed[kernelIndex]);
      assertArrayEquals(returned[kernelIndex], inDriver[kernelIndex]);
    }
    assertTrue(Matrices.maxRelativeDifference(inDriver[0], reference(trainX, N, trainX, N, KernelOutputs.FULL))
        < 1e-13);
  }

  /**
   * The training Gram (saved to {@code store}) and the cross kernel, with the system property
   * {@code switchedOff} set to false meanwhile (null: none).
   */
  private static double[][] gramAndCross(String switchedOff, JavaSparkContext sc,
                                         org.apache.spark.api.java.JavaRDD<org.sparkntk.data.RowBlock> train,
                                         BlockPlan plan,
                                         org.apache.spark.api.java.JavaRDD<org.sparkntk.data.RowBlock> test,
                                         BlockPlan testPlan, StructuredNtk kernel, MemoryStore store) {
    if (switchedOff != null) {
      System.setProperty(switchedOff, "false");
    }
    try {
      String route = switchedOff == null ? "in driver" : switchedOff + " off";
      return new double[][] {SparkGram.symmetric(sc, train, plan, kernel, route, store).data(),
          SparkGram.cross(sc, test, testPlan, train, plan, kernel, route + ", cross").data()};
    } finally {
      if (switchedOff != null) {
        System.clearProperty(switchedOff);
      }
    }
  }

  /**
   * Without a shuffle, a task that fails gives its pair back: a retried task (a master that
   * retries, such as local[2, 3]) computes it, and every block is placed once. Run here without
   * Spark, as the tasks would call it.
   */
  @org.junit.jupiter.api.Test
  void aFailedPairIsGivenBackForTheRetriedTask() {
    StructuredNtk structured = new StructuredNtk(MLP, KernelOutputs.TRACE, Precision.FLOAT64);
    BlockPlan plan = new BlockPlan(N, 10);
    List<BlockKey> pairs = new ArrayList<>();
    for (int i = 0; i < plan.blockCount(); i++) {
      for (int j = i; j < plan.blockCount(); j++) {
        pairs.add(new BlockKey(i, j));
      }
    }
    java.util.Map<BlockKey, double[]> got = new java.util.concurrent.ConcurrentHashMap<>();
    org.apache.spark.util.LongAccumulator done = new org.apache.spark.util.LongAccumulator();
    java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
    // the first block with a 7-row side throws, as a task on a lost executor would
    FailingKernel failsOnce = new FailingKernel(structured, (l, r) -> (l == 7 || r == 7) && !failed.getAndSet(true),
        "a lost executor, on purpose");
    try (PreparedInDriver<StructuredNtk.FactorBlock> shared = PreparedInDriver.open(pairs, true);
         DriverPlacement placement = DriverPlacement.open((key, block) -> got.put(key, block.clone()))) {
      for (int b = 0; b < plan.blockCount(); b++) {
        int start = (int) plan.start(b);
        double[] x = java.util.Arrays.copyOfRange(trainX, 3 * start, 3 * (start + plan.rows(b)));
        PreparedInDriver.keep(shared.id(), true, b, structured.prepare(x, plan.rows(b)));
      }
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> PreparedInDriver.computePairs(shared.id(), failsOnce, placement.id(), done));
      assertTrue(e.getMessage().contains("on purpose"), e.getMessage());
      assertTrue(shared.untaken() > 0, "the failed pair is given back");
      long first = got.size();
      assertEquals(pairs.size() - first, PreparedInDriver.computePairs(shared.id(), failsOnce, placement.id(), done));
      assertEquals(0, shared.untaken());
    }
    assertEquals(pairs.size(), got.size());
    assertEquals(pairs.size(), done.value());
    double[] expected = reference(trainX, N, trainX, N, KernelOutputs.TRACE);
    for (BlockKey pair : pairs) {
      double[] block = got.get(pair);
      int r0 = (int) plan.start(pair.row());
      int c0 = (int) plan.start(pair.col());
      int cols = plan.rows(pair.col());
      for (int i = 0; i < plan.rows(pair.row()); i++) {
        for (int j = 0; j < cols; j++) {
          double want = expected[(r0 + i) * N + c0 + j];
          assertEquals(want, block[i * cols + j], 1e-13 * Math.abs(want) + 1e-13, pair + " entry " + i + ", " + j);
        }
      }
    }
  }

  /**
   * A Gram placed in an array zeroed in the background is the Gram placed in a new one; an array
   * of the wrong size is refused before any work.
   */
  @org.junit.jupiter.api.Test
  void aGramGoesIntoAnArrayAllocatedInTheBackground() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    StructuredNtk kernel = new StructuredNtk(MLP, KernelOutputs.TRACE, Precision.FLOAT64);
    BlockPlan plan = new BlockPlan(N, 8);
    var train = RowBlocks.of(labeled(trainX, N, 3), plan);
    double[] expected = SparkGram.symmetric(sc, train, plan, kernel, "new array").data();
    java.util.function.Supplier<double[]> array = SparkGram.zeroedInBackground(N, N);
    GramMatrix gram = SparkGram.symmetric(sc, train, plan, kernel, "array from the background", null, array);
    assertArrayEquals(expected, gram.data());
    assertTrue(gram.data() == array.get(), "the Gram is the array the supplier gives");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> SparkGram.symmetric(sc, train, plan, kernel, "wrong size", null, SparkGram.zeroedInBackground(N, N - 1)));
    assertTrue(e.getMessage().contains(N + " × " + N), e.getMessage());
  }

  /** A placement is found only under its id and only until it is closed. */
  @org.junit.jupiter.api.Test
  void aPlacementIsFoundOnlyWhileOpen() {
    List<BlockKey> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    String id;
    try (DriverPlacement p = DriverPlacement.open((key, block) -> got.add(key))) {
      id = p.id();
      assertTrue(DriverPlacement.place(id, new BlockKey(1, 2), new double[1]));
      assertTrue(!DriverPlacement.place("another", new BlockKey(1, 3), new double[1]));
      assertTrue(!DriverPlacement.place(null, new BlockKey(1, 4), new double[1]));
      assertEquals(1, p.placed());
    }
    assertTrue(!DriverPlacement.place(id, new BlockKey(2, 2), new double[1]), "closed");
    assertEquals(List.of(new BlockKey(1, 2)), got);
  }

  /** A BlockStore in memory that counts what it is asked to save. */
  static final class MemoryStore implements BlockStore {
    final java.util.Map<BlockKey, double[]> blocks = new java.util.HashMap<>();
    int saves;

    MemoryStore copy() {
      MemoryStore c = new MemoryStore();
      blocks.forEach((k, v) -> c.blocks.put(k, v.clone()));
      return c;
    }

    @Override
    public boolean has(int row, int col) {
      return blocks.containsKey(new BlockKey(row, col));
    }

    @Override
    public double[] load(int row, int col) {
      return blocks.get(new BlockKey(row, col)).clone();
    }

    @Override
    public synchronized void save(int row, int col, double[] block) {
      saves++;
      blocks.put(new BlockKey(row, col), block.clone());
    }
  }

  /**
   * With a store, every computed block is saved once; a rerun takes the stored blocks as they are
   * (a stored block altered on purpose shows up in the result, mirrored) and computes exactly the
   * missing ones, for the symmetric Gram and the cross kernel.
   */
  @ParameterizedTest(name = "{0} partitions")
  @CsvSource({"1", "3"})
  void storedBlocksAreReadBackAndOnlyMissingOnesComputed(int partitions) {
    KernelOutputs kind = KernelOutputs.TRACE;
    BlockKernel<?> kernel = new StructuredNtk(MLP, kind, Precision.FLOAT64);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    BlockPlan plan = new BlockPlan(N, 5);
    BlockPlan testPlan = new BlockPlan(M, 5);
    var train = RowBlocks.of(labeled(trainX, N, partitions), plan);
    var test = RowBlocks.of(labeled(testX, M, partitions), testPlan);
    double[] gram = SparkGram.symmetric(sc, train, plan, kernel, "plain").data();
    double[] cross = SparkGram.cross(sc, test, testPlan, train, plan, kernel, "plain cross").data();

    MemoryStore first = new MemoryStore();
    assertArrayEquals(gram, SparkGram.symmetric(sc, train, plan, kernel, "first", first).data());
    assertEquals(plan.upperTrianglePairs(), first.saves);
    assertEquals(first.saves, first.blocks.size());

    MemoryStore partial = first.copy();
    for (BlockKey gone : List.of(new BlockKey(0, 0), new BlockKey(1, 5), new BlockKey(3, 4), new BlockKey(7, 7))) {
      partial.blocks.remove(gone);
    }
    double[] altered = partial.blocks.get(new BlockKey(0, 2));
    for (int i = 0; i < altered.length; i++) {
      altered[i] += 1000;
    }
    double[] resumed = SparkGram.symmetric(sc, train, plan, kernel, "resumed", partial).data();
    assertEquals(4, partial.saves, "only the 4 missing blocks should be computed");
    double[] expected = gram.clone();
    for (int i = 0; i < 5; i++) {
      for (int j = 10; j < 15; j++) {
        expected[i * N + j] += 1000;
        expected[j * N + i] += 1000;
      }
    }
    assertArrayEquals(expected, resumed, "stored blocks were not taken as stored");

    MemoryStore complete = first.copy();
    assertArrayEquals(gram, SparkGram.symmetric(sc, train, plan, kernel, "complete", complete).data());
    assertEquals(0, complete.saves);

    MemoryStore crossStore = new MemoryStore();
    assertArrayEquals(cross, SparkGram.cross(sc, test, testPlan, train, plan, kernel, "cross", crossStore).data());
    assertEquals((long) testPlan.blockCount() * plan.blockCount(), crossStore.saves);
    MemoryStore crossPartial = crossStore.copy();
    crossPartial.blocks.remove(new BlockKey(2, 0));
    crossPartial.blocks.remove(new BlockKey(0, 7));
    assertArrayEquals(cross, SparkGram.cross(sc, test, testPlan, train, plan, kernel, "cross resumed", crossPartial)
        .data());
    assertEquals(2, crossPartial.saves);
  }

  /** When a {@link FailingKernel} throws, from the row counts of a block's two sides. */
  interface FailWhen extends java.io.Serializable {
    boolean test(int leftRows, int rightRows);
  }

  /** A kernel whose blocks throw {@code message} where {@code when} says, as a failing task would. */
  record FailingKernel(StructuredNtk inner, FailWhen when, String message)
      implements BlockKernel<StructuredNtk.FactorBlock> {
    /** Fails every block of 2 + 5 rows (I + J = 5 with 7 rows in blocks of 5). */
    FailingKernel(StructuredNtk inner) {
      this(inner, (l, r) -> l + r == 7, "block of 2 + 5 rows refused on purpose");
    }

    @Override
    public StructuredNtk.FactorBlock prepare(double[] x, int rows) {
      return inner.prepare(x, rows);
    }

    @Override
    public int rows(StructuredNtk.FactorBlock prepared) {
      return inner.rows(prepared);
    }

    @Override
    public int rowsPerExample() {
      return inner.rowsPerExample();
    }

    @Override
    public double[] block(StructuredNtk.FactorBlock left, StructuredNtk.FactorBlock right) {
      if (when.test(inner.rows(left), inner.rows(right))) {
        throw new IllegalStateException(message);
      }
      return inner.block(left, right);
    }

    @Override
    public long preparedBytes(int rows) {
      return inner.preparedBytes(rows);
    }

    @Override
    public double blockFlops(int leftRows, int rightRows) {
      return inner.blockFlops(leftRows, rightRows);
    }

    @Override
    public String describe() {
      return "failing " + inner.describe();
    }
  }

  /**
   * The driver places finished tiles on its own thread while Spark runs the rest: a task that
   * fails, or a block the store cannot save, fails the Gram with its cause instead of leaving the
   * driver waiting for results that will not come. The session still computes Grams afterwards.
   */
  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.Timeout(120)
  void aFailedTaskOrStoreFailsTheGramWithItsCause() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // 7 rows in blocks of 5: a block of 5 rows and one of 2, and only the pair (0, 1) has 2 + 5 rows
    BlockPlan plan = new BlockPlan(7, 5);
    var train = RowBlocks.of(labeled(trainX, 7, 2), plan);
    StructuredNtk structured = new StructuredNtk(MLP, KernelOutputs.TRACE, Precision.FLOAT64);
    Exception failed = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> SparkGram.symmetric(sc, train, plan, new FailingKernel(structured), "failing Gram"));
    assertTrue(causes(failed).contains("refused on purpose"), causes(failed));

    BlockStore broken = new BlockStore() {
      @Override
      public boolean has(int row, int col) {
        return false;
      }

      @Override
      public double[] load(int row, int col) {
        throw new AssertionError("nothing is stored");
      }

      @Override
      public void save(int row, int col, double[] block) throws java.io.IOException {
        throw new java.io.IOException("disk full, on purpose");
      }
    };
    Exception unsaved = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> SparkGram.symmetric(sc, train, plan, structured, "unsaved Gram", broken));
    assertTrue(causes(unsaved).contains("disk full, on purpose"), causes(unsaved));

    double[] first7 = java.util.Arrays.copyOf(trainX, 7 * 3);
    double[] expected = reference(first7, 7, first7, 7, KernelOutputs.TRACE);
    double rel = Matrices.maxRelativeDifference(SparkGram.symmetric(sc, train, plan, structured, "after").data(),
        expected);
    assertTrue(rel < 1e-13, "Gram after the failures differs from J Jᵀ by " + rel);
  }

  static String causes(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c).append(" | ");
    }
    return all.toString();
  }

  /** Rows of every output follow the input order: labels come back in row order. */
  @ParameterizedTest
  @CsvSource({"1", "4"})
  void labelsKeepRowOrder(int partitions) {
    LabeledData train = labeled(trainX, N, partitions);
    BlockPlan plan = new BlockPlan(N, 8);
    double[] y = RowBlocks.labels(RowBlocks.of(train, plan), plan, 2);
    for (int i = 0; i < N; i++) {
      assertEquals(i, y[2 * i], 0.0);
      assertEquals(-i, y[2 * i + 1], 0.0);
    }
  }
}
