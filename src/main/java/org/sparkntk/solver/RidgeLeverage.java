package org.sparkntk.solver;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.linalg.Matrices;

/**
 * Approximate ridge leverage scores of a kernel and Nyström centres drawn by them (Alaoui &amp;
 * Mahoney, "Fast randomized kernel ridge regression with statistical guarantees", NeurIPS 2015;
 * Rudi, Calandriello, Carratino &amp; Rosasco, "On fast leverage score sampling and optimal
 * learning", NeurIPS 2018). Row i's score at ridge ρ is ℓ_i = [K (K + ρI)⁻¹]_ii, how much
 * the ridge regression's fit at x_i depends on y_i; Σ ℓ_i is the effective dimension. With a
 * uniform subsample J of R of the n rows it is estimated as
 * <pre>
 *   ℓ̃_i = (K_ii − K_iJ (K_JJ + ρ (R/n) I)⁻¹ K_Ji) / ρ,
 * </pre>
 * exact when J is every row (R = n): then K_ii − k_iᵀ(K + ρI)⁻¹k_i = ρ [K (K + ρI)⁻¹]_ii. Centres
 * drawn with probabilities proportional to ℓ_i need fewer of them than uniform centres for the
 * same accuracy when the scores are uneven (Rudi, Carratino &amp; Rosasco 2017, FALKON).
 * Plain Java: the Spark pass that evaluates K_iJ row block by row block is in
 * {@code blocks.LeverageScores}.
 */
public final class RidgeLeverage implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private final int r;
  private final double ridge;
  /** The upper Cholesky factor U of K_JJ + ρ (R/n) I (column-major), so that K_iJ U⁻¹ has the norm² above. */
  private final double[] factor;

  private RidgeLeverage(int r, double ridge, double[] factor) {
    this.r = r;
    this.ridge = ridge;
    this.factor = factor;
  }

  /**
   * For the subsample's kernel {@code kjj} (R×R, symmetric; not modified) among n rows, at ridge
   * ρ &gt; 0.
   */
  public static RidgeLeverage of(double[] kjj, int r, long n, double ridge) {
    if (!(ridge > 0) || Double.isInfinite(ridge)) {
      throw new IllegalArgumentException("leverage scores need a ridge ρ > 0 (solver.ridge), got " + ridge);
    }
    if (kjj.length != (long) r * r || r < 1 || n < r) {
      throw new IllegalArgumentException("a subsample of " + r + " of " + n + " rows needs an R×R kernel, got "
          + kjj.length + " entries");
    }
    double[] shifted = kjj.clone();
    double shift = ridge * r / n;
    for (int i = 0; i < r; i++) {
      shifted[i * r + i] += shift;
    }
    return new RidgeLeverage(r, ridge, Lapack.get().choleskyUpperOverwriting(shifted, r));
  }

  /** Rows of the subsample. */
  public int subsample() {
    return r;
  }

  /**
   * The scores of a block of rows from their kernel against the subsample, {@code kiJ} row-major
   * [rows × R], and their own values K_ii. A score is in [0, 1) by definition; the estimate can
   * leave that range, below 0 by rounding and above 1 for a row the subsample represents poorly
   * (its residual K_ii − K_iJ(…)⁻¹K_Ji is then larger than ρ), so it is clamped to [0, 1]: such
   * rows all weigh as much as the best-scored one, and the scores' sum estimates the effective
   * dimension.
   */
  public double[] scores(double[] kiJ, int rows, double[] diagonal) {
    if (kiJ.length != (long) rows * r || diagonal.length != rows) {
      throw new IllegalArgumentException("expected " + rows + " × " + r + " kernel values and " + rows
          + " diagonal ones, got " + kiJ.length + " and " + diagonal.length);
    }
    // K_iJ (UᵀU)⁻¹ K_Ji = ‖U⁻ᵀ K_Ji‖²: solve Uᵀ Z = Bᵀ (row-major R × rows) and take Z's column norms.
    double[] z = Matrices.transpose(kiJ, rows, r);
    Blas.get().solveUpperRowMajor(true, r, rows, factor, z);
    double[] out = new double[rows];
    for (int j = 0; j < r; j++) {
      for (int i = 0; i < rows; i++) {
        double v = z[j * rows + i];
        out[i] += v * v;
      }
    }
    for (int i = 0; i < rows; i++) {
      out[i] = Math.min(1.0, Math.max(0.0, (diagonal[i] - out[i]) / ridge));
    }
    return out;
  }

  /**
   * M = min(m, n) distinct rows drawn without replacement with probabilities proportional to
   * {@code scores} (Efraimidis &amp; Spirakis, "Weighted random sampling with a reservoir", 2006:
   * the M largest keys ln(u_i)/w_i, u_i uniform in (0, 1] drawn in row order from {@code seed}),
   * ascending. A score that is not positive (rounding, at most a few ulps below 0) counts as the
   * smallest positive one; all rows when m ≥ n.
   */
  public static long[] sample(double[] scores, int m, long seed) {
    int n = scores.length;
    if (m >= n) {
      long[] all = new long[n];
      Arrays.setAll(all, i -> i);
      return all;
    }
    double floor = Double.POSITIVE_INFINITY;
    for (double s : scores) {
      if (!Double.isFinite(s)) {
        throw new IllegalArgumentException("a leverage score is not finite: " + s);
      }
      if (s > 0) {
        floor = Math.min(floor, s);
      }
    }
    if (floor == Double.POSITIVE_INFINITY) {
      floor = 1;
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] keys = new double[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      double u = 1.0 - random.nextDouble(); // (0, 1]
      keys[i] = Math.log(u) / Math.max(scores[i], floor);
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : keys[a] != keys[b] ? Double.compare(keys[b], keys[a])
        : Integer.compare(a, b));
    long[] picked = new long[m];
    for (int i = 0; i < m; i++) {
      picked[i] = order[i];
    }
    Arrays.sort(picked);
    return picked;
  }
}
