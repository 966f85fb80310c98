package org.sparkntk.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API path of {@link BlockProducts}, loaded only in a JVM that has the module
 * jdk.incubator.vector. Its source root is compiled apart from src/main/java and before it
 * (pom.xml): javac warns on every compilation that reads an incubator module, and the main
 * compilation turns warnings into errors.
 *
 * <p>Both terms of a block's product are formed in one pass over its rows, four rows at a time:
 * each loaded vector of A[i, j..j+L) is multiplied into the row's dot product with v_J and into
 * out_J[j..j+L) with v_I[i]. The dot products are kept as vectors of L partial sums and added up
 * lane by lane in a fixed order at the end of the row, not by {@code reduceLanes}, whose order is
 * unspecified for floating point and may differ between the interpreted and the compiled code. So
 * a call gives the same bits before and after C2 compiles it, and on every run on the same
 * vector width.
 *
 * <p>Each case (both terms, the direct term alone, the mirror term alone; float64 or float32
 * entries) is a method of its own with no test in its loops. The Vector API is fast only where C2
 * has compiled and inlined it, and is slow plain Java elsewhere (allocating an object per vector
 * operation): one method with the terms chosen by null tests inside its loops ran the direct term
 * with ten columns at 0.5–0.9 GB/s, against 7–8 for BLAS, once C2 had compiled it for another
 * case. The float64 and float32 methods are the same code but for how a vector of A is loaded; a
 * shared body would take the load as a function called in the innermost loop, with the same risk.
 */
final class VectorBlockProducts {
  private static final VectorSpecies<Double> DOUBLES = VectorWidths.DOUBLES;
  // As many float lanes as double lanes (half the width): F2D keeps the lane count, so part 0 of
  // the conversion is the whole result.
  private static final VectorSpecies<Float> FLOATS =
      DOUBLES.vectorBitSize() >= 512 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
  private static final int LANES = DOUBLES.length();

  private VectorBlockProducts() {}

  /** Bits of the vectors the pass uses. */
  static int bits() {
    return DOUBLES.vectorBitSize();
  }

