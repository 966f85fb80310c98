package org.sparkntk.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.LabeledData;
import org.sparkntk.io.ModelStore;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.solver.Solvers;

/**
 * What a job is built from, read from its keys: the input mapping (input.*), the model (model.*,
 * or model.load), the kernel ({@link Kernels}, from kernel.*), the block size (kernel.blockSize)
 * and where the dynamics start (solver.f0). The job, the reports and the ML models build them here.
 */
public final class JobComponents {
  private JobComponents() {}

  /**
   * Whether the dynamics start from f_0 = 0 (solver.f0 = zero) rather than the outputs of the model
   * initialised by model.seed (network). solver.f0 = auto keeps the model's own f_0 where the kernel
   * is that model's (kernel.type = empirical, and randomfeatures with finite P: the linearised model
   * of one initialisation), and takes f_0 = 0 where the kernel belongs to no single initialisation
   * (analytic, montecarlo, the randomfeatures P → ∞ limit): adding one random network's outputs to
   * the mean predictor over initialisations makes it one noisy draw of the infinite-width GP
   * posterior instead of its mean (neural-tangents' predict.gradient_descent_mse_ensemble returns the
   * mean, f_0 = 0).
   */
  public static boolean startsFromZero(JobConfig config) {
    return switch (config.get(ConfigKeys.SOLVER_F0)) {
      case "zero" -> true;
      case "network" -> false;
      default -> switch (config.get(ConfigKeys.KERNEL_TYPE)) {
        case "empirical" -> false;
        case "randomfeatures" -> config.get(ConfigKeys.KERNEL_FEATURES) == null;
        default -> true;
      };
    };
  }

  /**
   * The kernel of {@code model} as configured. For a network: the analytic infinite-width NTK or
   * NNGP of its architecture (kernel.type = analytic), the mean empirical NTK over kernel.samples
   * initialisations (montecarlo), or its own empirical NTK by kernel.method and kernel.precision.
   * For the random-features model (randomfeatures): K̃ = (1/P) Σ_p f_p f_p' of its basis functions,
   * or the closed-form limit K for the P → ∞ model. A model of the wrong kind for kernel.type
   * (only possible through this method) is refused.
   */
  public static BlockKernel<?> kernel(JobConfig config, Model model) {
    return kernel(config, model, InputMapping.none(model.inputs()));
  }

