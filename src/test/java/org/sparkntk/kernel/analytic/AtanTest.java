package org.sparkntk.kernel.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Atan#atan2} against two independent routes: 60-digit mpmath values rounded once
 * (golden/atan/atan2.json, scripts/golden/make_atan_golden.py), to 1 ulp of the reference, and the
 * JDK's fdlibm (StrictMath.atan2, itself within 1 ulp), to 2 ulps over a million random pairs.
 * Special values (zeros, infinities, NaN) are StrictMath's to the bit.
 */
class AtanTest {
  /** |a − b| in units of the last place of b (the reference). */
  static double ulps(double a, double b) {
    if (a == b) {
      return 0.0;
    }
    return Math.abs(a - b) / Math.ulp(b);
  }

  @Test
  void withinOneUlpOfTheHighPrecisionReference() throws IOException {
    JsonNode root;
    try (InputStream in = AtanTest.class.getResourceAsStream("/golden/atan/atan2.json")) {
      root = new ObjectMapper().readTree(in);
    }
    double worst = 0;
    String where = "";
    int count = 0;
    for (JsonNode v : root.get("values")) {
      double y = v.get(0).asDouble();
      double x = v.get(1).asDouble();
      double expected = v.get(2).asDouble();
      double got = Atan.atan2(y, x);
      double e = ulps(got, expected);
      assertTrue(Math.signum(got) == Math.signum(expected) || expected == 0, "sign of atan2(" + y + ", " + x + ")");
      if (e > worst) {
        worst = e;
        where = "atan2(" + y + ", " + x + ") = " + got + ", reference " + expected;
      }
      count++;
    }
    assertTrue(count > 3000, "golden values read: " + count);
    assertTrue(worst <= 1.0, "worst error " + worst + " ulps: " + where);
  }

  @Test
  void withinTwoUlpsOfStrictMathOverRandomPairs() {
    SplittableRandom r = new SplittableRandom(11);
    double worst = 0;
    String where = "";
    for (int i = 0; i < 1_000_000; i++) {
      double y;
      double x;
      if (i % 2 == 0) {
        y = r.nextDouble(-4, 4);
        x = r.nextDouble(-4, 4);
      } else {
        // wide exponents, both signs
        y = (r.nextBoolean() ? 1 : -1) * Math.scalb(r.nextDouble(1, 2), r.nextInt(-80, 80));
        x = (r.nextBoolean() ? 1 : -1) * Math.scalb(r.nextDouble(1, 2), r.nextInt(-80, 80));
      }
      double expected = StrictMath.atan2(y, x);
      double e = ulps(Atan.atan2(y, x), expected);
      if (e > worst) {
        worst = e;
        where = "atan2(" + y + ", " + x + ")";
      }
    }
    assertTrue(worst <= 2.0, "worst difference from StrictMath " + worst + " ulps at " + where);
  }

  @Test
  void specialValuesAreStrictMaths() {
    double[] specials = {0.0, -0.0, 1.0, -1.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE,
        -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
    for (double y : specials) {
      for (double x : specials) {
        double expected = StrictMath.atan2(y, x);
        double got = Atan.atan2(y, x);
        if (Double.isNaN(expected)) {
          assertTrue(Double.isNaN(got), "atan2(" + y + ", " + x + ")");
        } else if (expected == 0.0 || Math.abs(expected) == Math.PI || Math.abs(expected) == Math.PI / 2
            || Double.isInfinite(x) || Double.isInfinite(y)) {
          assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(got), "atan2(" + y + ", " + x + ")");
        } else {
          assertTrue(ulps(got, expected) <= 2.0, "atan2(" + y + ", " + x + ") = " + got + ", StrictMath " + expected);
        }
      }
    }
  }
}
