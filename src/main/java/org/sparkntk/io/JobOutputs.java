package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.BlockProducts;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.Lanczos;
import org.sparkntk.solver.Loss;
import org.sparkntk.solver.Snapshot;
import org.sparkntk.solver.Spectrum;

/**
 * The files of {@code output.dir}:
 * <ul>
 *   <li>{@code metrics.json}: sizes, settings, timings per phase, BLAS/LAPACK in use, losses;</li>
 *   <li>{@code predictions_train.csv}, {@code predictions_test.csv}: one line per row and recorded time,
 *       {@code row,t,target_<label>…,prediction_<label>…} (t: step, flow time τ, or inf);</li>
 *   <li>{@code gram.npy}, {@code cross.npy} when output.gram = true;</li>
 *   <li>{@code spectrum.npy}, {@code spectrum.csv}, {@code spectrum.png} (and {@code eigenvectors.npy}) when
 *       output.spectrum = true;</li>
 *   <li>{@code model/}: the network and its input mapping, in the saved model format (network models
 *       only: a random-features model is a pure function of the settings metrics.json records, and the
 *       m → ∞ Gaussian mapping has no finite network);</li>
 *   <li>{@code centers.npy} (int64 [M]: the 0-based training rows that are the centres, ascending) and
 *       {@code centers_alpha.npy} (float64 [M·k × c], the coefficients α, row-major) when solver.type =
 *       nystrom: the fitted function is f(x*) = f_0(x*) + Θ(x*, X_C) α.</li>
 * </ul>
 * Each file is written under a temporary name and renamed; metrics.json comes after the others and
 * {@link Manifest manifest.json}, which lists every file with its size and SHA-256, last: a directory
 * whose manifest verifies holds a complete run.
 */
public final class JobOutputs {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Every top-level name the job may write or delete in output.dir, which {@link OutputFiles#claim}
   * checks before any work (the summary metrics.json and manifest.json besides).
   */
  public static final List<String> FILES = List.of("model", "predictions_train.csv", "predictions_test.csv",
      "gram.npy", "cross.npy", "gram", "cross", "spectrum.npy", "spectrum.csv", "spectrum.png", "eigenvectors.npy",
      GramCheckpoint.DIR, Centers.ROWS_FILE, Centers.ALPHA_FILE);

  private JobOutputs() {}

  /**
   * The centres of a Nyström fit: the training rows X_C (0-based indices, ascending) and k, the
   * kernel rows per example, which splits the fit's α [M·k × c] into its rows and columns.
   */
  public record Centers(long[] rows, int rowsPerExample) {
    public static final String ROWS_FILE = "centers.npy";
    public static final String ALPHA_FILE = "centers_alpha.npy";
  }

  public static ObjectNode metrics(JobConfig config, SparkSession spark, Model model, BlockKernel<?> kernel,
                                   BlockPlan plan, int n, int m, FitResult fit, PhaseTimer timer) {
    ObjectNode root = JSON.createObjectNode();
    root.put("tool", "spark-ntk");
    root.put("finished", Instant.now().toString());
    root.put("N", n);
    root.put("testRows", m);
    model.summary().forEach((key, value) -> root.set(key, JSON.valueToTree(value)));
    ObjectNode k = root.putObject("kernel");
    k.put("description", kernel.describe());
    k.put("rowsPerExample", kernel.rowsPerExample());
    k.put("blockSize", plan.blockSize());
    k.put("rowBlocks", plan.blockCount());
    k.put("blocksComputed", plan.upperTrianglePairs());
    double flops = 0;
    for (int i = 0; i < plan.blockCount(); i++) {
      for (int j = i; j < plan.blockCount(); j++) {
        flops += kernel.blockFlops(plan.rows(i), plan.rows(j));
      }
    }
    k.put("trainingGramMultiplyAdds", flops);
    ObjectNode la = root.putObject("linearAlgebra");
    la.put("blas", Blas.get().implementation());
    la.put("blasNative", Blas.get().isNative());
    la.put("lapack", Lapack.get().implementation());
    la.put("blockProducts", BlockProducts.describe());
    // The driver's OpenBLAS kernel set when chosen through the environment (scripts/openblas-coretype.sh).
    if (System.getenv("OPENBLAS_CORETYPE") != null) {
      la.put("openblasCoretype", System.getenv("OPENBLAS_CORETYPE"));
    }
    ObjectNode sp = root.putObject("spark");
    sp.put("version", spark.version());
    sp.put("master", spark.sparkContext().master());
    sp.put("defaultParallelism", spark.sparkContext().defaultParallelism());
    ObjectNode s = root.putObject("solver");
    s.put("type", fit.method());
    // MSE runs keep the record they always had; a cross-entropy run says so, and adds accuracies.
    boolean xent = config.get(ConfigKeys.SOLVER_LOSS) == Loss.XENT;
    if (xent) {
      s.put("loss", Loss.XENT.configName());
    }
    putNumber(s, "learningRate", fit.learningRate());
    putNumber(s, "largestEigenvalue", fit.largestEigenvalue());
    s.put("ridge", fit.ridge());
    ArrayNode losses = s.putArray("losses");
    for (Snapshot snap : fit.snapshots()) {
      ObjectNode l = losses.addObject();
      putNumber(l, "t", snap.t());
      l.put("trainLoss", snap.trainLoss());
      putNumber(l, "testLoss", snap.testLoss());
      if (xent || !Double.isNaN(snap.trainAccuracy())) {
        // MSE on one-hot targets (a classifier fitted by least squares) records its accuracy too.
        putNumber(l, "trainAccuracy", snap.trainAccuracy());
        putNumber(l, "testAccuracy", snap.testAccuracy());
      }
    }
    putSettings(root, config);
    ObjectNode phases = root.putObject("secondsPerPhase");
    timer.seconds().forEach(phases::put);
    return root;
  }

