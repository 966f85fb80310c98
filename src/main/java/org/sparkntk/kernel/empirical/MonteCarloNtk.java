package org.sparkntk.kernel.empirical;

import java.io.Serializable;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.kernel.analytic.AnalyticNtk;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;

/**
 * A Monte-Carlo estimate of the expected NTK over initialisations: the mean of the empirical
 * (structured) NTK of S independently initialised networks of one architecture,
 * Θ̄ = (1/S) Σ_s Θ_{θ_s}, computed in one distributed pass (every prepared block carries the S
 * networks' factors). Network s is {@code Mlp.initialise(arch, seed + s)}, so sample 0 is the
 * job's own network. As the widths grow Θ̄ tends to the analytic kernel ({@link AnalyticNtk})
 * ⊗ I_O, its spread over seeds shrinking as 1/√(S·width).
 */
public final class MonteCarloNtk implements BlockKernel<MonteCarloNtk.Prepared> {
  private static final long serialVersionUID = 1L;

  /** The S networks' factors of one block of rows. */
  public record Prepared(int rows, StructuredNtk.FactorBlock[] samples) implements Serializable {}

  private final StructuredNtk[] samples;
  private final Architecture architecture;

  public MonteCarloNtk(Architecture architecture, long seed, int sampleCount, KernelOutputs outputs,
                       Precision precision) {
    if (sampleCount < 1) {
      throw new IllegalArgumentException("a Monte-Carlo kernel needs at least one sample, got " + sampleCount);
    }
    this.architecture = architecture;
    this.samples = new StructuredNtk[sampleCount];
    for (int s = 0; s < sampleCount; s++) {
      samples[s] = new StructuredNtk(Mlp.initialise(architecture, seed + s), outputs, precision);
    }
  }

  @Override
  public Prepared prepare(double[] x, int rows) {
    StructuredNtk.FactorBlock[] f = new StructuredNtk.FactorBlock[samples.length];
    for (int s = 0; s < samples.length; s++) {
      f[s] = samples[s].prepare(x, rows);
    }
    return new Prepared(rows, f);
  }

  @Override
  public int rows(Prepared prepared) {
    return prepared.rows();
  }

  @Override
  public int rowsPerExample() {
    return samples[0].rowsPerExample();
  }

  @Override
  public double[] block(Prepared left, Prepared right) {
    double[] mean = samples[0].block(left.samples()[0], right.samples()[0]);
    for (int s = 1; s < samples.length; s++) {
      double[] k = samples[s].block(left.samples()[s], right.samples()[s]);
      for (int i = 0; i < mean.length; i++) {
        mean[i] += k[i];
      }
    }
    double inv = 1.0 / samples.length;
    for (int i = 0; i < mean.length; i++) {
      mean[i] *= inv;
    }
    return mean;
  }

  @Override
  public long preparedBytes(int rows) {
    return samples.length * samples[0].preparedBytes(rows);
  }

  @Override
  public double blockFlops(int leftRows, int rightRows) {
    return samples.length * samples[0].blockFlops(leftRows, rightRows);
  }

  @Override
  public String describe() {
    return "Monte-Carlo NTK, mean of " + samples.length + " initialisations of " + architecture;
  }
}
