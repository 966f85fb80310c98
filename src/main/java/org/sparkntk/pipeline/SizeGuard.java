package org.sparkntk.pipeline;

import java.util.Arrays;
import java.util.function.IntToLongFunction;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.model.InputMapping;

/**
 * Size guards that run before anything is allocated for a size the configuration or the data
 * chose: a user-given width, feature count or block size either fits, or the job stops with the
 * figures and the key to change (status 2), instead of an OutOfMemoryError or an integer overflow
 * minutes later. All arithmetic is in long with {@link Math#multiplyExact}/{@link Math#addExact};
 * an overflow counts as "too large".
 *
 * <p>The bounds (docs/CLUSTER.md, "How it runs"):
 * <ul>
 *   <li>one tensor (a weight matrix W_l, the Gaussian mapping's B, the random features' draws) has at
 *       most {@link #MAX_ARRAY} entries, the most one Java array holds;</li>
 *   <li>the copies of the model the driver holds at once take at most half its max heap, the other
 *       half being the kernels' and Spark's;</li>
 *   <li>one row's prepared data (per-sample factors or Jacobian) fits a task's memory share
 *       ({@link org.sparkntk.blocks.TaskMemory}), since a block has at least one row;</li>
 *   <li>the training Gram and the cross kernel together have at most {@link #MAX_BLOCKS} blocks: each
 *       is a task result the driver receives and a checkpoint file.</li>
 * </ul>
 */
public final class SizeGuard {
  /** The most entries a Java array may have (the JDK's own soft limit, ArraysSupport.SOFT_MAX_ARRAY_LENGTH). */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
  /** The most Gram blocks (training and cross together) one job may plan. */
  static final long MAX_BLOCKS = 100_000;
  /**
   * Copies of the network's parameters the job's driver holds at once: the network, θ for the checkpoint
   * fingerprint, the serialised broadcast and, in local mode, the executors' deserialised copy.
   */
  public static final int JOB_MODEL_COPIES = 4;

  private SizeGuard() {}

  /** Half the driver's max heap: what the model's copies may take. */
  public static long driverModelLimit() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /**
   * The network of {@code widths} (n_0 … n_L) set by {@code key = value}: every W_l fits in an array
   * and {@code copies} × 8 P bytes fit in {@code limitBytes}. P = Σ_l (n_l n_{l+1} + n_{l+1}).
   */
  static void network(String key, String value, int[] widths, long copies, long limitBytes) {
    long p = 0;
    boolean overflow = false;
    for (int l = 0; l + 1 < widths.length && !overflow; l++) {
      long w = (long) widths[l] * widths[l + 1];
      if (w > MAX_ARRAY) {
        throw new ConfigException(key + " = " + value + " gives the network " + arrow(widths) + ", whose W" + l
            + " would have " + widths[l + 1] + " × " + widths[l] + " = " + w + " entries, more than one Java "
            + "array holds (" + MAX_ARRAY + "). Use smaller widths.");
      }
      try {
        p = Math.addExact(p, Math.addExact(w, widths[l + 1]));
      } catch (ArithmeticException e) {
        overflow = true;
      }
    }
    long bytes = overflow ? Long.MAX_VALUE : saturatedMultiply(saturatedMultiply(p, 8), copies);
    if (bytes > limitBytes) {
      throw new ConfigException(key + " = " + value + " gives the network " + arrow(widths) + " with P = "
          + (overflow ? "more than 2^63" : String.valueOf(p)) + " parameters, " + DriverMemory.human(
              saturatedMultiply(p, 8)) + " as float64; the driver holds " + copies + " copies of them at once ("
          + DriverMemory.human(bytes) + "), more than the limit of " + DriverMemory.human(limitBytes)
          + " (half the driver's max heap). Use smaller widths, or a larger spark.driver.memory.");
    }
  }

  /**
   * The input mapping of input.mapping and input.features = m for d inputs: the mapped width the
   * network sees (2d, 2md or 2m) must fit in an int and, for the Gaussian mapping, B (m × d) in an
   * array and in {@code limitBytes}.
   */
  static void mapping(InputMapping.Kind kind, int inputs, int features, long limitBytes) {
    long width = switch (kind) {
      case NONE -> inputs;
      case BASIC -> 2L * inputs;
      case POSITIONAL -> 2L * features * inputs;
      case GAUSSIAN -> 2L * features;
    };
    String what = "input.mapping = " + kind.configName() + " with input.features = " + features + " on " + inputs
        + " feature columns";
    if (width > MAX_ARRAY) {
      throw new ConfigException(what + " gives " + width + " network inputs per row, more than one Java array "
          + "holds (" + MAX_ARRAY + "). Lower input.features.");
    }
    if (kind == InputMapping.Kind.GAUSSIAN) {
      // B travels with the model: the same copies as the network's parameters.
      long b = (long) features * inputs;
      if (b > MAX_ARRAY || 8 * b * JOB_MODEL_COPIES > limitBytes) {
        throw new ConfigException(what + " draws B of " + features + " × " + inputs + " = " + b + " entries ("
            + DriverMemory.human(saturatedMultiply(b, 8)) + "; the driver holds " + JOB_MODEL_COPIES + " copies), "
            + "more than the limit of " + DriverMemory.human(limitBytes) + " (half the driver's max heap; one Java "
            + "array holds at most " + MAX_ARRAY + " entries). Lower input.features.");
      }
    }
  }