  /** Both terms: out_I += A v_J and out_J += Aᵀ v_I, four rows at a time. */
  static void both(double[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] vI, int vIOffset,
                   double[] outI, int outIOffset, double[] outJ, int outJOffset) {
    double[] partial = new double[LANES];
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      double w0 = vI[vIOffset + i];
      double w1 = vI[vIOffset + i + 1];
      double w2 = vI[vIOffset + i + 2];
      double w3 = vI[vIOffset + i + 3];
      DoubleVector u0 = DoubleVector.broadcast(DOUBLES, w0);
      DoubleVector u1 = DoubleVector.broadcast(DOUBLES, w1);
      DoubleVector u2 = DoubleVector.broadcast(DOUBLES, w2);
      DoubleVector u3 = DoubleVector.broadcast(DOUBLES, w3);
      DoubleVector s0 = DoubleVector.zero(DOUBLES);
      DoubleVector s1 = s0;
      DoubleVector s2 = s0;
      DoubleVector s3 = s0;
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector x = DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j);
        DoubleVector r0 = DoubleVector.fromArray(DOUBLES, a, a0 + j);
        DoubleVector r1 = DoubleVector.fromArray(DOUBLES, a, a1 + j);
        DoubleVector r2 = DoubleVector.fromArray(DOUBLES, a, a2 + j);
        DoubleVector r3 = DoubleVector.fromArray(DOUBLES, a, a3 + j);
        s0 = r0.fma(x, s0);
        s1 = r1.fma(x, s1);
        s2 = r2.fma(x, s2);
        s3 = r3.fma(x, s3);
        DoubleVector o = DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j);
        o = r0.fma(u0, o);
        o = r1.fma(u1, o);
        o = r2.fma(u2, o);
        o = r3.fma(u3, o);
        o.intoArray(outJ, outJOffset + j);
      }
      double t0 = 0;
      double t1 = 0;
      double t2 = 0;
      double t3 = 0;
      for (; j < cols; j++) {
        double x = vJ[vJOffset + j];
        double e0 = a[a0 + j];
        double e1 = a[a1 + j];
        double e2 = a[a2 + j];
        double e3 = a[a3 + j];
        t0 = Math.fma(e0, x, t0);
        t1 = Math.fma(e1, x, t1);
        t2 = Math.fma(e2, x, t2);
        t3 = Math.fma(e3, x, t3);
        double o = outJ[outJOffset + j];
        o = Math.fma(e0, w0, o);
        o = Math.fma(e1, w1, o);
        o = Math.fma(e2, w2, o);
        o = Math.fma(e3, w3, o);
        outJ[outJOffset + j] = o;
      }
      outI[outIOffset + i] += sum(s0, partial) + t0;
      outI[outIOffset + i + 1] += sum(s1, partial) + t1;
      outI[outIOffset + i + 2] += sum(s2, partial) + t2;
      outI[outIOffset + i + 3] += sum(s3, partial) + t3;
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      double w = vI[vIOffset + i];
      DoubleVector u = DoubleVector.broadcast(DOUBLES, w);
      DoubleVector s = DoubleVector.zero(DOUBLES);
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector r = DoubleVector.fromArray(DOUBLES, a, row + j);
        s = r.fma(DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j), s);
        r.fma(u, DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j)).intoArray(outJ, outJOffset + j);
      }
      double t = 0;
      for (; j < cols; j++) {
        double e = a[row + j];
        t = Math.fma(e, vJ[vJOffset + j], t);
        outJ[outJOffset + j] = Math.fma(e, w, outJ[outJOffset + j]);
      }
      outI[outIOffset + i] += sum(s, partial) + t;
    }
  }

  /** The direct term alone: out_I += A v_J, four rows at a time. */
  static void direct(double[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] outI,
                     int outIOffset) {
    double[] partial = new double[LANES];
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      DoubleVector s0 = DoubleVector.zero(DOUBLES);
      DoubleVector s1 = s0;
      DoubleVector s2 = s0;
      DoubleVector s3 = s0;
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector x = DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j);
        s0 = DoubleVector.fromArray(DOUBLES, a, a0 + j).fma(x, s0);
        s1 = DoubleVector.fromArray(DOUBLES, a, a1 + j).fma(x, s1);
        s2 = DoubleVector.fromArray(DOUBLES, a, a2 + j).fma(x, s2);
        s3 = DoubleVector.fromArray(DOUBLES, a, a3 + j).fma(x, s3);
      }
      double t0 = 0;
      double t1 = 0;
      double t2 = 0;
      double t3 = 0;
      for (; j < cols; j++) {
        double x = vJ[vJOffset + j];
        t0 = Math.fma(a[a0 + j], x, t0);
        t1 = Math.fma(a[a1 + j], x, t1);
        t2 = Math.fma(a[a2 + j], x, t2);
        t3 = Math.fma(a[a3 + j], x, t3);
      }
      outI[outIOffset + i] += sum(s0, partial) + t0;
      outI[outIOffset + i + 1] += sum(s1, partial) + t1;
      outI[outIOffset + i + 2] += sum(s2, partial) + t2;
      outI[outIOffset + i + 3] += sum(s3, partial) + t3;
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      DoubleVector s = DoubleVector.zero(DOUBLES);
      int j = 0;
      for (; j < bound; j += LANES) {
        s = DoubleVector.fromArray(DOUBLES, a, row + j).fma(DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j), s);
      }
      double t = 0;
      for (; j < cols; j++) {
        t = Math.fma(a[row + j], vJ[vJOffset + j], t);
      }
      outI[outIOffset + i] += sum(s, partial) + t;
    }
  }

  /** The mirror term alone: out_J += Aᵀ v_I, four rows at a time. */
  static void mirror(double[] a, int offset, int rows, int cols, double[] vI, int vIOffset, double[] outJ,
                     int outJOffset) {
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      double w0 = vI[vIOffset + i];
      double w1 = vI[vIOffset + i + 1];
      double w2 = vI[vIOffset + i + 2];
      double w3 = vI[vIOffset + i + 3];
      DoubleVector u0 = DoubleVector.broadcast(DOUBLES, w0);
      DoubleVector u1 = DoubleVector.broadcast(DOUBLES, w1);
      DoubleVector u2 = DoubleVector.broadcast(DOUBLES, w2);
      DoubleVector u3 = DoubleVector.broadcast(DOUBLES, w3);
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector o = DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j);
        o = DoubleVector.fromArray(DOUBLES, a, a0 + j).fma(u0, o);
        o = DoubleVector.fromArray(DOUBLES, a, a1 + j).fma(u1, o);
        o = DoubleVector.fromArray(DOUBLES, a, a2 + j).fma(u2, o);
        o = DoubleVector.fromArray(DOUBLES, a, a3 + j).fma(u3, o);
        o.intoArray(outJ, outJOffset + j);
      }
      for (; j < cols; j++) {
        double o = outJ[outJOffset + j];
        o = Math.fma(a[a0 + j], w0, o);
        o = Math.fma(a[a1 + j], w1, o);
        o = Math.fma(a[a2 + j], w2, o);
        o = Math.fma(a[a3 + j], w3, o);
        outJ[outJOffset + j] = o;
      }
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      double w = vI[vIOffset + i];
      DoubleVector u = DoubleVector.broadcast(DOUBLES, w);
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector.fromArray(DOUBLES, a, row + j).fma(u, DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j)).intoArray(outJ, outJOffset + j);
      }
      for (; j < cols; j++) {
        outJ[outJOffset + j] = Math.fma(a[row + j], w, outJ[outJOffset + j]);
      }
    }
  }

  /** Both terms: out_I += A v_J and out_J += Aᵀ v_I, float32 entries widened in registers. */
  static void both(float[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] vI, int vIOffset,
                   double[] outI, int outIOffset, double[] outJ, int outJOffset) {
    double[] partial = new double[LANES];
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      double w0 = vI[vIOffset + i];
      double w1 = vI[vIOffset + i + 1];
      double w2 = vI[vIOffset + i + 2];
      double w3 = vI[vIOffset + i + 3];
      DoubleVector u0 = DoubleVector.broadcast(DOUBLES, w0);
      DoubleVector u1 = DoubleVector.broadcast(DOUBLES, w1);
      DoubleVector u2 = DoubleVector.broadcast(DOUBLES, w2);
      DoubleVector u3 = DoubleVector.broadcast(DOUBLES, w3);
      DoubleVector s0 = DoubleVector.zero(DOUBLES);
      DoubleVector s1 = s0;
      DoubleVector s2 = s0;
      DoubleVector s3 = s0;
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector x = DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j);
        DoubleVector r0 = widened(a, a0 + j);
        DoubleVector r1 = widened(a, a1 + j);
        DoubleVector r2 = widened(a, a2 + j);
        DoubleVector r3 = widened(a, a3 + j);
        s0 = r0.fma(x, s0);
        s1 = r1.fma(x, s1);
        s2 = r2.fma(x, s2);
        s3 = r3.fma(x, s3);
        DoubleVector o = DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j);
        o = r0.fma(u0, o);
        o = r1.fma(u1, o);
        o = r2.fma(u2, o);
        o = r3.fma(u3, o);
        o.intoArray(outJ, outJOffset + j);
      }
      double t0 = 0;
      double t1 = 0;
      double t2 = 0;
      double t3 = 0;
      for (; j < cols; j++) {
        double x = vJ[vJOffset + j];
        double e0 = a[a0 + j];
        double e1 = a[a1 + j];
        double e2 = a[a2 + j];
        double e3 = a[a3 + j];
        t0 = Math.fma(e0, x, t0);
        t1 = Math.fma(e1, x, t1);
        t2 = Math.fma(e2, x, t2);
        t3 = Math.fma(e3, x, t3);
        double o = outJ[outJOffset + j];
        o = Math.fma(e0, w0, o);
        o = Math.fma(e1, w1, o);
        o = Math.fma(e2, w2, o);
        o = Math.fma(e3, w3, o);
        outJ[outJOffset + j] = o;
      }
      outI[outIOffset + i] += sum(s0, partial) + t0;
      outI[outIOffset + i + 1] += sum(s1, partial) + t1;
      outI[outIOffset + i + 2] += sum(s2, partial) + t2;
      outI[outIOffset + i + 3] += sum(s3, partial) + t3;
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      double w = vI[vIOffset + i];
      DoubleVector u = DoubleVector.broadcast(DOUBLES, w);
      DoubleVector s = DoubleVector.zero(DOUBLES);
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector r = widened(a, row + j);
        s = r.fma(DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j), s);
        r.fma(u, DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j)).intoArray(outJ, outJOffset + j);
      }
      double t = 0;
      for (; j < cols; j++) {
        double e = a[row + j];
        t = Math.fma(e, vJ[vJOffset + j], t);
        outJ[outJOffset + j] = Math.fma(e, w, outJ[outJOffset + j]);
      }
      outI[outIOffset + i] += sum(s, partial) + t;
    }
  }

  /** The direct term alone: out_I += A v_J, float32 entries widened in registers. */
  static void direct(float[] a, int offset, int rows, int cols, double[] vJ, int vJOffset, double[] outI,
                     int outIOffset) {
    double[] partial = new double[LANES];
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      DoubleVector s0 = DoubleVector.zero(DOUBLES);
      DoubleVector s1 = s0;
      DoubleVector s2 = s0;
      DoubleVector s3 = s0;
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector x = DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j);
        s0 = widened(a, a0 + j).fma(x, s0);
        s1 = widened(a, a1 + j).fma(x, s1);
        s2 = widened(a, a2 + j).fma(x, s2);
        s3 = widened(a, a3 + j).fma(x, s3);
      }
      double t0 = 0;
      double t1 = 0;
      double t2 = 0;
      double t3 = 0;
      for (; j < cols; j++) {
        double x = vJ[vJOffset + j];
        t0 = Math.fma(a[a0 + j], x, t0);
        t1 = Math.fma(a[a1 + j], x, t1);
        t2 = Math.fma(a[a2 + j], x, t2);
        t3 = Math.fma(a[a3 + j], x, t3);
      }
      outI[outIOffset + i] += sum(s0, partial) + t0;
      outI[outIOffset + i + 1] += sum(s1, partial) + t1;
      outI[outIOffset + i + 2] += sum(s2, partial) + t2;
      outI[outIOffset + i + 3] += sum(s3, partial) + t3;
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      DoubleVector s = DoubleVector.zero(DOUBLES);
      int j = 0;
      for (; j < bound; j += LANES) {
        s = widened(a, row + j).fma(DoubleVector.fromArray(DOUBLES, vJ, vJOffset + j), s);
      }
      double t = 0;
      for (; j < cols; j++) {
        t = Math.fma(a[row + j], vJ[vJOffset + j], t);
      }
      outI[outIOffset + i] += sum(s, partial) + t;
    }
  }

  /** The mirror term alone: out_J += Aᵀ v_I, float32 entries widened in registers. */
  static void mirror(float[] a, int offset, int rows, int cols, double[] vI, int vIOffset, double[] outJ,
                     int outJOffset) {
    int bound = DOUBLES.loopBound(cols);
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int a0 = offset + i * cols;
      int a1 = a0 + cols;
      int a2 = a1 + cols;
      int a3 = a2 + cols;
      double w0 = vI[vIOffset + i];
      double w1 = vI[vIOffset + i + 1];
      double w2 = vI[vIOffset + i + 2];
      double w3 = vI[vIOffset + i + 3];
      DoubleVector u0 = DoubleVector.broadcast(DOUBLES, w0);
      DoubleVector u1 = DoubleVector.broadcast(DOUBLES, w1);
      DoubleVector u2 = DoubleVector.broadcast(DOUBLES, w2);
      DoubleVector u3 = DoubleVector.broadcast(DOUBLES, w3);
      int j = 0;
      for (; j < bound; j += LANES) {
        DoubleVector o = DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j);
        o = widened(a, a0 + j).fma(u0, o);
        o = widened(a, a1 + j).fma(u1, o);
        o = widened(a, a2 + j).fma(u2, o);
        o = widened(a, a3 + j).fma(u3, o);
        o.intoArray(outJ, outJOffset + j);
      }
      for (; j < cols; j++) {
        double o = outJ[outJOffset + j];
        o = Math.fma(a[a0 + j], w0, o);
        o = Math.fma(a[a1 + j], w1, o);
        o = Math.fma(a[a2 + j], w2, o);
        o = Math.fma(a[a3 + j], w3, o);
        outJ[outJOffset + j] = o;
      }
    }
    for (; i < rows; i++) {
      int row = offset + i * cols;
      double w = vI[vIOffset + i];
      DoubleVector u = DoubleVector.broadcast(DOUBLES, w);
      int j = 0;
      for (; j < bound; j += LANES) {
        widened(a, row + j).fma(u, DoubleVector.fromArray(DOUBLES, outJ, outJOffset + j)).intoArray(outJ, outJOffset + j);
      }
      for (; j < cols; j++) {
        outJ[outJOffset + j] = Math.fma(a[row + j], w, outJ[outJOffset + j]);
      }
    }
  }

  private static DoubleVector widened(float[] a, int at) {
    return (DoubleVector) FloatVector.fromArray(FLOATS, a, at).convertShape(VectorOperators.F2D, DOUBLES, 0);
  }

  /** The lanes of {@code s} added in lane order. */
  private static double sum(DoubleVector s, double[] partial) {
    s.intoArray(partial, 0);
    double total = 0;
    for (double p : partial) {
      total += p;
    }
    return total;
  }
}
