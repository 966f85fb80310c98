package org.sparkntk.kernel.analytic;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.sparkntk.linalg.VectorWidths;

/**
 * One hidden layer of the piecewise-linear activations' NTK recursion ({@code AnalyticNtk}'s
 * abRelu, ntk parameterisation) for a row of a kernel block, L entries at a time with the JDK's
 * Vector API (incubator module jdk.incubator.vector; compiled apart from src/main/java, see
 * pom.xml). Loaded only where {@code AnalyticNtk} found the module.
 *
 * <p>Every operation is the scalar code's, in the same order and with the same roundings:
 * products and sums unfused where Java's are, {@code fma} where the scalar code calls Math.fma,
 * correctly rounded square roots and divisions, and {@code Atan}'s arctangent with its table
 * entries gathered by index. So each entry has exactly the bits of the scalar recursion (the
 * tests compare them bit for bit), and the documented results do not move.
 *
 * <p>Only the two ranges met in practice are vectorised: θ ≤ π/4 (k12 ≥ s, with s = √(k11 k22 −
 * k12²)) and |ρ| &lt; 1/√2 (|k12| &lt; s). Both are atan2 of two non-negative numbers of which the
 * first is the smaller, so both are {@code Atan.atanUnit} of one quotient. A group of L entries
 * with any entry elsewhere (θ ≥ 3π/4, whose series the scalar code takes; a zero or non-finite
 * variance) is left to the scalar code: its start is written to {@code skipped}.
 *
 * <p>One method, no test inside its loop but the group's fall-back: the Vector API is fast only
 * where C2 compiles and inlines it (see linalg/VectorBlockProducts).
 */
final class VectorArcCosine {
  private static final VectorSpecies<Double> DOUBLES = VectorWidths.DOUBLES;
  // As many int lanes as double lanes: the table indices k of Atan.atanUnit.
  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
  private static final int LANES = DOUBLES.length();
  private static final double TWO_52 = 0x1.0p52;
  private static final DoubleVector ONES = DoubleVector.broadcast(DOUBLES, 1.0);
  private static final DoubleVector ZEROS = DoubleVector.zero(DOUBLES);

  private VectorArcCosine() {}

  /** Entries per group. */
  static int lanes() {
    return LANES;
  }

  /**
   * One layer for entries [offset, offset + n) of a row whose own variance is {@code k11}: with
   * k12 = sigma[e] and k22 = k22s[j], Σ̇ and Σ̂ of abRelu, then sigma[e] = sw2·Σ̂ + sb2 and
   * theta[e] = sw2·Σ̇·theta[e] + sigma[e]. Groups of L entries from j = 0; the last n mod L entries
   * and the groups whose starts are written to {@code skipped} are left unchanged for the scalar
   * code.
   *
   * @param atanHead {@code Atan}'s table of atan(k/32), k = 0 … 32, and its tail: passed in, as this
   *                 class is compiled before the main sources
   * @param index    scratch of at least {@link #lanes} ints
   * @return how many group starts were written to {@code skipped}
   */
  static int ntkLayer(double k11, double[] k22s, double[] sigma, double[] theta, int offset, int n, double sw2,
                      double sb2, double kink, double diagonalSlope, double orthogonalSlope, double[] atanHead,
                      double[] atanTail, int[] skipped, int[] index) {
    double v1 = k11 > 0 ? k11 : 0.0;
    DoubleVector v1s = DoubleVector.broadcast(DOUBLES, v1);
    int count = 0;
    int bound = DOUBLES.loopBound(n);
    for (int j = 0; j < bound; j += LANES) {
      DoubleVector k22 = DoubleVector.fromArray(DOUBLES, k22s, j);
      DoubleVector k12 = DoubleVector.fromArray(DOUBLES, sigma, offset + j);
      // expectations(): v2 = max(k22, 0) as a test, norm = √(v1 v2), r = k12 clamped to ±norm
      DoubleVector v2 = ZEROS.blend(k22, k22.compare(VectorOperators.GT, 0.0));
      DoubleVector p = v2.mul(v1);
      DoubleVector norm = p.lanewise(VectorOperators.SQRT);
      DoubleVector r = k12.min(norm).max(norm.neg());
      // gap(): k11 k22 − k12² from exact products
      DoubleVector pe = v2.fma(v1s, p.neg());
      DoubleVector q = r.mul(r);
      DoubleVector qe = r.fma(r, q.neg());
      DoubleVector d = p.sub(q).add(pe.sub(qe));
      DoubleVector s = ZEROS.blend(d, d.compare(VectorOperators.GT, 0.0)).lanewise(VectorOperators.SQRT);
      VectorMask<Double> first = r.compare(VectorOperators.GE, s);
      VectorMask<Double> middle = r.abs().compare(VectorOperators.LT, s);
      VectorMask<Double> varianceOk = norm.compare(VectorOperators.GT, 0.0)
          .and(norm.compare(VectorOperators.LT, Double.POSITIVE_INFINITY));
      if (!first.or(middle).and(varianceOk).allTrue()) {
        skipped[count++] = j;
        continue;
      }
      // θ = atan2(s, k12) (first range) or ψ = atan2(k12, s) (middle range): atanUnit(num/den),
      // with ψ taking k12's sign as Atan.atan2's copySign does
      DoubleVector num = r.blend(s, first);
      DoubleVector den = s.blend(r, first);
      DoubleVector angle = atanUnit(num.abs().div(den), atanHead, atanTail, index);
      VectorMask<Double> negative = r.viewAsIntegralLanes().compare(VectorOperators.LT, 0L).cast(DOUBLES);
      DoubleVector psi = angle.blend(angle.neg(), negative);
      DoubleVector slopeFirst = DoubleVector.broadcast(DOUBLES, diagonalSlope).sub(angle.mul(kink));
      DoubleVector slopeMiddle = DoubleVector.broadcast(DOUBLES, orthogonalSlope).add(psi.mul(kink));
      DoubleVector slope = slopeMiddle.blend(slopeFirst, first);
      DoubleVector hat = s.mul(kink).add(slope.mul(r));
      DoubleVector sigmaNext = hat.mul(sw2).add(sb2);
      DoubleVector thetaNext = slope.mul(sw2).mul(DoubleVector.fromArray(DOUBLES, theta, offset + j)).add(sigmaNext);
      sigmaNext.intoArray(sigma, offset + j);
      thetaNext.intoArray(theta, offset + j);
    }
    return count;
  }