  /**
   * The kernel on rows already mapped by {@code mapping} ({@link RowBlocks#of(LabeledData, BlockPlan,
   * InputMapping)}); only the Gaussian m → ∞ limit, which has no feature vector, enters the kernel
   * itself (analytic only).
   */
  public static BlockKernel<?> kernel(JobConfig config, Model model, InputMapping mapping) {
    try {
      return Kernels.of(config.kernelSpec(), model, mapping);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /**
   * The input mapping of input.* for {@code inputs} feature columns, or the one saved with
   * model.load (which, like the saved architecture, wins over the keys).
   */
  public static InputMapping mapping(JobConfig config, int inputs) {
    String load = config.get(ConfigKeys.MODEL_LOAD);
    if (load != null) {
      InputMapping saved;
      try {
        saved = ModelStore.loadMapping(Path.of(load));
      } catch (IOException e) {
        throw new ConfigException("model.load = '" + load + "': " + e.getMessage());
      }
      if (saved.kind() != InputMapping.Kind.NONE && saved.inputs() != inputs) {
        throw new ConfigException("model.load = '" + load + "' maps " + saved.inputs() + " input coordinates ("
            + saved.describe() + "), but the data has " + inputs + " feature columns");
      }
      return saved.kind() == InputMapping.Kind.NONE ? InputMapping.none(inputs) : saved;
    }
    double scale = config.get(ConfigKeys.INPUT_SCALE);
    int features = config.get(ConfigKeys.INPUT_FEATURES);
    InputMapping.Kind kind = config.get(ConfigKeys.INPUT_MAPPING);
    if (features == 0 && kind != InputMapping.Kind.GAUSSIAN) {
      throw new ConfigException("input.features = inf exists for input.mapping = gaussian only, not "
          + kind.configName());
    }
    Long seed = config.get(ConfigKeys.INPUT_SEED);
    if (features > 0) {
      SizeGuard.mapping(kind, inputs, features, SizeGuard.driverModelLimit());
    }
    return switch (kind) {
      case NONE -> InputMapping.none(inputs);
      case BASIC -> InputMapping.basic(inputs);
      case POSITIONAL -> InputMapping.positional(inputs, scale, features);
      case GAUSSIAN -> features == 0 ? InputMapping.gaussianLimit(inputs, scale)
          : InputMapping.gaussian(inputs, scale, features, seed != null ? seed : config.get(ConfigKeys.MODEL_SEED));
    };
  }

  /**
   * The model the job starts from, f_0: for kernel.type = randomfeatures the random-features
   * model of kernel.basis, kernel.features and kernel.scale drawn from model.seed (f_0 = 0 for
   * kernel.features = inf); otherwise the network of model.load, or of model.* initialised from
   * model.seed.
   */
  public static Model model(JobConfig config, int inputs, int outputs) {
    if (config.get(ConfigKeys.KERNEL_TYPE).equals("randomfeatures")) {
      RandomFeatures.Basis basis = config.get(ConfigKeys.KERNEL_BASIS);
      Integer features = config.get(ConfigKeys.KERNEL_FEATURES);
      double scale = config.get(ConfigKeys.KERNEL_SCALE);
      if (features != null) {
        SizeGuard.randomFeatures("kernel.features", features, inputs, outputs, SizeGuard.driverModelLimit());
      }
      return features == null ? RandomFeatures.limit(basis, scale, inputs, outputs)
          : RandomFeatures.initialise(basis, features, scale, inputs, outputs, config.get(ConfigKeys.MODEL_SEED));
    }
    return network(config, inputs, outputs);
  }

  static Mlp network(JobConfig config, int inputs, int outputs) {
    String load = config.get(ConfigKeys.MODEL_LOAD);
    if (load != null) {
      Mlp mlp;
      try {
        mlp = ModelStore.load(Path.of(load));
      } catch (IOException e) {
        throw new ConfigException("model.load = '" + load + "': " + e.getMessage());
      }
      Architecture a = mlp.architecture();
      if (a.inputs() != inputs || a.outputs() != outputs) {
        throw new ConfigException("model.load = '" + load + "' has " + a.inputs() + " inputs and " + a.outputs()
            + " outputs, but the data has " + inputs + " feature columns and " + outputs + " label columns");
      }
      return mlp;
    }
    int[] hidden = config.get(ConfigKeys.MODEL_HIDDEN);
    int[] widths = new int[hidden.length + 2];
    widths[0] = inputs;
    System.arraycopy(hidden, 0, widths, 1, hidden.length);
    widths[widths.length - 1] = outputs;
    // montecarlo keeps kernel.samples networks besides the one that gives f_0
    boolean montecarlo = config.get(ConfigKeys.KERNEL_TYPE).equals("montecarlo");
    int samples = montecarlo ? config.get(ConfigKeys.KERNEL_SAMPLES) : 0;
    SizeGuard.network(montecarlo ? "model.hidden with kernel.samples = " + samples : "model.hidden",
        SizeGuard.list(hidden), widths, SizeGuard.JOB_MODEL_COPIES * (1L + samples),
        SizeGuard.driverModelLimit());
    return Mlp.initialise(config.architecture(inputs, hidden, outputs), config.get(ConfigKeys.MODEL_SEED));
  }

  /**
   * kernel.blockSize, or the automatic rule ({@link BlockPlan#autoBlockSize}); either is checked by
   * the size guard against the training Gram's blocks, unless the solver never builds that Gram
   * (Nyström regression, whose blocks against the centres the job checks).
   */
  public static int blockSize(JobConfig config, BlockKernel<?> kernel, int rows, int parallelism, long taskBudget) {
    boolean gram = Solvers.of(config.get(ConfigKeys.SOLVER_TYPE)).needsTrainingKernel();
    Integer set = config.get(ConfigKeys.KERNEL_BLOCK_SIZE);
    if (set != null) {
      if (gram) {
        SizeGuard.blocks(rows, 0, set, true);
      }
      return set;
    }
    int b = BlockPlan.autoBlockSize(kernel, rows, parallelism, taskBudget);
    if (gram) {
      SizeGuard.blocks(rows, 0, b, false);
    }
    return b;
  }
}
