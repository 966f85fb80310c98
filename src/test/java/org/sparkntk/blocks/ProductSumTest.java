package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A product's partial sums are added in task order whatever order the tasks finish in, so both
 * routes give the same bits as the sequential sum ((p_0 + p_1) + p_2) + … per row block. The terms
 * span twelve orders of magnitude, so a different order changes the result in its last bits (the
 * test checks that it does, or it could not tell the orders apart).
 */
class ProductSumTest {
  static JavaSparkContext sc;

  @BeforeAll
  static void spark() {
    SparkGramTest.data();
    sc = JavaSparkContext.fromSparkContext(SparkGramTest.spark.sparkContext());
  }

  static final int TASKS = 9;
  static final int ROW_BLOCKS = 5;
  static final int LENGTH = 7;

  /** Task t touches row blocks t mod 5, (2t + 1) mod 5 and (3t + 2) mod 5. */
  static List<HashMap<Integer, double[]>> partials(long seed) {
    Random random = new Random(seed);
    List<HashMap<Integer, double[]>> out = new ArrayList<>();
    for (int t = 0; t < TASKS; t++) {
      HashMap<Integer, double[]> p = new HashMap<>();
      for (int rowBlock : new int[] {t % ROW_BLOCKS, (2 * t + 1) % ROW_BLOCKS, (3 * t + 2) % ROW_BLOCKS}) {
        double[] terms = new double[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
          terms[i] = random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6);
        }
        p.put(rowBlock, terms);
      }
      out.add(p);
    }
    return out;
  }

  static Map<Integer, double[]> sequential(List<HashMap<Integer, double[]>> partials) {
    Map<Integer, double[]> sum = new HashMap<>();
    for (HashMap<Integer, double[]> p : partials) {
      for (Map.Entry<Integer, double[]> e : p.entrySet()) {
        sum.merge(e.getKey(), e.getValue().clone(), (a, b) -> {
          for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
          }
          return a;
        });
      }
    }
    return sum;
  }

  static void assertSameBits(Map<Integer, double[]> expected, Map<Integer, double[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (Integer rowBlock : expected.keySet()) {
      assertArrayEquals(expected.get(rowBlock), actual.get(rowBlock), 0.0, "row block " + rowBlock);
    }
  }

  static JavaRDD<HashMap<Integer, double[]>> rdd(List<HashMap<Integer, double[]>> partials) {
    return sc.parallelize(partials, partials.size());
  }

  @Test
  void bothRoutesAddInTaskOrder() {
    Map<Integer, double[]> expected = sequential(partials(1));
    assertSameBits(expected, ProductSum.onDriver(sc, rdd(partials(1))));
    assertSameBits(expected, ProductSum.byRowBlock(rdd(partials(1)), ROW_BLOCKS));
    assertSameBits(expected, ProductSum.byRowBlock(rdd(partials(1)), 2));
  }

  @Test
  void resultsArrivingOutOfOrderAreAddedInTaskOrder() {
    List<HashMap<Integer, double[]>> partials = partials(2);
    Map<Integer, double[]> expected = sequential(partials(2));
    List<Integer> arrival = new ArrayList<>();
    for (int t = 0; t < TASKS; t++) {
      arrival.add(t);
    }
    Collections.shuffle(arrival, new Random(3));
    ProductSum.InOrder merge = new ProductSum.InOrder(TASKS);
    for (int t : arrival) {
      assertThrows(IllegalStateException.class, merge::result, "a result before every task reported");
      merge.apply(t, partials.get(t));
    }
    assertSameBits(expected, merge.result());

    // The same terms added in the arrival order give other bits: the order is what the test pins.
    List<HashMap<Integer, double[]>> shuffled = new ArrayList<>();
    for (int t : arrival) {
      shuffled.add(partials(2).get(t));
    }
    Map<Integer, double[]> other = sequential(shuffled);
    boolean differs = false;
    for (Integer rowBlock : expected.keySet()) {
      differs |= !Arrays.equals(expected.get(rowBlock), other.get(rowBlock));
    }
    assertTrue(differs, "the arrival order gives the same sums: the test cannot tell orders apart");
  }

  @Test
  void keysSortByRowBlockThenTask() {
    assertEquals(3, ProductSum.rowBlock(ProductSum.key(3, 7)));
    assertTrue(ProductSum.key(2, 100) < ProductSum.key(3, 0));
    assertTrue(ProductSum.key(3, 1) < ProductSum.key(3, 2));
  }
}