  /** {@code Atan.atanUnit} lane by lane, for 0 ≤ z ≤ 1. */
  private static DoubleVector atanUnit(DoubleVector z, double[] atanHead, double[] atanTail, int[] index) {
    DoubleVector scaled = z.mul(32.0).add(0.5);
    // k = (int) scaled, 0 ≤ k ≤ 32. JDK 17's C2 does not compile the Vector API's double-to-int
    // conversions on this hardware (they run as plain Java, ~5 ns an entry), so k is found in
    // floating point: adding and removing 2⁵² rounds to the nearest integer (exact for values below
    // 2⁵¹), one less where that rounded up; k + 2⁵² then holds k in its low bits.
    DoubleVector nearest = scaled.add(TWO_52).sub(TWO_52);
    DoubleVector k = nearest.sub(ONES.blend(ZEROS, nearest.compare(VectorOperators.LE, scaled)));
    ((IntVector) k.add(TWO_52).viewAsIntegralLanes().convertShape(VectorOperators.L2I, INTS, 0)).intoArray(index, 0);
    // (int) x ≤ 1 exactly when x < 2, for x ≥ 0: the lanes that take the series of z itself
    VectorMask<Double> small = scaled.compare(VectorOperators.LT, 2.0);
    DoubleVector c = k.mul(1.0 / 32.0);
    DoubleVector t = z.sub(c).div(z.fma(c, ONES));
    DoubleVector series = series(t.blend(z, small));
    DoubleVector head = DoubleVector.fromArray(DOUBLES, atanHead, 0, index, 0);
    DoubleVector tail = DoubleVector.fromArray(DOUBLES, atanTail, 0, index, 0);
    return head.add(tail.add(series)).blend(series, small);
  }

  /** Atan's series t − t³/3 + … − t¹⁵/15, the same Horner steps. */
  private static DoubleVector series(DoubleVector t) {
    DoubleVector u = t.mul(t);
    DoubleVector q = DoubleVector.broadcast(DOUBLES, -1.0 / 15.0);
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, 1.0 / 13.0));
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, -1.0 / 11.0));
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, 1.0 / 9.0));
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, -1.0 / 7.0));
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, 1.0 / 5.0));
    q = q.fma(u, DoubleVector.broadcast(DOUBLES, -1.0 / 3.0));
    return t.mul(u).fma(q, t);
  }
}
