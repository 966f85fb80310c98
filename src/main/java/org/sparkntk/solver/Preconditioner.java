package org.sparkntk.solver;

/** An approximation P ≈ Θ + ρI applied through its inverse: Z = P⁻¹ R for row-major R [n × c]. */
public interface Preconditioner {
  double[] applyInverse(double[] r, int c);

  /** Rank of the low-rank part (0 for none). */
  int rank();

  /** The identity: plain conjugate gradients. */
  Preconditioner NONE = new Preconditioner() {
    @Override
    public double[] applyInverse(double[] r, int c) {
      return r.clone();
    }

    @Override
    public int rank() {
      return 0;
    }
  };
}
