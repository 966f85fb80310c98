package org.sparkntk.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.Precision;
import org.sparkntk.model.Activation;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Parameterization;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Solvers;

/**
 * Every key a job accepts. The names are a public contract: users' scripts rely on them.
 * {@code spark.*} keys are passed to Spark unchanged.
 *
 * <p>Over 400 lines because it is one table: each key is one declaration with its default,
 * allowed values, meaning and parser, kept together so docs/CONFIG.md can be checked against it.
 */
public final class ConfigKeys {
  private ConfigKeys() {}

  private static final Map<String, ConfigKey<?>> KEYS = new LinkedHashMap<>();

  public static final ConfigKey<String> DATA_TRAIN = add("data.train", null, true, "a file or directory path",
      "Training data (a file or a directory of part files).", Function.identity());
  public static final ConfigKey<String> DATA_TEST = add("data.test", null, false, "a file or directory path",
      "Test data to predict on (optional); same columns as the training data.", Function.identity());
  public static final ConfigKey<String> DATA_FORMAT = add("data.format", "auto", false,
      "csv, parquet, libsvm, idx or auto",
      "Input format; auto picks it from the extension of data.train (.csv, .parquet, .libsvm/.svm, "
          + "-idx3-ubyte[.gz] for the IDX images of MNIST and Fashion-MNIST).",
      v -> oneOf(v, "csv", "parquet", "libsvm", "idx", "auto"));
  public static final ConfigKey<List<String>> DATA_LABEL = add("data.label", null, false,
      "a comma-separated list of column names",
      "Label column(s), one per network output. Every other numeric column is a feature. Required for csv, "
          + "parquet and idx (whose one-hot columns are label_0 … label_(K−1)); libsvm files have a single column "
          + "named label.", ConfigKeys::nameList);
  public static final ConfigKey<Long> DATA_TRAIN_ROWS = add("data.trainRows", "all", false,
      "a positive integer or all",
      "Use only the first this many rows of data.train (in reading order): a subset for a quick run or a scaling "
          + "study. all: every row.", v -> v.trim().equalsIgnoreCase("all") ? null : positive(Long.parseLong(v)));
  public static final ConfigKey<String> DATA_AUGMENT = add("data.augment", "none", false, "none or shifts",
      "shifts: each square image of data.train (s² features, row-major) also enters shifted by one pixel in the 8 "
          + "directions, zero-filled: 9 training rows per image, generated on the executors (after data.trainRows, "
          + "before data.standardize).", v -> oneOf(v, "none", "shifts"));
  public static final ConfigKey<Boolean> DATA_STANDARDIZE = add("data.standardize", "false", false, "true or false",
      "Standardise every feature column to mean 0 and variance 1 with the training rows' mean and standard "
          + "deviation (applied to the test rows too); a constant column becomes 0.", ConfigKeys::bool);
  public static final ConfigKey<Boolean> DATA_HEADER = add("data.header", "true", false, "true or false",
      "Whether CSV files start with a header row naming the columns (otherwise they are _c0, _c1, …).",
      ConfigKeys::bool);

  public static final ConfigKey<Integer> DATA_MAX_FEATURES = add("data.maxFeatures", "1000000", false,
      "a positive integer",
      "Largest number of features per row the data may have (a libsvm index, the size of a vector column, the "
          + "number of feature columns); more is refused before anything is allocated for it.",
      v -> positive(Integer.parseInt(v)));

