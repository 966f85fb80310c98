package org.sparkntk.kernel;

import org.sparkntk.kernel.analytic.AnalyticNtk;
import org.sparkntk.kernel.empirical.ExplicitNtk;
import org.sparkntk.kernel.empirical.JacobianProducts;
import org.sparkntk.kernel.empirical.MonteCarloNtk;
import org.sparkntk.kernel.empirical.StructuredNtk;
import org.sparkntk.kernel.features.RandomFeaturesKernel;
import org.sparkntk.kernel.features.RandomFeaturesLimit;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.model.RandomFeatures;

/**
 * The one place kernels are built (an architecture test holds every other class to it). A new
 * kernel type is one {@link BlockKernel} class in a package below this one and one case in
 * {@link #of}. Bad combinations are refused with {@link IllegalArgumentException}, which the
 * pipeline reports as a configuration error.
 */
public final class Kernels {
  private Kernels() {}

  /**
   * The job's kernel of {@code model} on rows already mapped by {@code mapping}: the empirical NTK
   * of the network (structured or explicit Jacobian route), the infinite-width NTK or NNGP of its
   * architecture (analytic), the mean empirical NTK over spec.samples initialisations (montecarlo),
   * or K̃ of a random-features model and its P → ∞ limit (randomfeatures). Only the Gaussian
   * m → ∞ mapping, which has no feature vector, enters a kernel itself (analytic only).
   */
  public static BlockKernel<?> of(KernelSpec spec, Model model, InputMapping mapping) {
    boolean analytic = spec.type().equals("analytic");
    if (!mapping.isFinite() && !analytic) {
      throw new IllegalArgumentException("input.features = inf (the m → ∞ Gaussian mapping) needs kernel.type = "
          + "analytic; the " + spec.type() + " kernel needs a finite number of features");
    }
    switch (spec.type()) {
      case "randomfeatures":
        return randomFeatures(as(RandomFeatures.class, model, spec.type()), spec.outputs());
      case "analytic":
        return new AnalyticNtk(as(Mlp.class, model, spec.type()).architecture(), spec.outputs(), spec.ntk(),
            spec.quadraturePoints(), mapping.isFinite() ? null : mapping);
      case "montecarlo":
        return new MonteCarloNtk(as(Mlp.class, model, spec.type()).architecture(), spec.seed(), spec.samples(),
            spec.outputs(), spec.precision());
      case "empirical":
        return empirical(spec, as(Mlp.class, model, spec.type()));
      default:
        throw new IllegalArgumentException("unknown kernel.type '" + spec.type() + "'");
    }
  }

  /** The empirical NTK of {@code mlp} by spec.method (structured or jacobian) and spec.precision. */
  public static BlockKernel<?> empirical(KernelSpec spec, Mlp mlp) {
    return spec.method().equals("jacobian") ? new ExplicitNtk(mlp, spec.outputs())
        : new StructuredNtk(mlp, spec.outputs(), spec.precision());
  }

  /**
   * The empirical NTK of {@code mlp} applied without forming it (Θ V = J(Jᵀ V), spec's outputs),
   * for the matrix-free distributed operator.
   */
  public static JacobianProducts matrixFree(KernelSpec spec, Mlp mlp) {
    return new JacobianProducts(mlp, spec.outputs());
  }

  /** The infinite-width NTK of {@code arch}, with spec's outputs and quadrature (the reports' Θ_∞). */
  public static AnalyticNtk limit(KernelSpec spec, Architecture arch) {
    return new AnalyticNtk(arch, spec.outputs(), true, spec.quadraturePoints());
  }

  /** K̃ = (1/P) Σ_p f_p f_pᵀ of a sampled random-features model, or its closed-form P → ∞ limit. */
  public static BlockKernel<?> randomFeatures(RandomFeatures rf, KernelOutputs outputs) {
    return rf.isLimit() ? new RandomFeaturesLimit(rf, outputs) : new RandomFeaturesKernel(rf, outputs);
  }

  private static <T extends Model> T as(Class<T> kind, Model model, String type) {
    if (!kind.isInstance(model)) {
      throw new IllegalArgumentException("kernel.type = " + type + " needs a model of class " + kind.getSimpleName()
          + ", got " + model.describe());
    }
    return kind.cast(model);
  }
}
