package org.sparkntk.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.Plots;

/**
 * How a kernel approaches its limit as a size grows (the hidden width of a network, the number of
 * random features): for each size, the relative Frobenius distances ‖K_size − K_∞‖_F / ‖K_∞‖_F
 * of the Grams of several seeds, their mean and standard deviation, and the least-squares slope
 * and intercept of log(mean) against log(size). Theory for both reports: slope −1/2, fluctuations
 * of order 1/√size. The two convergence reports measure different families and write the same
 * table: {@code <report>.csv} (size, seed, distance), {@code <report>.json} (per size the mean,
 * the standard deviation and the distances; slope, intercept) and {@code <report>.png} (log–log:
 * every seed, the means, the fitted line).
 *
 * @param sizeName  the size's name in the files, e.g. {@code width} or {@code P}
 * @param sizes     the sizes, ascending
 * @param distances per size, the distance of each seed (seeds model.seed, model.seed + 1, …)
 * @param means     per size, the mean distance
 * @param stds      per size, the sample standard deviation (0 for one seed)
 * @param slope     fitted slope of log(mean) against log(size); NaN for fewer than two sizes
 * @param intercept fitted intercept
 */
public record ConvergenceTable(String sizeName, int[] sizes, double[][] distances, double[] means, double[] stds,
                               double slope, double intercept) {

  /** Theory's slope: the law of large numbers. */
  public static final double THEORY_SLOPE = -0.5;

  /** The table of {@code distances[k][s]}, the distance at {@code sizes[k]} for seed s. */
  public static ConvergenceTable of(String sizeName, int[] sizes, double[][] distances) {
    if (sizes.length != distances.length) {
      throw new IllegalArgumentException(sizes.length + " sizes but " + distances.length + " rows of distances");
    }
    int k = sizes.length;
    double[] means = new double[k];
    double[] stds = new double[k];
    for (int i = 0; i < k; i++) {
      double[] d = distances[i];
      double mean = Arrays.stream(d).average().orElse(Double.NaN);
      means[i] = mean;
      stds[i] = d.length > 1 ? Math.sqrt(Arrays.stream(d).map(v -> (v - mean) * (v - mean)).sum() / (d.length - 1)) : 0;
    }
    double[] fit = fitLogLog(Arrays.stream(sizes).asDoubleStream().toArray(), means);
    double slope = fit[0];
    double intercept = fit[1];
    return new ConvergenceTable(sizeName, sizes.clone(), distances, means, stds, slope, intercept);
  }

  /** Least squares log y = b + a·log x: {a, b}; NaN for fewer than two points. */
  public static double[] fitLogLog(double[] x, double[] y) {
    return fitLine(Arrays.stream(x).map(Math::log).toArray(), Arrays.stream(y).map(Math::log).toArray());
  }

  /** Least squares y = b + a·x: {a, b}; NaN for fewer than two points. */
  public static double[] fitLine(double[] x, double[] y) {
    int k = x.length;
    if (k < 2) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double mx = Arrays.stream(x).average().orElseThrow();
    double my = Arrays.stream(y).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < k; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    double a = sxy / sxx;
    return new double[] {a, my - a * mx};
  }

  /** ‖k − limit‖_F / ‖limit‖_F. */
  public static double relativeDistance(double[] k, double[] limit) {
    if (k.length != limit.length) {
      throw new IllegalArgumentException("kernels of " + k.length + " and " + limit.length + " entries");
    }
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < k.length; i++) {
      double d = k[i] - limit[i];
      diff += d * d;
      norm += limit[i] * limit[i];
    }
    return Math.sqrt(diff / norm);
  }

  /** A log line for one size as it is measured: "width 64: ‖Θ − Θ∞‖/‖Θ∞‖ = mean ± std over n seeds". */
  static String logLine(String sizeName, int size, String distance, double[] distances) {
    ConvergenceTable t = of(sizeName, new int[] {size}, new double[][] {distances});
    return String.format(Locale.ROOT, "%s %d: %s = %.4g ± %.2g over %d seeds", sizeName, size, distance, t.means[0],
        t.stds[0], distances.length);
  }

  /**
   * Writes {@code report}.csv, .png and .json to {@code out}, then its manifest.json: the report is complete.
   *
   * @param header   adds the report's own fields to the JSON, after {@code report}
   * @param sizesKey the JSON array of per-size objects, e.g. {@code widths}
   * @param title    the plot's title, before "(slope …, theory −0.5)"
   * @param xLabel   the plot's x axis
   * @param distance the plot's y axis, e.g. ‖Θ − Θ∞‖_F / ‖Θ∞‖_F
   */
  /** The files {@link #write} writes besides the summary {@code <report>.json}, declared to {@link OutputFiles#claim}. */
  public static List<String> files(String report) {
    return List.of(report + ".csv", report + ".png");
  }

  public void write(OutputFiles out, String report, long seed0, Consumer<ObjectNode> header, String sizesKey,
                    String title, String xLabel, String distance) {
    try {
      out.write(report + ".csv", f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write(sizeName + ",seed,relative_frobenius_distance\n");
          for (int k = 0; k < sizes.length; k++) {
            for (int s = 0; s < distances[k].length; s++) {
              w.write(sizes[k] + "," + (seed0 + s) + "," + distances[k][s] + "\n");
            }
          }
        }
      });
      int points = Arrays.stream(distances).mapToInt(d -> d.length).sum();
      double[] xs = new double[points];
      double[] ys = new double[points];
      int p = 0;
      for (int k = 0; k < sizes.length; k++) {
        for (double d : distances[k]) {
          xs[p] = sizes[k];
          ys[p++] = d;
        }
      }
      double[] x = Arrays.stream(sizes).asDoubleStream().toArray();
      double[] fitted = Arrays.stream(x).map(v -> Math.exp(intercept) * Math.pow(v, slope)).toArray();
      out.write(report + ".png", Plots.xy(String.format(Locale.ROOT, "%s (slope %.2f, theory −0.5)", title, slope),
          xLabel, distance, true,
          new Plots.Series("each seed", xs, ys, false),
          new Plots.Series("mean", x, means, false),
          new Plots.Series(String.format(Locale.ROOT, "fit ∝ %s^%.2f", sizeName, slope), x, fitted, true)));
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode root = json.createObjectNode();
      root.put("report", report);
      header.accept(root);
      root.put("slope", slope);
      root.put("intercept", intercept);
      root.put("theorySlope", THEORY_SLOPE);
      ArrayNode rows = root.putArray(sizesKey);
      for (int k = 0; k < sizes.length; k++) {
        ObjectNode o = rows.addObject();
        o.put(sizeName, sizes[k]);
        o.put("mean", means[k]);
        o.put("std", stds[k]);
        ArrayNode d = o.putArray("distances");
        Arrays.stream(distances[k]).forEach(d::add);
      }
      out.write(report + ".json", f -> json.writeValue(f.toFile(), root));
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the " + report + " report to " + out.location() + " failed: " + e.getMessage(),
          e);
    }
  }
}