  public static final ConfigKey<int[]> MODEL_HIDDEN = add("model.hidden", "512,512", false,
      "a comma-separated list of positive integers, e.g. 512,512 (empty: no hidden layer)",
      "Hidden layer widths n_1 … n_{L−1}.", ConfigKeys::widths);
  public static final ConfigKey<Activation> MODEL_ACTIVATION = add("model.activation", "relu", false,
      String.join(", ", Activation.configNames()), "Nonlinearity φ between layers (none after the last).",
      Activation::fromConfig);
  public static final ConfigKey<Parameterization> MODEL_PARAMETERIZATION = add("model.parameterization", "ntk",
      false, "ntk or standard",
      "ntk: z = (σ_w/√n)·W a + σ_b·b with trainable N(0,1) W, b (Jacot et al.); standard: the same "
          + "function with trainable W' = σ_w/√n·W, b' = σ_b·b (a different NTK).",
      Parameterization::fromConfig);
  public static final ConfigKey<Double> MODEL_SIGMA_W = add("model.sigmaW", "1.0", false,
      "a positive number", "σ_w, the weight scale.", v -> positive(Double.parseDouble(v)));
  public static final ConfigKey<Double> MODEL_SIGMA_B = add("model.sigmaB", "0.1", false,
      "a number ≥ 0", "σ_b, the bias scale (Jacot et al. use β = 0.1).", v -> nonNegative(Double.parseDouble(v)));
  public static final ConfigKey<Long> MODEL_SEED = add("model.seed", "0", false, "an integer",
      "Initialisation seed: the parameters are a pure function of it.", Long::parseLong);
  public static final ConfigKey<String> MODEL_LOAD = add("model.load", null, false,
      "a saved model directory (model.json + W<l>.npy, b<l>.npy)",
      "Use these parameters instead of a fresh initialisation; model.hidden, activation, parameterization, "
          + "sigmaW and sigmaB are then taken from its model.json.", Function.identity());

  public static final ConfigKey<InputMapping.Kind> INPUT_MAPPING = add("input.mapping", "none", false,
      "none, basic, positional or gaussian",
      "Fixed Fourier-feature mapping γ before the network (Tancik et al. 2020; docs/THEORY.md §9): basic "
          + "[cos 2πv, sin 2πv]; positional [cos 2πσ^{j/m}v, sin 2πσ^{j/m}v], j < m; gaussian [cos 2πBv, sin 2πBv], "
          + "B ~ N(0, σ²)^{m×d}.", InputMapping.Kind::fromConfig);
  public static final ConfigKey<Double> INPUT_SCALE = add("input.scale", "10", false, "a positive number",
      "σ of the positional and gaussian mappings.", v -> positive(Double.parseDouble(v)));
  public static final ConfigKey<Integer> INPUT_FEATURES = add("input.features", "256", false,
      "a positive integer, or inf (gaussian with kernel.type = analytic)",
      "m: frequencies of positional, features of gaussian; inf = the m → ∞ limit, whose input kernel is "
          + "exp(−2π²σ²‖v − v'‖²) (analytic kernel only; needs solver.f0 = zero or auto).",
      v -> v.trim().equalsIgnoreCase("inf") ? 0 : positive(Integer.parseInt(v)));
  public static final ConfigKey<Long> INPUT_SEED = add("input.seed", "auto", false, "an integer or auto",
      "Seed of the gaussian mapping's B. auto: model.seed.", v -> autoOr(v, Long::parseLong));

