package org.sparkntk.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.Plots;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.Kernels;
import org.sparkntk.kernel.analytic.AnalyticNtk;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import org.sparkntk.pipeline.SizeGuard;

/**
 * The setting of Jacot et al. 2018, Figure 1: inputs on the unit circle, x_0 = (1, 0) and
 * x(γ) = (cos γ, sin γ) for γ ∈ [−π, π]; the empirical NTK Θ(x_0, x(γ)) of networks with every
 * hidden layer of each width in report.widths, report.seeds initialisations each, against the
 * analytic limit (depth, φ, σ_w, σ_b from model.*; one output). Two inputs and report.points
 * angles are a single-JVM computation (structured route), even at width 10000. Writes
 * circle.csv, circle.png and circle.json to output.dir, then manifest.json ({@link OutputFiles}, as the job).
 */
public final class CircleReport {
  private static final Logger LOG = LoggerFactory.getLogger(CircleReport.class);

  private CircleReport() {}

  /** γ, the analytic Θ(x_0, x(γ)), and per width the empirical values [seed][point]. */
  public record Result(double[] gamma, double[] analytic, int[] widths, double[][][] empirical) {}

  public static Result run(JobConfig config) {
    try (OutputFiles out = OutputFiles.claim(config, "circle.json", List.of("circle.csv", "circle.png"))) {
      return run(config, out);
    }
  }

  private static Result run(JobConfig config, OutputFiles out) {
    int points = config.get(ConfigKeys.REPORT_POINTS);
    int[] widths = config.get(ConfigKeys.REPORT_WIDTHS);
    int seeds = config.get(ConfigKeys.REPORT_SEEDS);
    int depth = config.get(ConfigKeys.MODEL_HIDDEN).length;
    if (depth == 0) {
      throw new ConfigException("the circle report needs at least one hidden layer: model.hidden is empty");
    }
    // runs in the driver alone: one network and its factors at a time
    SizeGuard.reportWidths(widths, 2, depth, 1, 2);
    SizeGuard.circlePoints(points, widths, seeds, depth, SizeGuard.driverModelLimit());
    double[] gamma = new double[points];
    double[] x = new double[2 * points];
    for (int i = 0; i < points; i++) {
      gamma[i] = -Math.PI + 2 * Math.PI * i / (points - 1);
      x[2 * i] = Math.cos(gamma[i]);
      x[2 * i + 1] = Math.sin(gamma[i]);
    }
    double[] x0 = {1.0, 0.0};
    if (config.get(ConfigKeys.MODEL_PARAMETERIZATION) != Parameterization.NTK) {
      throw new ConfigException("the circle report draws one infinite-width curve, which exists for "
          + "model.parameterization = ntk only (with 'standard' the NTK grows with the width); set "
          + "model.parameterization = ntk");
    }
    KernelSpec spec = config.kernelSpec().withOutputs(KernelOutputs.TRACE);
    AnalyticNtk limit = Kernels.limit(spec, architecture(config, widths[0], depth));
    double[] analytic = limit.block(limit.prepare(x0, 1), limit.prepare(x, points));
    double[][][] empirical = new double[widths.length][seeds][];
    long seed0 = config.get(ConfigKeys.MODEL_SEED);
    for (int w = 0; w < widths.length; w++) {
      Architecture arch = architecture(config, widths[w], depth);
      for (int s = 0; s < seeds; s++) {
        empirical[w][s] = row(Kernels.empirical(spec, Mlp.initialise(arch, seed0 + s)), x0, x, points);
      }
      LOG.info("width {}: {} initialisations done", widths[w], seeds);
    }
    Result result = new Result(gamma, analytic, widths, empirical);
    write(out, config, result);
    return result;
  }

  /** Θ(x_0, x_i) for the {@code points} rows of x. */
  private static <F extends Serializable> double[] row(BlockKernel<F> k, double[] x0, double[] x, int points) {
    return k.block(k.prepare(x0, 1), k.prepare(x, points));
  }

  private static Architecture architecture(JobConfig config, int width, int depth) {
    return config.architecture(2, JobConfig.uniformHidden(width, depth), 1);
  }


  private static void write(OutputFiles out, JobConfig config, Result r) {
    try {
      long seed0 = config.get(ConfigKeys.MODEL_SEED);
      out.write("circle.csv", f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write("gamma,width,seed,theta\n");
          for (int i = 0; i < r.gamma().length; i++) {
            w.write(r.gamma()[i] + ",inf,," + r.analytic()[i] + "\n");
          }
          for (int k = 0; k < r.widths().length; k++) {
            for (int s = 0; s < r.empirical()[k].length; s++) {
              for (int i = 0; i < r.gamma().length; i++) {
                w.write(r.gamma()[i] + "," + r.widths()[k] + "," + (seed0 + s) + "," + r.empirical()[k][s][i] + "\n");
              }
            }
          }
        }
      });
      List<Plots.Series> series = new ArrayList<>();
      for (int k = 0; k < r.widths().length; k++) {
        int seeds = r.empirical()[k].length;
        double[] gx = new double[seeds * r.gamma().length];
        double[] gy = new double[gx.length];
        for (int s = 0; s < seeds; s++) {
          System.arraycopy(r.gamma(), 0, gx, s * r.gamma().length, r.gamma().length);
          System.arraycopy(r.empirical()[k][s], 0, gy, s * r.gamma().length, r.gamma().length);
        }
        series.add(new Plots.Series("width " + r.widths()[k] + " (" + seeds + " initialisations)", gx, gy, false));
      }
      series.add(new Plots.Series("infinite width (analytic)", r.gamma(), r.analytic(), true));
      out.write("circle.png", Plots.xy(String.format(Locale.ROOT, "NTK Θ(x0, x(γ)) on the unit circle, %s, %d layers",
              config.get(ConfigKeys.MODEL_ACTIVATION).configName(), config.get(ConfigKeys.MODEL_HIDDEN).length + 1),
          "γ", "Θ(x0, x(γ))", false, series.toArray(new Plots.Series[0])));
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode root = json.createObjectNode();
      root.put("report", "circle");
      ArrayNode g = root.putArray("gamma");
      Arrays.stream(r.gamma()).forEach(g::add);
      ArrayNode a = root.putArray("analytic");
      Arrays.stream(r.analytic()).forEach(a::add);
      ArrayNode ws = root.putArray("widths");
      for (int k = 0; k < r.widths().length; k++) {
        ObjectNode o = ws.addObject();
        o.put("width", r.widths()[k]);
        ArrayNode runs = o.putArray("theta");
        for (double[] run : r.empirical()[k]) {
          ArrayNode row = runs.addArray();
          Arrays.stream(run).forEach(row::add);
        }
      }
      out.write("circle.json", f -> json.writeValue(f.toFile(), root));
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the circle report to " + out.location() + " failed: " + e.getMessage(), e);
    }
  }
}
