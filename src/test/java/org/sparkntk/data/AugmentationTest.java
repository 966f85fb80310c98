package org.sparkntk.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkntk.SparkTestSession;

/**
 * data.augment = shifts on two 3 × 3 images, against the shifted images written out by hand: the
 * rows, their indices 9i + t, the labels, and the zero fill at the border.
 */
class AugmentationTest {
  private static LabeledData twoImages(int features) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    double[] a = new double[features];
    double[] b = new double[features];
    for (int q = 0; q < features; q++) {
      a[q] = q + 1;
      b[q] = -(q + 1);
    }
    List<Example> rows = List.of(new Example(0, a, new double[] {1, 0}), new Example(1, b, new double[] {0, 1}));
    List<String> names = IntStream.range(0, features).mapToObj(q -> "p" + q).toList();
    return new LabeledData("images", sc.parallelize(rows, 2), 2, names, List.of("y0", "y1"));
  }

  @Test
  void nineRowsPerImageShiftedByOnePixel() {
    LabeledData shifted = Augmentation.shifts(twoImages(9));
    assertEquals(18, shifted.count());
    List<Example> rows = shifted.examples().collect().stream().sorted(Comparator.comparingLong(Example::index))
        .toList();
    assertEquals(18, rows.size());
    for (int i = 0; i < 18; i++) {
      assertEquals(i, rows.get(i).index());
      assertArrayEquals(i < 9 ? new double[] {1, 0} : new double[] {0, 1}, rows.get(i).labels(), "labels of " + i);
    }
    // image 0 is 1 2 3 / 4 5 6 / 7 8 9
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, rows.get(0).features());
    // t = 1: (dy, dx) = (−1, −1), up and left: out(r, c) = in(r + 1, c + 1)
    assertArrayEquals(new double[] {5, 6, 0, 8, 9, 0, 0, 0, 0}, rows.get(1).features());
    // t = 5: (0, 1), right
    assertArrayEquals(new double[] {0, 1, 2, 0, 4, 5, 0, 7, 8}, rows.get(5).features());
    // t = 7: (1, 0), down; image 1 is the negatives
    assertArrayEquals(new double[] {0, 0, 0, -1, -2, -3, -4, -5, -6}, rows.get(9 + 7).features());
  }

  @Test
  void nonSquareImagesAreRefused() {
    DataException e = assertThrows(DataException.class, () -> Augmentation.shifts(twoImages(6)));
    assertTrue(e.getMessage().contains("square"), e.getMessage());
  }
}
