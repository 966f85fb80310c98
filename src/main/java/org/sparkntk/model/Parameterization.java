package org.sparkntk.model;


/**
 * Where the σ_w/√n_l and σ_b factors live (docs/THEORY.md §1). Both give the same function at
 * initialisation, z = (σ_w/√n_l)·W a + σ_b·b with raw N(0, 1) draws W, b, but the trainable
 * parameters, hence the Jacobian and the NTK, differ:
 * <ul>
 *   <li>{@code ntk} (Jacot et al.): θ are the raw draws, ∂z/∂W = (σ_w/√n_l)·δ⊗a, ∂z/∂b = σ_b·δ;</li>
 *   <li>{@code standard}: θ are W' = (σ_w/√n_l)·W and b' = σ_b·b, ∂z/∂W' = δ⊗a, ∂z/∂b' = δ.</li>
 * </ul>
 */
public enum Parameterization implements ConfigNamed {
  NTK("ntk"),
  STANDARD("standard");

  private final String configName;

  Parameterization(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  /** Factor of δ⊗a in ∂z_{l+1}/∂θ_W for a layer of fan-in {@code fanIn}. */
  public double weightGradientScale(double sigmaW, int fanIn) {
    return this == NTK ? sigmaW / Math.sqrt(fanIn) : 1.0;
  }

  /** Factor of δ in ∂z_{l+1}/∂θ_b. */
  public double biasGradientScale(double sigmaB) {
    return this == NTK ? sigmaB : 1.0;
  }

  /**
   * θ_W = this factor × the raw draw W: 1 (ntk) or σ_w/√n_l (standard). Times
   * {@link #weightGradientScale} it is σ_w/√n_l, the forward-pass factor, in both.
   */
  public double trainableWeightScale(double sigmaW, int fanIn) {
    return this == NTK ? 1.0 : sigmaW / Math.sqrt(fanIn);
  }

  /** θ_b = this factor × the raw draw b: 1 (ntk) or σ_b (standard). */
  public double trainableBiasScale(double sigmaB) {
    return this == NTK ? 1.0 : sigmaB;
  }

  public static Parameterization fromConfig(String name) {
    return ConfigNamed.parse(Parameterization.class, name, "parameterization");
  }
}
