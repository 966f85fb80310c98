package org.sparkntk.data;

/**
 * The numbers a data file may hold: decimals {@code [+-]?(d+[.d*]|.d+)([eE][+-]?d+)?}, and the
 * words Spark's CSV reader writes for non-finite values ({@code NaN}, {@code Inf}, {@code Infinity},
 * signed), which the readers then refuse as not finite with the row and column. Java's own
 * literals ({@link Double#parseDouble}: {@code 1.5d}, {@code 2f}, {@code 0x1p-3}) are not numbers
 * here: a file that holds them was not written as numbers, and reading them would hide that.
 */
public final class Decimal {
  private Decimal() {}

  /** Whether {@code s}, without surrounding blanks, is a number of the grammar above. */
  public static boolean isNumber(String s) {
    String t = s.strip();
    int i = 0;
    int n = t.length();
    if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
      i++;
    }
    String rest = t.substring(i);
    if (rest.equals("NaN") || rest.equals("Inf") || rest.equals("Infinity")) {
      return true;
    }
    int digits = 0;
    while (i < n && isDigit(t.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && t.charAt(i) == '.') {
      i++;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
      i++;
      if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
        i++;
      }
      int exponent = 0;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        exponent++;
      }
      if (exponent == 0) {
        return false;
      }
    }
    return i == n;
  }

  /** The value of {@code s}, or IllegalArgumentException when it is not a number of the grammar. */
  public static double parse(String s) {
    if (!isNumber(s)) {
      throw new IllegalArgumentException("'" + s + "' is not a number (expected a decimal such as 1.5, -2 or 3e-4)");
    }
    String t = s.strip();
    String unsigned = t.startsWith("+") || t.startsWith("-") ? t.substring(1) : t;
    if (unsigned.equals("Inf")) {
      return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return Double.parseDouble(t);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
