package org.sparkntk.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict number grammar of data files (issue 18: Java literals were accepted as CSV numbers). */
class DecimalTest {
  @ParameterizedTest
  @ValueSource(strings = {"0", "-2", "+3", "1.5", "-0.25", ".5", "5.", "1e3", "1E-3", "-2.5e+10", " 7 ", "1e300",
      "NaN", "Infinity", "-Infinity", "Inf", "-Inf", "+Inf"})
  void decimalsAndTheNonFiniteWordsAreNumbers(String s) {
    assertTrue(Decimal.isNumber(s), s);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.5d", "2f", "2F", "1D", "0x1p-3", "0x10", "1_000", "", " ", ".", "e3", "1e", "1e+", "--1",
      "+-1", "1.2.3", "abc", "nan", "infinity", "1,5", "٣", "1 2"})
  void javaLiteralsAndOtherTextAreNot(String s) {
    assertFalse(Decimal.isNumber(s), s);
    assertThrows(IllegalArgumentException.class, () -> Decimal.parse(s));
  }

  @Test
  void parsesToTheValueJavaGivesTheSameDecimal() {
    assertEquals(-2.5e10, Decimal.parse("-2.5e+10"));
    assertEquals(0.5, Decimal.parse(".5"));
    assertEquals(Double.NEGATIVE_INFINITY, Decimal.parse("-Inf"));
    assertEquals(Double.POSITIVE_INFINITY, Decimal.parse("Inf"));
    assertTrue(Double.isNaN(Decimal.parse("NaN")));
  }
}