  public static final ConfigKey<String> KERNEL_TYPE = add("kernel.type", "empirical", false,
      "empirical, analytic, montecarlo or randomfeatures",
      "empirical: the finite network's NTK at its initialisation; analytic: the infinite-width limit of the "
          + "same architecture (the recursion of docs/THEORY.md §3); montecarlo: the mean empirical NTK over kernel.samples "
          + "initialisations (seeds model.seed, model.seed + 1, …); randomfeatures: not a network but the "
          + "random-features model f = (1/√P) Σ_p θ_p f_p of kernel.basis and kernel.features (docs/THEORY.md §10), "
          + "kernel (1/P) Σ_p f_p(x) f_p(x').",
      v -> oneOf(v, "empirical", "analytic", "montecarlo", "randomfeatures"));
  public static final ConfigKey<Integer> KERNEL_SAMPLES = add("kernel.samples", "8", false, "a positive integer",
      "Initialisations averaged by kernel.type = montecarlo.", v -> positive(Integer.parseInt(v)));
  public static final ConfigKey<RandomFeatures.Basis> KERNEL_BASIS = add("kernel.basis", "fourier", false,
      "fourier or relu",
      "Basis functions of kernel.type = randomfeatures: fourier, f_p(x) = √2 cos(2π b_pᵀx + c_p) with "
          + "b_p ~ N(0, σ² I), c_p ~ U[0, 2π); relu, f_p(x) = √2 relu(w_pᵀx/√d) with w_p ~ N(0, I).",
      RandomFeatures.Basis::fromConfig);
  /** P, or null for inf (the P → ∞ limit kernel). */
  public static final ConfigKey<Integer> KERNEL_FEATURES = add("kernel.features", "1024", false,
      "a positive integer or inf",
      "Number P of random basis functions of kernel.type = randomfeatures; inf: the P → ∞ limit kernel in closed "
          + "form, the dynamics starting from f_0 = 0.",
      v -> v.equalsIgnoreCase("inf") ? null : positive(Integer.parseInt(v)));
  public static final ConfigKey<Double> KERNEL_SCALE = add("kernel.scale", "1.0", false, "a positive number",
      "σ of the Fourier basis' frequencies b_p ~ N(0, σ² I) (kernel.basis = fourier; the limit kernel is "
          + "exp(−2π²σ²‖x − x'‖²)).", v -> positive(Double.parseDouble(v)));
  public static final ConfigKey<String> KERNEL_GET = add("kernel.get", "ntk", false, "ntk or nngp",
      "Which kernel: ntk (Θ) or nngp (Σ_L, the infinite-width output covariance; analytic only).",
      v -> oneOf(v, "ntk", "nngp"));
  public static final ConfigKey<Integer> KERNEL_QUADRATURE = add("kernel.quadrature", "auto", false,
      "a positive integer or auto",
      "Analytic kernel, activations without a closed form (tanh): auto = trapezoidal rule with a step scaled to "
          + "the variance (≈1e-10 relative at any variance); n = n-point Gauss–Hermite per dimension "
          + "(neural-tangents' ElementwiseNumerical; its error grows with the variance).",
      v -> autoOr(v, s -> positive(Integer.parseInt(s))));
  public static final ConfigKey<String> KERNEL_METHOD = add("kernel.method", "structured", false,
      "structured or jacobian",
      "How the empirical NTK is computed: structured = per-layer factors, Σ_l (c_W² A Aᵀ + c_b²) ∘ (D Dᵀ) "
          + "(fast, exact); jacobian = explicit per-sample Jacobians, Θ = J Jᵀ (the reference route).",
      v -> oneOf(v, "structured", "jacobian"));
  public static final ConfigKey<Precision> KERNEL_PRECISION = add("kernel.precision", "float64", false,
      "float64 or float32",
      "Storage and GEMM precision of the structured kernel; float32 runs SGEMM, layer sums stay float64.",
      Precision::fromConfig);
  public static final ConfigKey<KernelOutputs> KERNEL_OUTPUTS = add("kernel.outputs", "trace", false,
      "trace or full",
      "trace: N×N, the mean over outputs (1/O)·Σ_a Θ_aa (as neural-tangents); full: NO×NO, index i·O + a.",
      KernelOutputs::fromConfig);
  public static final ConfigKey<Integer> KERNEL_BLOCK_SIZE = add("kernel.blockSize", "auto", false,
      "a positive integer or auto",
      "Rows per Gram block. auto: the largest power of two ≤ 1024 whose per-sample data stays under 64 MiB "
          + "per block.", v -> autoOr(v, s -> positive(Integer.parseInt(s))));
  public static final ConfigKey<Long> KERNEL_MAX_DRIVER_BYTES = add("kernel.maxDriverBytes", "auto", false,
      "a size in bytes (suffixes k, m, g allowed) or auto",
      "Largest dense kernel (plus solver workspace) the driver may collect. auto: half the driver's max heap.",
      v -> autoOr(v, ConfigKeys::bytes));

