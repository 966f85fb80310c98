package org.sparkntk.config;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.Precision;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Parameterization;
import org.sparkntk.model.RandomFeatures;
import org.sparkntk.solver.Loss;

/**
 * A validated job configuration: a properties-style file ({@code key = value}, as
 * spark-defaults.conf, '#' comments) plus {@code key=value} overrides. Construction checks every
 * key and value, so a job with a bad configuration stops before Spark starts. Values are plain
 * strings: nothing is evaluated, expanded or interpolated.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, String> values;
  private final Map<String, String> origins;

  private JobConfig(Map<String, String> values, Map<String, String> origins) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
    validate();
  }

  /** A configuration from explicit settings (the library API's entry point). */
  public static JobConfig of(Map<String, String> settings) {
    Map<String, String> origins = new LinkedHashMap<>();
    settings.keySet().forEach(k -> origins.put(k, ""));
    return new JobConfig(settings, origins);
  }

  /** Reads {@code file}, then applies {@code overrides} ("key=value"), later ones winning. */
  public static JobConfig load(Path file, List<String> overrides) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, String> origins = new LinkedHashMap<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("job file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("job file " + file + " cannot be read: " + e.getMessage());
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
        continue;
      }
      String where = " (" + file + " line " + (i + 1) + ")";
      String[] kv = splitKeyValue(line);
      if (kv == null) {
        throw new ConfigException(file + " line " + (i + 1) + ": expected 'key = value', got '" + line + "'");
      }
      if (values.containsKey(kv[0])) {
        throw new ConfigException(kv[0] + " is set twice in " + file + ":" + origins.get(kv[0])
            + " and line " + (i + 1));
      }
      values.put(kv[0], kv[1]);
      origins.put(kv[0], where);
    }
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("command-line setting '" + override + "' is not of the form key=value");
      }
      String key = override.substring(0, eq).strip();
      values.put(key, override.substring(eq + 1).strip());
      origins.put(key, " (command line)");
    }
    return new JobConfig(values, origins);
  }

  /** "key = value", "key=value" or "key value" (spark-defaults.conf style); null if malformed. */
  private static String[] splitKeyValue(String line) {
    int eq = line.indexOf('=');
    int space = indexOfWhitespace(line);
    int cut = eq >= 0 && (space < 0 || eq <= space || line.substring(space, eq).isBlank()) ? eq : space;
    if (cut <= 0) {
      return null;
    }
    String key = line.substring(0, cut).strip();
    String value = line.substring(cut + 1).strip();
    if (key.isEmpty() || indexOfWhitespace(key) >= 0) {
      return null;
    }
    return new String[] {key, value};
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private void validate() {
    for (String key : values.keySet()) {
      if (key.startsWith("spark.")) {
        continue;
      }
      if (ConfigKeys.find(key) == null) {
        String near = ConfigKeys.nearest(key);
        throw new ConfigException("unknown key '" + key + "'" + origin(key)
            + (near != null ? "; did you mean '" + near + "'?" : "") + " (see docs/CONFIG.md for every key)");
      }
    }
    // Required keys (data.train, output.dir) are checked by the file-based entry points
    // (NtkMain.checkFileJob, NtkJob.run(spark, config)): a job on Datasets in hand needs neither.
    for (ConfigKey<?> key : ConfigKeys.all()) {
      get(key); // parses, and explains a bad value
    }
    if (get(ConfigKeys.KERNEL_PRECISION) == Precision.FLOAT32
        && get(ConfigKeys.KERNEL_METHOD).equals("jacobian")) {
      throw new ConfigException("kernel.precision = float32" + origin(ConfigKeys.KERNEL_PRECISION.name())
          + " needs kernel.method = structured: the jacobian route is the float64 reference");
    }
    boolean analytic = get(ConfigKeys.KERNEL_TYPE).equals("analytic");
    if (!analytic && get(ConfigKeys.KERNEL_GET).equals("nngp")) {
      throw new ConfigException("kernel.get = nngp" + origin(ConfigKeys.KERNEL_GET.name())
          + " needs kernel.type = analytic: the NNGP kernel is an infinite-width quantity");
    }
    if (analytic && get(ConfigKeys.MODEL_PARAMETERIZATION) == Parameterization.STANDARD) {
      throw new ConfigException("kernel.type = analytic supports model.parameterization = ntk only, got standard"
          + origin(ConfigKeys.MODEL_PARAMETERIZATION.name()));
    }
    if (get(ConfigKeys.SOLVER_LOSS) == Loss.XENT) {
      String solver = get(ConfigKeys.SOLVER_TYPE);
      if (!solver.equals("steps")) {
        throw new ConfigException("solver.loss = xent" + origin(ConfigKeys.SOLVER_LOSS.name())
            + " has no closed form, so solver.type = " + solver + origin(ConfigKeys.SOLVER_TYPE.name())
            + " cannot run it: the flow and regression solve the MSE dynamics only. Use solver.type = steps.");
      }
      if (labels().size() < 2) {
        throw new ConfigException("solver.loss = xent" + origin(ConfigKeys.SOLVER_LOSS.name())
            + " needs one label column per class (one-hot target probabilities), at least 2; the labels are "
            + labels() + (isSet(ConfigKeys.DATA_LABEL) ? origin(ConfigKeys.DATA_LABEL.name()) : "")
            + ". A single column of class indices must be one-hot encoded first.");
      }
    }
    if (get(ConfigKeys.SOLVER_TYPE).equals("nystrom")) {
      // Nyström regression never builds the training Gram: nothing of it can be written, decomposed or resumed.
      // (output.checkpoint is true by default: it is refused only when asked for.)
      for (ConfigKey<Boolean> key : List.of(ConfigKeys.OUTPUT_SPECTRUM, ConfigKeys.OUTPUT_CHECKPOINT)) {
        if (get(key) && (isSet(key) || key == ConfigKeys.OUTPUT_SPECTRUM)) {
          throw new ConfigException(key.name() + " = true" + origin(key.name()) + " needs the training Gram, which "
              + "solver.type = nystrom" + origin(ConfigKeys.SOLVER_TYPE.name()) + " never builds (it uses the "
              + "kernel against solver.centers rows only): set " + key.name() + " = false or use solver.type = "
              + "regression");
        }
      }
      if (Boolean.TRUE.equals(get(ConfigKeys.OUTPUT_GRAM))) {
        throw new ConfigException("output.gram = true" + origin(ConfigKeys.OUTPUT_GRAM.name()) + " writes the "
            + "training Gram, which solver.type = nystrom" + origin(ConfigKeys.SOLVER_TYPE.name()) + " never "
            + "builds: set output.gram = false or use solver.type = regression");
      }
      if (get(ConfigKeys.SOLVER_CENTER_SAMPLING).equals("leverage")) {
        String leverage = "solver.centerSampling = leverage" + origin(ConfigKeys.SOLVER_CENTER_SAMPLING.name());
        if (get(ConfigKeys.KERNEL_OUTPUTS) == KernelOutputs.FULL) {
          throw new ConfigException(leverage
              + " scores each training row by its one kernel row, but kernel.outputs = full"
              + origin(ConfigKeys.KERNEL_OUTPUTS.name()) + " gives it one per output: set kernel.outputs = trace "
              + "or solver.centerSampling = uniform");
        }
        if (!(get(ConfigKeys.SOLVER_RIDGE) > 0)) {
          throw new ConfigException(leverage + " scores rows by their ridge leverage, which needs solver.ridge > 0; "
              + "it is " + get(ConfigKeys.SOLVER_RIDGE) + origin(ConfigKeys.SOLVER_RIDGE.name()));
        }
      }
    }
    if (get(ConfigKeys.OUTPUT_EIGENVECTORS) > 0 && !get(ConfigKeys.OUTPUT_SPECTRUM)) {
      throw new ConfigException("output.eigenvectors = " + get(ConfigKeys.OUTPUT_EIGENVECTORS)
          + origin(ConfigKeys.OUTPUT_EIGENVECTORS.name()) + " needs output.spectrum = true: the eigenvectors come "
          + "from the spectrum's decomposition");
    }
    boolean randomFeatures = get(ConfigKeys.KERNEL_TYPE).equals("randomfeatures");
    if (randomFeatures && isSet(ConfigKeys.MODEL_LOAD)) {
      throw new ConfigException("model.load" + origin(ConfigKeys.MODEL_LOAD.name()) + " loads a network, but "
          + "kernel.type = randomfeatures has none: its model is drawn from kernel.basis, kernel.features and "
          + "model.seed");
    }
    if (randomFeatures) {
      checkRandomFeaturesScale();
    }
    if (isSet(ConfigKeys.DATA_TRAIN) && !format().equals("libsvm") && !isSet(ConfigKeys.DATA_LABEL)) {
      throw new ConfigException("missing required key data.label for " + format() + " data: "
          + ConfigKeys.DATA_LABEL.description());
    }
  }

  private String origin(String key) {
    return origins.getOrDefault(key, "");
  }

  /** " (file:line)" or " (command line)": where the key was set, for messages; empty when unset. */
  public String origin(ConfigKey<?> key) {
    return origin(key.name());
  }

  /**
   * kernel.scale scales the Fourier basis's frequencies only (the random-features kernel and the
   * rfconvergence report): with the relu basis a scale other than 1 would be silently ignored.
   */
  public void checkRandomFeaturesScale() {
    if (get(ConfigKeys.KERNEL_BASIS) == RandomFeatures.Basis.RELU
        && isSet(ConfigKeys.KERNEL_SCALE) && get(ConfigKeys.KERNEL_SCALE) != 1.0) {
      throw new ConfigException("kernel.scale = " + values.get(ConfigKeys.KERNEL_SCALE.name())
          + origin(ConfigKeys.KERNEL_SCALE.name()) + " has no effect with kernel.basis = relu, whose w_p ~ N(0, I) "
          + "have no scale: unset it or use kernel.basis = fourier");
    }
  }

  /** The typed value of {@code key}: its setting, else its default; null for unset optional keys and "auto". */
  public <T> T get(ConfigKey<T> key) {
    String v = values.containsKey(key.name()) ? values.get(key.name()) : key.defaultValue();
    if (v != null && v.isBlank() && key.defaultValue() == null) {
      return null; // "data.test =" unsets an optional key, e.g. to override a job file
    }
    return v == null ? null : key.parse(v, origin(key.name()));
  }

  /** Whether the key has a non-blank setting. */
  public boolean isSet(ConfigKey<?> key) {
    String v = values.get(key.name());
    return v != null && !v.isBlank();
  }

  /**
   * The network of model.activation, model.parameterization, model.sigmaW and model.sigmaB with
   * these layer widths: the job's ({@code hidden} = model.hidden) and the reports' (every hidden
   * layer of one width, {@link #uniformHidden}).
   */
  public Architecture architecture(int inputs, int[] hidden, int outputs) {
    return Architecture.of(inputs, hidden, outputs, get(ConfigKeys.MODEL_ACTIVATION),
        get(ConfigKeys.MODEL_PARAMETERIZATION), get(ConfigKeys.MODEL_SIGMA_W), get(ConfigKeys.MODEL_SIGMA_B));
  }

  /** {@code depth} hidden layers of {@code width} units each. */
  public static int[] uniformHidden(int width, int depth) {
    int[] hidden = new int[depth];
    Arrays.fill(hidden, width);
    return hidden;
  }

  /**
   * Refuses a job without {@code key}, one of the keys a file job needs
   * ({@link ConfigKey#required}), naming it, what it is and what it expects.
   */
  public void require(ConfigKey<?> key) {
    if (!isSet(key)) {
      throw new ConfigException("missing required key " + key.name() + ": " + key.description() + " Expected "
          + key.allowed() + ".");
    }
  }

  /** The kernel the kernel.* keys (and model.seed, the Monte-Carlo kernel's first seed) describe. */
  public KernelSpec kernelSpec() {
    Integer points = get(ConfigKeys.KERNEL_QUADRATURE);
    return new KernelSpec(get(ConfigKeys.KERNEL_TYPE), get(ConfigKeys.KERNEL_METHOD), get(ConfigKeys.KERNEL_PRECISION),
        get(ConfigKeys.KERNEL_OUTPUTS), get(ConfigKeys.KERNEL_GET).equals("ntk"),
        points == null ? KernelSpec.ADAPTIVE_QUADRATURE : points, get(ConfigKeys.KERNEL_SAMPLES),
        get(ConfigKeys.MODEL_SEED));
  }

  /** The data format, with auto resolved from the extension of data.train. */
  public String format() {
    String f = get(ConfigKeys.DATA_FORMAT);
    if (!f.equals("auto")) {
      return f;
    }
    String path = values.getOrDefault(ConfigKeys.DATA_TRAIN.name(), "").toLowerCase(Locale.ROOT);
    if (path.endsWith(".csv") || path.endsWith(".csv.gz")) {
      return "csv";
    }
    if (path.endsWith(".parquet")) {
      return "parquet";
    }
    if (path.endsWith(".libsvm") || path.endsWith(".svm")) {
      return "libsvm";
    }
    if (path.endsWith("-idx3-ubyte") || path.endsWith("-idx3-ubyte.gz")) {
      return "idx";
    }
    throw new ConfigException("data.format = auto cannot tell the format of data.train = '" + path
        + "' from its extension: set data.format to csv, parquet, libsvm or idx");
  }

  /** Label columns: data.label, or "label" for libsvm. */
  public List<String> labels() {
    List<String> l = get(ConfigKeys.DATA_LABEL);
    return l != null ? l : List.of("label");
  }

  /** The {@code spark.*} settings, passed to Spark as they are. */
  public Map<String, String> sparkSettings() {
    Map<String, String> spark = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith("spark.")) {
        spark.put(k, v);
      }
    });
    return spark;
  }

  /** Every explicit setting (for the run record). */
  public Map<String, String> settings() {
    return values;
  }

  /**
   * SHA-256 (hex) of the settings that determine a run's results: every job key with its effective
   * value (its setting, else its default; blank = unset), except output.dir and output.overwrite,
   * which say where and whether to write, and spark.*, which say how to run. manifest.json records
   * it, so that a rerun can tell whether output.dir holds the same job's results.
   */
  public String fingerprint() {
    return fingerprint(key -> key != ConfigKeys.OUTPUT_DIR && key != ConfigKeys.OUTPUT_OVERWRITE);
  }

  /** SHA-256 (hex) of the effective value of every key that {@code include} accepts. */
  public String fingerprint(Predicate<ConfigKey<?>> include) {
    StringBuilder text = new StringBuilder();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      if (!include.test(key)) {
        continue;
      }
      String v = values.containsKey(key.name()) ? values.get(key.name()) : key.defaultValue();
      text.append(key.name()).append('=').append(v == null || v.isBlank() ? "" : v.strip()).append('\n');
    }
    return sha256Hex(text.toString());
  }

  /** SHA-256 of {@code text}'s UTF-8 bytes, in hex. */
  public static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A copy with {@code key} set to {@code value}. */
  public JobConfig with(String key, String value) {
    Map<String, String> v = new LinkedHashMap<>(values);
    Map<String, String> o = new LinkedHashMap<>(origins);
    v.put(key, value);
    o.put(key, "");
    return new JobConfig(v, o);
  }
}