  /**
   * The random-features model of P = {@code features} basis functions set by {@code key}: its draws
   * (P × d directions, P phases, P × O coefficients) fit in arrays and in {@code limitBytes}.
   */
  public static void randomFeatures(String key, long features, int inputs, int outputs, long limitBytes) {
    long widest = features * Math.max(inputs, outputs);
    long bytes = 8 * (features * ((long) inputs + outputs + 1));
    if (widest > MAX_ARRAY || bytes > limitBytes) {
      throw new ConfigException(key + " = " + features + " random features on " + inputs + " inputs and " + outputs
          + " outputs draw " + DriverMemory.human(bytes) + " (" + features + " × (" + inputs + " + " + outputs
          + " + 1) numbers), more than the limit of " + DriverMemory.human(Math.min(limitBytes, 8 * MAX_ARRAY))
          + " (half the driver's max heap, at most one Java array per tensor). Use fewer features.");
    }
  }

  /**
   * One row's prepared data (its per-sample factors or Jacobian, {@link BlockKernel#preparedBytes}) must
   * fit a task's memory share, or no block size can work.
   */
  static void perRow(BlockKernel<?> kernel, long taskBudget) {
    long one = kernel.preparedBytes(1);
    if (one > taskBudget) {
      throw new ConfigException("one row's per-sample data for " + kernel.describe() + " takes "
          + DriverMemory.human(one) + ", more than a task's memory share of " + DriverMemory.human(taskBudget)
          + " (a quarter of the executor heap per task slot, at most 1 GiB). Use smaller model.hidden or "
          + "input.features, kernel.method = structured, kernel.outputs = trace, or a larger "
          + "spark.executor.memory (spark.driver.memory in local mode).");
    }
  }

  /**
   * The snapshots solver.steps and solver.recordEvery record (each holds the N·O training and M·O
   * test predictions) must fit in {@code limitBytes}: 2·10⁹ steps recorded at every step would not.
   */
  static void records(int steps, Integer every, long n, long m, int outputs, long limitBytes) {
    long count = (every == null ? Math.min(steps, 10) : steps / every) + 2L;
    long bytes = saturatedMultiply(saturatedMultiply(count, (n + m) * outputs), 8);
    if (bytes > limitBytes) {
      throw new ConfigException("solver.steps = " + steps + " with solver.recordEvery = " + every + " records "
          + count + " snapshots of " + (n + m) * outputs + " predictions, " + DriverMemory.human(bytes)
          + ", more than the limit of " + DriverMemory.human(limitBytes) + " (half the driver's max heap). Set a "
          + "larger solver.recordEvery, or solver.recordEvery = auto.");
    }
  }

  /**
   * The circle report's points: per point its angle and coordinates (3 numbers), one value per
   * width and seed, and the point's per-sample factors at the widest width, about 2 (depth + 1)
   * widths; all on the driver.
   */
  public static void circlePoints(int points, int[] widths, int seeds, int depth, long limitBytes) {
    long widest = Arrays.stream(widths).max().orElse(1);
    long perPoint = 3 + (long) widths.length * seeds + 2L * (depth + 1) * widest;
    long bytes = saturatedMultiply(saturatedMultiply(points, perPoint), 8);
    if (bytes > limitBytes) {
      throw new ConfigException("report.points = " + points + " with report.widths = " + list(widths) + " and "
          + "report.seeds = " + seeds + " needs about " + DriverMemory.human(bytes) + " on the driver (" + perPoint
          + " numbers per point), more than the limit of " + DriverMemory.human(limitBytes) + " (half the driver's "
          + "max heap). Use fewer points.");
    }
  }