  public static final ConfigKey<String> KERNEL_CACHE = add("kernel.cache", "memory", false,
      "memory, disk or none",
      "Distributed backend: where the Gram's blocks stay. memory = executor memory, spilling to executor disks; "
          + "disk = executor disks; none = nothing stored, every product recomputes the blocks (for a Gram larger "
          + "than the cluster's memory and disk; with output.checkpoint the blocks are written once to "
          + "output.dir/checkpoint/ and the products read them there). Blocks are stored in kernel.precision. "
          + "With kernel.type = empirical, none is the matrix-free operator: Θ V = J(Jᵀ V), nothing stored.",
      v -> oneOf(v, "memory", "disk", "none"));

  public static final ConfigKey<String> SOLVER_TYPE = add("solver.type", "steps", false,
      "steps, flow, regression or nystrom",
      "steps: discrete kernel gradient descent; flow: the closed form at solver.times; regression: t → ∞; "
          + "nystrom: regression restricted to solver.centers training rows (FALKON), for N beyond the Gram.",
      v -> oneOf(v, Solvers.types()));
  public static final ConfigKey<Loss> SOLVER_LOSS = add("solver.loss", "mse", false, "mse or xent",
      "Cost: mse, C = (1/N) Σ ½‖f − y‖²; xent, the softmax cross-entropy C = (1/N) Σ −Σ_a y_a log softmax(f)_a "
          + "with the label columns as target probabilities (one-hot classes), steps only.", Loss::fromConfig);
  public static final ConfigKey<String> SOLVER_F0 = add("solver.f0", "auto", false, "auto, network or zero",
      "Where the dynamics start: network = the outputs f_0 of the model initialised by model.seed; zero = "
          + "f_0 = 0, the mean over initialisations (neural-tangents' ensemble mean; noise-free predictions); "
          + "auto = network for kernel.type = empirical and randomfeatures with finite kernel.features (the "
          + "linearised model of that one initialisation), zero for analytic, montecarlo and the randomfeatures "
          + "limit (kernels of no single initialisation).",
      v -> oneOf(v, "auto", "network", "zero"));
  public static final ConfigKey<Double> SOLVER_LR = add("solver.lr", "auto", false,
      "a positive number or auto",
      "Step size η. auto: 0.5 × the stable limit, 2N/λ_max for mse and 4N/λ_max for xent.",
      v -> autoOr(v, s -> positive(Double.parseDouble(s))));
  public static final ConfigKey<Integer> SOLVER_STEPS = add("solver.steps", "1000", false, "an integer ≥ 0",
      "Number of discrete steps (steps), and the horizon of the default flow times.",
      v -> nonNegative(Integer.parseInt(v)));
  public static final ConfigKey<Integer> SOLVER_RECORD_EVERY = add("solver.recordEvery", "auto", false,
      "a positive integer or auto",
      "Record predictions and losses every this many steps (and at the last). auto: steps/10.",
      v -> autoOr(v, s -> positive(Integer.parseInt(s))));
  public static final ConfigKey<double[]> SOLVER_TIMES = add("solver.times", "auto", false,
      "a comma-separated list of times ≥ 0, or auto",
      "Continuous times τ for flow (τ = η·t matches t steps). auto: η × the recorded steps.",
      v -> autoOr(v, ConfigKeys::nonNegativeList));
  public static final ConfigKey<Double> SOLVER_RIDGE = add("solver.ridge", "0", false, "a number ≥ 0",
      "Ridge ρ added to the diagonal for regression, (Θ + ρI)⁻¹.", v -> nonNegative(Double.parseDouble(v)));

