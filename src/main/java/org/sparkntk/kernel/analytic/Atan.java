package org.sparkntk.kernel.analytic;

/**
 * atan2 in plain Java, within about one ulp of the exact value, for the analytic kernels' inner
 * loops. On JDK 17 {@link Math#atan2} is StrictMath's native fdlibm routine reached through JNI
 * (about 40 ns a call here); the analytic Gram calls it once per entry and hidden layer, which
 * made the arc-cosine recursion cost more than its GEMM. This one is compiled inline (a few ns).
 *
 * <p>Method: with a = min(|y|, |x|) and b = max(|y|, |x|), z = a/b ∈ [0, 1] and atan2 follows from
 * atan z by the octant (π/2 − atan z when |y| > |x|, π − … when x < 0, the sign of y). For
 * z < 3/64, atan z = z − z³/3 + z⁵/5 − … by its Taylor series (8 terms: z² < 2.2·10⁻³, so the next
 * term is below 2⁻⁵⁴ of the sum). Otherwise z is reduced to the nearest c = k/32 by the addition
 * formula atan z = atan c + atan t, t = (z − c)/(1 + z c), |t| ≤ 1/64, with atan c from a table kept
 * as head + tail to twice double precision (60-digit mpmath, scripts/golden/make_atan_golden.py).
 * z − c is exact (Sterbenz) and 1 + z c is one fused rounding, so t carries about one ulp of its
 * own and |t| ≤ atan z / 3 for k ≥ 2; with the final rounding the result is within about 1 ulp
 * (AtanTest: against 60-digit references and against StrictMath.atan2). NaN, infinite arguments
 * and (0, 0) go to {@link StrictMath#atan2}, which defines those cases.
 */
public final class Atan {
  private Atan() {}

  // atan(k/32), k = 0 … 32: head and tail (scripts/golden/make_atan_golden.py); VectorArcCosine gathers from them
  static final double[] ATAN_HEAD = {
      0.0, 0.031239833430268277, 0.06241880999595735, 0.09347678115858947, 0.12435499454676144, 0.15499674192394097,
      0.18534794999569476, 0.21535769969773805, 0.24497866312686414, 0.2741674511196588, 0.3028848683749714,
      0.3310960767041321, 0.35877067027057225, 0.38588266939807375, 0.4124104415973873, 0.43833655985795783,
      0.4636476090008061, 0.48833395105640554, 0.5123894603107377, 0.5358112379604637, 0.5585993153435624,
      0.5807563535676704, 0.6022873461349642, 0.6231993299340659, 0.6435011087932844, 0.6632029927060933,
      0.6823165548747481, 0.7008544078844502, 0.7188299996216245, 0.7362574289814281, 0.7531512809621944,
      0.7695264804056583, 0.7853981633974483};
  static final double[] ATAN_TAIL = {
      0.0, -1.188442711587748e-18, -1.5490756308295046e-18, -6.2844725995420954e-18, -3.1253241424539383e-18,
      9.585415594114324e-18, 4.180692268843079e-18, 4.738160130078733e-19, 1.0698755618734451e-17,
      8.261353575163773e-18, -1.1010827903001369e-17, -7.952610375793799e-18, -2.4623815582638635e-17,
      2.378822732491941e-17, -1.587652227770689e-17, -2.494277030626541e-17, 2.2698777452961687e-17,
      -1.1373236189329585e-17, -2.5462781472855804e-17, -4.0637956834825575e-18, -5.4556305485916264e-18,
      -1.441464378193067e-17, 2.950430737228402e-17, 2.672403885140095e-17, 1.5834785051444286e-17,
      -3.076054864429649e-17, 6.943223671560008e-18, -1.987626234335816e-17, -2.1478388444456983e-17,
      3.473937648299457e-17, -2.4256934659182068e-17, -3.704991905602721e-17, 3.061616997868383e-17};
  private static final double PI_HEAD = 3.141592653589793;
  private static final double PI_TAIL = 1.2246467991473532e-16;
  private static final double HALF_PI_HEAD = 1.5707963267948966;
  private static final double HALF_PI_TAIL = 6.123233995736766e-17;

  /** atan2(y, x): the angle of (x, y), in [−π, π]. */
  public static double atan2(double y, double x) {
    double ay = Math.abs(y);
    double ax = Math.abs(x);
    if (!(ay < Double.POSITIVE_INFINITY && ax < Double.POSITIVE_INFINITY) || (ay == 0.0 && ax == 0.0)) {
      return StrictMath.atan2(y, x);
    }
    double angle;
    if (ay <= ax) {
      double a = atanUnit(ay / ax);
      angle = x > 0.0 ? a : (PI_TAIL - a) + PI_HEAD;
    } else {
      double a = atanUnit(ax / ay);
      // x = −0.0 gives a = 0 and π/2, as StrictMath does
      angle = x >= 0.0 ? (HALF_PI_TAIL - a) + HALF_PI_HEAD : (HALF_PI_TAIL + a) + HALF_PI_HEAD;
    }
    return Math.copySign(angle, y);
  }

  /** atan z for 0 ≤ z ≤ 1. */
  static double atanUnit(double z) {
    int k = (int) (z * 32.0 + 0.5);
    if (k <= 1) {
      return series(z);
    }
    double c = k * (1.0 / 32.0);
    double t = (z - c) / Math.fma(z, c, 1.0);
    return ATAN_HEAD[k] + (ATAN_TAIL[k] + series(t));
  }

  /** atan t = t − t³/3 + t⁵/5 − … − t¹⁵/15, for |t| < 3/64; the leading t is added last, exactly as given. */
  private static double series(double t) {
    double u = t * t;
    double q = -1.0 / 15.0;
    q = Math.fma(q, u, 1.0 / 13.0);
    q = Math.fma(q, u, -1.0 / 11.0);
    q = Math.fma(q, u, 1.0 / 9.0);
    q = Math.fma(q, u, -1.0 / 7.0);
    q = Math.fma(q, u, 1.0 / 5.0);
    q = Math.fma(q, u, -1.0 / 3.0);
    return Math.fma(t * u, q, t);
  }
}
