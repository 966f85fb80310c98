package org.sparkntk.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The partition sums are added in partition order whatever order they arrive in. The values make
 * the order visible: in float64, (1e16 + 1) − 1e16 = 0 (1e16 + 1 rounds to 1e16) but
 * (1e16 − 1e16) + 1 = 1, so a sum taken in arrival order 0, 2, 1 would give 1.
 */
class PartitionOrderSumTest {
  private static GradientSum[] partial(double value) {
    GradientSum s = new GradientSum(2);
    s.addRows(1, value);
    s.gradientForUpdate()[0] = value;
    s.gradientForUpdate()[1] = -value;
    return new GradientSum[] {s};
  }

  @Test
  void addsInPartitionOrderWhateverTheArrivalOrder() {
    PartitionOrderSum sum = new PartitionOrderSum(3, new GradientSum[] {new GradientSum(2)});
    sum.apply(0, partial(1e16));
    sum.apply(2, partial(-1e16));
    sum.apply(1, partial(1.0));
    GradientSum[] result = sum.result();
    assertEquals(0.0, result[0].cost(), "((0 + 1e16) + 1) − 1e16");
    assertEquals(0.0, result[0].gradient()[0]);
    assertEquals(0.0, result[0].gradient()[1]);
    assertEquals(3, result[0].rows());
  }

  @Test
  void refusesAnIncompleteSum() {
    PartitionOrderSum sum = new PartitionOrderSum(2, new GradientSum[] {new GradientSum(2)});
    sum.apply(1, partial(1.0));
    assertThrows(IllegalStateException.class, sum::result);
  }
}