  public static final ConfigKey<String> SOLVER_BACKEND = add("solver.backend", "auto", false,
      "auto, driver or distributed",
      "driver: the dense kernels are collected to the driver and solved there directly (Cholesky, dsyevd); "
          + "distributed: the Gram stays on the executors and the solvers use only products with it (PCG, Lanczos); "
          + "auto: driver when the dense kernels and the solver's workspace fit kernel.maxDriverBytes, else "
          + "distributed.", v -> oneOf(v, "auto", "driver", "distributed"));
  public static final ConfigKey<Double> SOLVER_TOL = add("solver.tol", "1e-8", false, "a number in (0, 1)",
      "Distributed backend: the relative residual ‖(Θ + ρI)α − b‖/‖b‖ at which PCG stops (every output column), "
          + "and the relative change at which the Lanczos flow stops.", ConfigKeys::unitInterval);
  public static final ConfigKey<Integer> SOLVER_MAX_ITER = add("solver.maxIter", "1000", false,
      "a positive integer",
      "Distributed backend: the most PCG iterations or Lanczos steps (each one product with the Gram); reaching "
          + "it above solver.tol stops the job with the residual reached.", v -> positive(Integer.parseInt(v)));
  public static final ConfigKey<String> SOLVER_PRECONDITIONER = add("solver.preconditioner", "nystrom", false,
      "nystrom or none",
      "Distributed regression: nystrom = the randomized Nyström preconditioner of rank solver.rank (Frangella, "
          + "Tropp & Udell 2023), built from one product with solver.rank columns; none = plain CG.",
      v -> oneOf(v, "nystrom", "none"));
  public static final ConfigKey<Integer> SOLVER_RANK = add("solver.rank", "500", false, "a positive integer",
      "Rank r of the Nyström preconditioner; best a little above the number of eigenvalues of Θ above the ridge. "
          + "The driver holds N × r numbers for it.", v -> positive(Integer.parseInt(v)));
  public static final ConfigKey<Integer> SOLVER_CENTERS = add("solver.centers", "2000", false, "a positive integer",
      "solver.type = nystrom: M, the training rows drawn (without replacement, seeded by model.seed) as Nyström "
          + "centres; at least N uses every row (exact regression). The driver holds about (M·k)² numbers.",
      v -> positive(Integer.parseInt(v)));
  public static final ConfigKey<String> SOLVER_CENTER_SAMPLING = add("solver.centerSampling", "uniform", false,
      "uniform or leverage", "solver.type = nystrom: how the centres are drawn; uniform = M distinct training rows, "
          + "each equally likely; leverage = M distinct rows drawn with probabilities proportional to their "
          + "approximate ridge leverage scores at solver.ridge (from a uniform subsample of min(M, 4096) rows, "
          + "one more pass over the training rows; kernel.outputs = trace).", v -> oneOf(v, "uniform", "leverage"));