  /**
   * The driver process's peak resident memory so far (VmHWM of /proc/self/status), or 0 where
   * there is no /proc. In Spark local mode the executors share this process, so it includes the
   * blocks they keep in memory.
   */
  public static long driverPeakResidentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // No /proc (not Linux) or an unexpected format: the figure is left out.
    }
    return 0;
  }

  /**
   * Adds {@code spectrum} to metrics.json: the kernel's order, λ_max, λ_min, Σλ (= trace Θ), how many
   * eigenvalues are ≤ 0 (a PSD kernel shows them only through rounding) and how many eigenvectors
   * were written.
   */
  public static void addSpectrum(ObjectNode metrics, Spectrum spectrum, int eigenvectors) {
    ObjectNode node = metrics.putObject("spectrum");
    node.put("size", spectrum.size());
    putNumber(node, "largest", spectrum.size() == 0 ? Double.NaN : spectrum.values()[0]);
    putNumber(node, "smallest", spectrum.size() == 0 ? Double.NaN : spectrum.values()[spectrum.size() - 1]);
    node.put("sum", spectrum.sum());
    node.put("nonPositive", Arrays.stream(spectrum.values()).filter(l -> !(l > 0)).count());
    node.put("eigenvectors", eigenvectors);
  }

  /**
   * Adds the top eigenpairs of the distributed backend's spectrum: the kernel's order, how many
   * eigenvalues were computed, the largest and the smallest of them, and the Lanczos steps.
   */
  public static void addSpectrum(ObjectNode metrics, Lanczos.Eigenpairs top) {
    ObjectNode node = metrics.putObject("spectrum");
    node.put("size", top.size());
    node.put("computed", top.values().length);
    putNumber(node, "largest", top.values().length == 0 ? Double.NaN : top.values()[0]);
    putNumber(node, "smallestComputed", top.values().length == 0 ? Double.NaN : top.values()[top.values().length - 1]);
    node.put("eigenvectors", top.values().length);
    node.put("method", "Lanczos, full reorthogonalisation");
    node.put("lanczosSteps", top.steps());
  }

  /** A JSON value for a solver diagnostic: numbers (NaN as null), strings, and arrays of doubles. */
  public static JsonNode json(Object value) {
    if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      return JSON.getNodeFactory().nullNode();
    }
    return JSON.valueToTree(value);
  }

  /**
   * The top-k eigenpairs of the distributed backend, in the formats of {@link #writeSpectrum}:
   * {@code spectrum.npy} / {@code .csv} / {@code .png} with the k largest eigenvalues and
   * {@code eigenvectors.npy} [n × k].
   */
  public static void writeTopEigenpairs(OutputFiles out, Lanczos.Eigenpairs top) throws IOException {
    int k = top.values().length;
    double[] values = top.values();
    writeEigenvalues(out, values);
    out.write("eigenvectors.npy", f -> Npy.write(f, top.vectors(), top.size(), k));
    double[] index = new double[k];
    double[] positive = new double[k];
    int p = 0;
    for (int i = 0; i < k; i++) {
      if (values[i] > 0) {
        index[p] = i;
        positive[p++] = values[i];
      }
    }
    out.write("spectrum.png", Plots.xy("NTK spectrum: the " + k + " largest of " + top.size() + " eigenvalues (Lanczos)",
        "index k", "eigenvalue λ_k", false, true, new Plots.Series("eigenvalue λ_k > 0", Arrays.copyOf(index, p),
            Arrays.copyOf(positive, p), false)));
  }

  /** {@code "settings"}: every key the job set and its value, as the job and every report record them. */
  public static void putSettings(ObjectNode node, JobConfig config) {
    ObjectNode settings = node.putObject("settings");
    config.settings().forEach(settings::put);
  }

  /** JSON has no NaN or ∞: write null for NaN and the string "inf" for +∞. */
  public static void putNumber(ObjectNode node, String field, double v) {
    if (Double.isNaN(v)) {
      node.putNull(field);
    } else if (Double.isInfinite(v)) {
      node.put(field, v > 0 ? "inf" : "-inf");
    } else {
      node.put(field, v);
    }
  }

  /**
   * Writes every output: the network to model/ with its input mapping (only for a network with a
   * finite mapping; otherwise model/ is removed, not left stale), the spectrum files when
   * {@code spectrum} is not null (output.spectrum = true), the centres and their α when
   * {@code centers} is not null (solver.type = nystrom; otherwise a previous run's are removed, as
   * model/ is), then metrics.json, and manifest.json ({@link OutputFiles#finish}) last.
   */
  public static void write(OutputFiles out, JobConfig config, Model model, InputMapping mapping, List<String> labels,
                           GramMatrix trainGram, GramMatrix crossGram, double[] yTrain, double[] yTest, FitResult fit,
                           Spectrum spectrum, Lanczos.Eigenpairs topEigenpairs, Centers centers, ObjectNode metrics,
                           PhaseTimer timer)
      throws IOException {
    timer.time("write outputs", () -> {
      try {
        if (model instanceof Mlp mlp && (mapping == null || mapping.isFinite())) {
          out.writeDirectory("model", tmp -> ModelStore.save(mlp, mapping, tmp));
        } else {
          out.delete("model"); // a previous run's network, which is not this run's model
        }
        writePredictions(out, "predictions_train.csv", labels, fit, true, yTrain);
        if (fit.last().testPredictions() != null) {
          writePredictions(out, "predictions_test.csv", labels, fit, false, yTest);
        }
        if (spectrum != null) {
          writeSpectrum(out, spectrum, config.get(ConfigKeys.OUTPUT_EIGENVECTORS));
        }
        if (topEigenpairs != null) {
          writeTopEigenpairs(out, topEigenpairs);
        }
        if (centers != null) {
          writeCenters(out, centers, fit.coefficients());
        } else {
          // a previous Nyström run's centres, which are not this run's model
          out.delete(Centers.ROWS_FILE);
          out.delete(Centers.ALPHA_FILE);
        }
        if (Boolean.TRUE.equals(config.get(ConfigKeys.OUTPUT_GRAM)) && trainGram != null) {
          out.write("gram.npy", f -> Npy.write(f, trainGram.data(), trainGram.rows(), trainGram.cols()));
          if (crossGram != null) {
            out.write("cross.npy", f -> Npy.write(f, crossGram.data(), crossGram.rows(), crossGram.cols()));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    metrics.set("secondsPerPhase", JSON.valueToTree(timer.seconds()));
    long peak = driverPeakResidentBytes();
    if (peak > 0) {
      metrics.put("driverPeakResidentBytes", peak);
    }
    out.write("metrics.json", f -> JSON.writeValue(f.toFile(), metrics));
    out.finish();
  }

  /**
   * {@code centers.npy} (int64 [M]) and {@code centers_alpha.npy} (float64 [M·k × c], c = |α| / (M·k):
   * O columns for a trace kernel, 1 for a full one, as the solver's right-hand side).
   */
  public static void writeCenters(OutputFiles out, Centers centers, double[] alpha) throws IOException {
    int rows = Math.multiplyExact(centers.rows().length, centers.rowsPerExample());
    if (rows == 0 || alpha.length % rows != 0) {
      throw new IllegalArgumentException("α has " + alpha.length + " entries, not a multiple of M·k = " + rows);
    }
    out.write(Centers.ROWS_FILE, f -> Npy.write(f, centers.rows(), centers.rows().length));
    out.write(Centers.ALPHA_FILE, f -> Npy.write(f, alpha, rows, alpha.length / rows));
  }

  /**
   * The eigenvalues of the training Gram, descending: {@code spectrum.npy} (float64 [n]),
   * {@code spectrum.csv} ({@code index,eigenvalue}, 0-based), {@code spectrum.png} (eigenvalue against
   * index, log y axis) and, for {@code eigenvectors} = k > 0, {@code eigenvectors.npy} (float64 [n × k],
   * column j the unit eigenvector of eigenvalue j). A log axis cannot show λ ≤ 0, which a PSD kernel has
   * only through rounding: the plot draws those as a second series, clamped to a tenth of
   * min(ε·λ_max, the smallest positive λ) so that they sit below every positive eigenvalue as they
   * should, and its legend says how many there are and where they are drawn.
   */
  public static void writeSpectrum(OutputFiles out, Spectrum spectrum, int eigenvectors) throws IOException {
    int n = spectrum.size();
    if (eigenvectors > n) {
      throw new IllegalArgumentException("output.eigenvectors = " + eigenvectors + " but the training Gram has only "
          + n + " eigenvalues");
    }
    double[] values = spectrum.values();
    writeEigenvalues(out, values);
    if (eigenvectors > 0) {
      out.write("eigenvectors.npy", f -> Npy.write(f, spectrum.topVectors(eigenvectors), n, eigenvectors));
    }
    int positive = (int) Arrays.stream(values).filter(l -> l > 0).count();
    double floor = positive == 0 ? 1.0 : Math.min(Math.ulp(1.0) * values[0], values[positive - 1]) / 10;
    double[] index = new double[positive];
    double[] lambda = new double[positive];
    double[] clampedIndex = new double[n - positive];
    double[] clamped = new double[n - positive];
    for (int k = 0, p = 0, q = 0; k < n; k++) {
      if (values[k] > 0) {
        index[p] = k;
        lambda[p++] = values[k];
      } else {
        clampedIndex[q] = k;
        clamped[q++] = floor;
      }
    }
    List<Plots.Series> series = new ArrayList<>();
    series.add(new Plots.Series("eigenvalue λ_k > 0", index, lambda, false));
    if (clamped.length > 0) {
      series.add(new Plots.Series(String.format(Locale.ROOT, "λ_k ≤ 0 (%d of them), clamped to %.3g",
          clamped.length, floor), clampedIndex, clamped, false));
    }
    out.write("spectrum.png", Plots.xy("NTK spectrum of the training Gram (" + n + " × " + n + ")",
        "index k", "eigenvalue λ_k", false, true, series.toArray(new Plots.Series[0])));
  }

  /** {@code spectrum.npy} (float64 [k]) and {@code spectrum.csv} ({@code index,eigenvalue}, 0-based). */
  private static void writeEigenvalues(OutputFiles out, double[] values) throws IOException {
    out.write("spectrum.npy", f -> Npy.write(f, values, values.length));
    out.write("spectrum.csv", f -> {
      try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
        w.write("index,eigenvalue\n");
        for (int k = 0; k < values.length; k++) {
          w.write(k + "," + format(values[k]) + "\n");
        }
      }
    });
  }

  private static void writePredictions(OutputFiles out, String name, List<String> labels, FitResult fit,
                                       boolean train, double[] targets) throws IOException {
    out.write(name, f -> {
      try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
        StringBuilder header = new StringBuilder("row,t");
        if (targets != null) {
          labels.forEach(l -> header.append(",target_").append(l));
        }
        labels.forEach(l -> header.append(",prediction_").append(l));
        w.write(header.append('\n').toString());
        int o = labels.size();
        for (Snapshot s : fit.snapshots()) {
          double[] p = train ? s.trainPredictions() : s.testPredictions();
          String t = Double.isInfinite(s.t()) ? "inf" : format(s.t());
          for (int i = 0; i < p.length / o; i++) {
            StringBuilder line = new StringBuilder().append(i).append(',').append(t);
            if (targets != null) {
              for (int a = 0; a < o; a++) {
                line.append(',').append(format(targets[i * o + a]));
              }
            }
            for (int a = 0; a < o; a++) {
              line.append(',').append(format(p[i * o + a]));
            }
            w.write(line.append('\n').toString());
          }
        }
      }
    });
  }

  private static String format(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