  /**
   * The image report's side s, before any image is resampled to s² pixels, in arithmetic that cannot
   * overflow: N = s²/4 training and M = 3s²/4 test pixels, each with {@code outputs} channels, must
   * index Java arrays, and the route that would run must fit in {@code limitBytes}: the dense
   * kernels (8 (2N² + MN) bytes, as {@link DriverMemory} counts regression) on the driver backend,
   * the distributed backend's vectors and bases ({@link SolverBackend#distributedDriverBytes}, with
   * the report's top {@code eigenvalues} by Lanczos) on the distributed one, the smaller under
   * solver.backend = auto.
   */
  public static void imagePixels(JobConfig config, int side, int outputs, int eigenvalues, long limitBytes) {
    long pixels = (long) side * side;
    long n = pixels / 4;
    long m = pixels - n;
    String solver = config.get(ConfigKeys.SOLVER_TYPE);
    // 8 (2N² + MN) bytes; 2N + M = s² + N < 2^63 for any int side
    long dense = saturatedMultiply(8, saturatedMultiply(n, 2 * n + m));
    long distributed = saturatedMultiply(pixels, outputs) > Integer.MAX_VALUE ? Long.MAX_VALUE
        : SolverBackend.distributedDriverBytes(config.with(ConfigKeys.OUTPUT_SPECTRUM.name(), "true")
            .with(ConfigKeys.OUTPUT_EIGENVECTORS.name(), Long.toString(Math.min(n, eigenvalues))), n, m, 1, outputs,
            solver, true);
    String backend = config.get(ConfigKeys.SOLVER_BACKEND);
    long need = switch (backend) {
      case "driver" -> dense;
      case "distributed" -> distributed;
      default -> Math.min(dense, distributed);
    };
    if (need > limitBytes) {
      throw new ConfigException("report.imageSize = " + side + " gives " + n + " training and " + m + " test pixels, "
          + "whose kernels need about " + DriverMemory.human(dense) + " on the driver (solver.backend = driver) and "
          + "the distributed backend's vectors about " + DriverMemory.human(distributed) + "; the limit is "
          + DriverMemory.human(limitBytes) + " (kernel.maxDriverBytes, solver.backend = " + backend + "). Use a "
          + "smaller report.imageSize.");
    }
  }

  /** Gram blocks of n training and m test rows in blocks of b: ⌈n/b⌉(⌈n/b⌉+1)/2 + ⌈m/b⌉⌈n/b⌉. */
  static long blockCount(long n, long m, long b) {
    long nb = (n + b - 1) / b;
    long mb = (m + b - 1) / b;
    return nb * (nb + 1) / 2 + mb * nb;
  }

  /**
   * Refuses a block plan of more than {@link #MAX_BLOCKS} blocks, naming the smallest block size that
   * stays within it. {@code set}: whether kernel.blockSize was given (else it was chosen by auto).
   */
  static void blocks(int n, int m, int blockSize, boolean set) {
    refuseAbove(n, m, blockSize, set, b -> blockCount(n, m, b));
  }

  /**
   * {@link #blocks} for Nyström regression, whose kernels are Θ(X, C) and Θ(X*, C) against
   * {@code centers} rows: (⌈N/b⌉ + ⌈T/b⌉)·⌈M/b⌉ blocks for T test rows.
   */
  static void centerBlocks(int n, int m, int centers, int blockSize, boolean set) {
    refuseAbove(n, m, blockSize, set, b -> ((n + b - 1L) / b + (m + b - 1L) / b) * ((centers + b - 1L) / b));
  }

  private static void refuseAbove(int n, int m, int blockSize, boolean set, IntToLongFunction blocks) {
    long count = blocks.applyAsLong(blockSize);
    if (count <= MAX_BLOCKS) {
      return;
    }
    int smallest = blockSize;
    while (blocks.applyAsLong(smallest) > MAX_BLOCKS) {
      smallest++;
    }
    String rows = n + " training" + (m > 0 ? " and " + m + " test" : "") + " rows";
    throw new ConfigException((set ? "kernel.blockSize = " + blockSize
        : "the automatic kernel.blockSize = " + blockSize + " (the largest whose blocks fit a task's memory share)")
        + " cuts " + rows + " into " + count + " Gram blocks (each a task result and a checkpoint file); at most "
        + MAX_BLOCKS + " are allowed. " + (set ? "Set kernel.blockSize ≥ " + smallest + ", or auto."
        : "Blocks of at least " + smallest + " rows are needed: a larger spark.executor.memory (spark.driver.memory "
            + "in local mode), smaller model.hidden, or fewer rows."));
  }

  private static long saturatedMultiply(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Widths as a key's value shows them: 512,512. */
  static String list(int[] widths) {
    return String.join(",", Arrays.stream(widths).mapToObj(String::valueOf).toList());
  }

  /**
   * The networks of a report: n_0 = {@code inputs}, {@code depth} hidden layers of each width in
   * report.widths, {@code outputs}; the widest decides.
   */
  public static void reportWidths(int[] reportWidths, int inputs, int depth, int outputs, long copies) {
    int widest = Arrays.stream(reportWidths).max().orElse(1);
    int[] widths = new int[depth + 2];
    Arrays.fill(widths, widest);
    widths[0] = inputs;
    widths[depth + 1] = outputs;
    network("report.widths", list(reportWidths), widths, copies, driverModelLimit());
  }

  private static String arrow(int[] widths) {
    String s = Arrays.toString(widths);
    return s.substring(1, s.length() - 1).replace(", ", " → ");
  }
}