  /** Names are checked against the report registry (report.Reports) by the CLI, before Spark starts. */
  public static final ConfigKey<String> REPORT_TYPE = add("report.type", "none", false,
      "none or the name of a report (docs/EXPERIMENTS.md)",
      "none: the kernel job; otherwise the experiment of that name (report.Reports lists them; each writes its "
          + "own files).", ConfigKeys::word);
  public static final ConfigKey<Integer> REPORT_COMPONENTS = add("report.components", "5", false,
      "a positive integer", "Top eigenvectors of Θ_0 whose residual components the dynamics report follows (mse).",
      v -> positive(Integer.parseInt(v)));
  public static final ConfigKey<List<String>> REPORT_IMAGES = add("report.images", "text", false,
      "a comma-separated list of image files, or text",
      "Images of the image report: files (PNG, JPEG; central square) or text, an image rendered by the program.",
      ConfigKeys::nameList);
  public static final ConfigKey<Integer> REPORT_IMAGE_SIZE = add("report.imageSize", "64", false,
      "an even integer ≥ 4", "Pixels per side the images are resampled to; a quarter of the pixels train.",
      v -> {
        int s = Integer.parseInt(v.trim());
        if (s < 4 || s % 2 != 0) {
          throw new IllegalArgumentException("not an even integer ≥ 4");
        }
        return s;
      });
  public static final ConfigKey<List<String>> REPORT_MAPPINGS = add("report.mappings",
      "none,basic,positional,gaussian:1,gaussian:10,gaussian:100", false,
      "a comma-separated list of none, basic, positional[:σ], gaussian[:σ]",
      "Input mappings compared by the image report (σ defaults to input.scale; m is input.features).",
      ConfigKeys::nameList);
  public static final ConfigKey<String> REPORT_PRODUCTS = add("report.products", "auto", false,
      "auto, fft or job",
      "How the image report multiplies by its kernels. fft: as 2-D convolutions on the pixel grid, by FFT (the "
          + "analytic NTK of a shift-invariant mapping, basic, positional or gaussian, is a function of v − v' "
          + "only), with PCG and Lanczos on them: no kernel matrix is formed; job: each mapping is a run of the "
          + "job on its backend (solver.backend); auto: fft where it applies (such a mapping, kernel.type = "
          + "analytic, f_0 = 0, coordinates as given), else job.", v -> oneOf(v, "auto", "fft", "job"));
  public static final ConfigKey<Integer> REPORT_POINTS = add("report.points", "101", false, "an integer ≥ 2",
      "Angles γ from −π to π of the circle report.", v -> {
        int p = Integer.parseInt(v);
        if (p < 2) {
          throw new IllegalArgumentException("fewer than 2 points");
        }
        return p;
      });
  public static final ConfigKey<int[]> REPORT_WIDTHS = add("report.widths", "64,128,256,512,1024", false,
      "a comma-separated list of positive integers",
      "Hidden widths of the convergence and dynamics reports (every hidden layer).",
      ConfigKeys::widths);
  public static final ConfigKey<int[]> REPORT_FEATURES = add("report.features", "64,256,1024,4096,16384", false,
      "a comma-separated list of positive integers", "Numbers of random features P of the rfconvergence report.",
      v -> counts(v, "feature count"));
  public static final ConfigKey<Integer> REPORT_SEEDS = add("report.seeds", "5", false, "a positive integer",
      "Initialisations per width or feature count (seeds model.seed, model.seed + 1, …).",
      v -> positive(Integer.parseInt(v)));

  public static final ConfigKey<String> OUTPUT_DIR = add("output.dir", null, true, "a directory path",
      "Where every output goes: a new or empty directory, or one spark-ntk wrote before.", Function.identity());
  public static final ConfigKey<Boolean> OUTPUT_OVERWRITE = add("output.overwrite", "false", false, "true or false",
      "Allow output.dir to hold a complete run of different settings (its manifest.json records their "
          + "fingerprint), which this run replaces (only the files spark-ntk's journal lists); otherwise such a "
          + "directory is refused.", ConfigKeys::bool);
  public static final ConfigKey<Boolean> OUTPUT_CHECKPOINT = add("output.checkpoint", "true", false,
      "true or false", "Save each Gram block in output.dir/checkpoint/ as it is computed, so that a rerun after a "
          + "crash computes only the missing blocks (on the distributed backend the executors write the blocks, "
          + "and a regression also saves its PCG iterate and Nyström preconditioner); deleted once the run's "
          + "outputs are complete.",
      ConfigKeys::bool);
  public static final ConfigKey<Boolean> OUTPUT_GRAM = add("output.gram", "false", false, "true or false",
      "Also write the training Gram as gram.npy (and the cross kernel as cross.npy); on the distributed backend "
          + "as block files gram/<I>-<J>.npy (upper triangle) and cross/<I>-<J>.npy with an index.json each.",
      ConfigKeys::bool);
  public static final ConfigKey<Boolean> OUTPUT_SPECTRUM = add("output.spectrum", "false", false, "true or false",
      "Also write the eigenvalues of the training Gram, descending, as spectrum.npy, spectrum.csv and the plot "
          + "spectrum.png.", ConfigKeys::bool);
  public static final ConfigKey<Integer> OUTPUT_EIGENVECTORS = add("output.eigenvectors", "0", false,
      "an integer ≥ 0", "With output.spectrum: also write the eigenvectors of the k largest eigenvalues as "
          + "eigenvectors.npy, [N·(kernel rows per example) × k].", v -> nonNegative(Integer.parseInt(v)));

  private static <T> ConfigKey<T> add(String name, String def, boolean required, String allowed, String doc,
                                      Function<String, T> parser) {
    ConfigKey<T> key = new ConfigKey<>(name, def, required, allowed, doc, parser);
    KEYS.put(name, key);
    return key;
  }

  /** All keys in documentation order. */
  public static List<ConfigKey<?>> all() {
    return Collections.unmodifiableList(new ArrayList<>(KEYS.values()));
  }

  public static ConfigKey<?> find(String name) {
    return KEYS.get(name);
  }

  /** The known key closest to {@code name} by edit distance, or null when none is close. */
  public static String nearest(String name) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : KEYS.keySet()) {
      int d = editDistance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= Math.max(2, name.length() / 3) ? best : null;
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  // ---- value parsers: each throws with a short reason; ConfigKey.parse adds key and expectation ----

  /** A lowercase name: letters and digits, starting with a letter. */
  static String word(String v) {
    String n = v.toLowerCase(Locale.ROOT);
    if (!n.matches("[a-z][a-z0-9]*")) {
      throw new IllegalArgumentException((String) null);
    }
    return n;
  }

  static String oneOf(String v, String... allowed) {
    String n = v.toLowerCase(Locale.ROOT);
    if (!Arrays.asList(allowed).contains(n)) {
      throw new IllegalArgumentException((String) null);
    }
    return n;
  }

  static boolean bool(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException((String) null);
    };
  }

  /** Null for "auto", else the parsed value. */
  static <T> T autoOr(String v, Function<String, T> parser) {
    return v.equalsIgnoreCase("auto") ? null : parser.apply(v);
  }

  static double unitInterval(String v) {
    double d = Double.parseDouble(v);
    if (!(d > 0 && d < 1)) {
      throw new IllegalArgumentException("must be in (0, 1), got " + v);
    }
    return d;
  }

  static <T extends Number> T positive(T v) {
    if (!(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
      throw new IllegalArgumentException("not positive");
    }
    return v;
  }

  static <T extends Number> T nonNegative(T v) {
    if (!(v.doubleValue() >= 0) || Double.isInfinite(v.doubleValue())) {
      throw new IllegalArgumentException("negative or not finite");
    }
    return v;
  }

  static int[] widths(String v) {
    return v.isEmpty() ? new int[0] : counts(v, "width");
  }

  /** A non-empty comma-separated list of positive integers, each called {@code noun} in messages. */
  static int[] counts(String v, String noun) {
    String[] parts = v.split(",");
    int[] w = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].trim();
      int count;
      try {
        count = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(noun + " " + (i + 1) + " '" + p + "' is not an integer");
      }
      if (count <= 0) {
        throw new IllegalArgumentException(noun + " " + (i + 1) + " is " + count + ", it must be positive");
      }
      w[i] = count;
    }
    return w;
  }

  static double[] nonNegativeList(String v) {
    return Arrays.stream(v.split(",")).map(String::trim)
        .mapToDouble(s -> nonNegative(Double.parseDouble(s))).toArray();
  }

  static List<String> nameList(String v) {
    List<String> names = Arrays.stream(v.split(",")).map(String::trim).toList();
    if (names.isEmpty() || names.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("empty column name");
    }
    if (names.stream().distinct().count() != names.size()) {
      throw new IllegalArgumentException("a column is listed twice");
    }
    return names;
  }

  static long bytes(String v) {
    String s = v.toLowerCase(Locale.ROOT);
    long unit = 1;
    char last = s.charAt(s.length() - 1);
    if (last == 'k' || last == 'm' || last == 'g' || last == 't') {
      unit = switch (last) {
        case 'k' -> 1L << 10;
        case 'm' -> 1L << 20;
        case 'g' -> 1L << 30;
        default -> 1L << 40;
      };
      s = s.substring(0, s.length() - 1);
    }
    return positive(Math.multiplyExact(Long.parseLong(s), unit));
  }
}
