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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.io.JobOutputs;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.Plots;

/**
 * The dynamics report's files: dynamics.csv, dynamics.json and its dynamics_*.png plots.
 */
final class DynamicsFiles {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DynamicsFiles() {}

  static void write(OutputFiles out, JobConfig config, DynamicsReport.Result r) {
    try {
      out.write("dynamics.csv", f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write("width,seed,step,rmse_empirical_train,rmse_empirical_test,rmse_analytic_train,rmse_analytic_test,"
              + "network_train_cost\n");
          for (DynamicsReport.Width x : r.widths()) {
            for (DynamicsReport.Run run : x.runs()) {
              for (int s = 0; s < run.steps().length; s++) {
                w.write(String.format(Locale.ROOT, "%d,%d,%d,%s,%s,%s,%s,%s%n", x.width(), run.seed(), run.steps()[s],
                    run.rmseEmpiricalTrain()[s], num(run.rmseEmpiricalTest()[s]), run.rmseAnalyticTrain()[s],
                    num(run.rmseAnalyticTest()[s]), run.networkCost()[s]));
              }
            }
          }
        }
      });
      DynamicsReport.Run seed0Narrow = r.widths().get(0).runs().get(0);
      int lastStep = seed0Narrow.steps()[seed0Narrow.steps().length - 1];
      List<Plots.Series> rmse = new ArrayList<>();
      List<DynamicsReport.Measure> plotted = List.of(DynamicsReport.Measure.RMSE_EMPIRICAL_TRAIN,
          DynamicsReport.Measure.RMSE_ANALYTIC_TRAIN, DynamicsReport.Measure.KERNEL_CHANGE);
      String[] names = {"RMSE vs kernel GD with Θ_0", "RMSE vs kernel GD with Θ_∞", "‖Θ_T − Θ_0‖/‖Θ_0‖"};
      double[] ws = r.widths().stream().mapToDouble(DynamicsReport.Width::width).toArray();
      for (int q = 0; q < plotted.size(); q++) {
        DynamicsReport.Measure measure = plotted.get(q);
        double[] medians = r.widths().stream()
            .mapToDouble(x -> DynamicsReport.Spread.of(x.values(measure)).median()).toArray();
        if (r.widths().get(0).runs().size() > 1) {
          double[] xs = r.widths().stream().flatMapToDouble(x -> x.runs().stream().mapToDouble(run -> x.width()))
              .toArray();
          double[] ys = r.widths().stream().flatMapToDouble(x -> Arrays.stream(x.values(measure))).toArray();
          rmse.add(new Plots.Series(names[q] + ", each seed", xs, ys, false, q));
        }
        rmse.add(new Plots.Series(String.format(Locale.ROOT, "%s, median (slope %.2f)", names[q],
            r.slopes(measure).medianSlope()), ws, medians, true, q));
      }
      out.write("dynamics_rmse.png", Plots.xy(String.format(Locale.ROOT,
              "Network vs kernel gradient descent after %d steps, %d seed%s per width", lastStep,
              r.widths().get(0).runs().size(), r.widths().get(0).runs().size() == 1 ? "" : "s"),
          "hidden width", "RMSE on training rows / relative kernel change", true, rmse.toArray(Plots.Series[]::new)));
      List<Plots.Series> traj = new ArrayList<>();
      // the narrowest and the widest width, first seed; one series each, also when report.widths has one width
      for (DynamicsReport.Width x : r.widths().size() == 1 ? r.widths()
          : List.of(r.widths().get(0), r.widths().get(r.widths().size() - 1))) {
        DynamicsReport.Run run = x.runs().get(0);
        double[] t = Arrays.stream(run.steps()).asDoubleStream().toArray();
        traj.add(new Plots.Series("network, width " + x.width() + " (row 0, output 0)", t, column(run.network()),
            false));
        traj.add(new Plots.Series("kernel GD with Θ_0, width " + x.width(), t, column(run.empirical()), true));
      }
      DynamicsReport.Width widest = r.widths().get(r.widths().size() - 1);
      DynamicsReport.Run widestRun = widest.runs().get(0);
      traj.add(new Plots.Series("kernel GD with Θ_∞", Arrays.stream(widestRun.steps()).asDoubleStream().toArray(),
          column(widestRun.analytic()), true));
      out.write("dynamics_trajectories.png", Plots.xy("Output f_t(x_0) during training, seed " + widestRun.seed(),
          "step t", "f_t(x_0)", false, traj.toArray(Plots.Series[]::new)));
      if (!r.components().isEmpty()) {
        List<Plots.Series> decay = new ArrayList<>();
        double[] t = Arrays.stream(widestRun.steps()).asDoubleStream().toArray();
        for (int c = 0; c < Math.min(3, r.components().size()); c++) {
          DynamicsReport.Component comp = r.components().get(c);
          double[] measured = r.networkProjections()[c].clone();
          double start = measured[0];
          double[] predicted = new double[t.length];
          for (int s = 0; s < t.length; s++) {
            measured[s] /= start;
            predicted[s] = Math.exp(-comp.predictedRate() * t[s]);
          }
          decay.add(new Plots.Series("network, component " + c, t, measured, false));
          decay.add(new Plots.Series(String.format(Locale.ROOT, "predicted e^{−ηtλ_%d/N}", c), t, predicted, true));
        }
        out.write("dynamics_decay.png", Plots.xy("Training residual along the top eigenvectors of Θ_0, width "
                + widest.width() + ", seed " + widestRun.seed(), "step t", "‖p_k(t)‖ / ‖p_k(0)‖", false, true,
            decay.toArray(Plots.Series[]::new)));
      }
      out.write("dynamics.json", f -> JSON.writeValue(f.toFile(), json(config, r)));
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the dynamics report to " + out.location() + " failed: "
          + e.getMessage(), e);
    }
  }

  /**
   * dynamics.json. Per width, each measure's median under its own name (with one seed: the run's value, the
   * fields of the single-seed report), its median/min/max under "spread", and every run under "runs";
   * rmseEmpiricalSlope, rmseAnalyticSlope and kernelChangeSlope are the slopes of the medians, and "slopes"
   * holds, per fitted measure, that slope and the pooled fit with its interval.
   */
  static ObjectNode json(JobConfig config, DynamicsReport.Result r) {
    ObjectNode root = JSON.createObjectNode();
    root.put("loss", r.loss().configName());
    root.put("learningRate", r.learningRate());
    root.put("kernelOutputs", config.get(ConfigKeys.KERNEL_OUTPUTS).configName());
    JobOutputs.putNumber(root, "rmseEmpiricalSlope",
        r.slopes(DynamicsReport.Measure.RMSE_EMPIRICAL_TRAIN).medianSlope());
    JobOutputs.putNumber(root, "rmseAnalyticSlope", r.slopes(DynamicsReport.Measure.RMSE_ANALYTIC_TRAIN).medianSlope());
    JobOutputs.putNumber(root, "kernelChangeSlope", r.slopes(DynamicsReport.Measure.KERNEL_CHANGE).medianSlope());
    ArrayNode seeds = root.putArray("seeds");
    r.widths().get(0).runs().forEach(run -> seeds.add(run.seed()));
    ObjectNode slopes = root.putObject("slopes");
    slopes.put("confidence", DynamicsReport.CONFIDENCE);
    slopes.put("method", "medianSlope: least squares of log(median) on log(width); pooledSlope: least squares of "
        + "log(value) on log(width) over every run, interval pooledSlope ± t(n − 2) · standardError");
    for (DynamicsReport.Measure measure : DynamicsReport.FITTED) {
      DynamicsReport.Slopes s = r.slopes(measure);
      ObjectNode o = slopes.putObject(measure.key());
      JobOutputs.putNumber(o, "medianSlope", s.medianSlope());
      JobOutputs.putNumber(o, "pooledSlope", s.pooled().slope());
      JobOutputs.putNumber(o, "standardError", s.pooled().standardError());
      JobOutputs.putNumber(o, "lower", s.pooled().lower());
      JobOutputs.putNumber(o, "upper", s.pooled().upper());
      o.put("points", s.pooled().points());
    }
    ArrayNode widths = root.putArray("widths");
    for (DynamicsReport.Width x : r.widths()) {
      ObjectNode o = widths.addObject();
      DynamicsReport.Run any = x.runs().get(0);
      o.put("width", x.width());
      o.put("steps", any.steps()[any.steps().length - 1]);
      ObjectNode spread = JSON.createObjectNode();
      for (DynamicsReport.Measure measure : DynamicsReport.Measure.values()) {
        DynamicsReport.Spread sp = DynamicsReport.Spread.of(x.values(measure));
        JobOutputs.putNumber(o, measure.key(), sp.median());
        ObjectNode q = spread.putObject(measure.key());
        JobOutputs.putNumber(q, "median", sp.median());
        JobOutputs.putNumber(q, "min", sp.min());
        JobOutputs.putNumber(q, "max", sp.max());
      }
      o.set("spread", spread);
      ArrayNode runs = o.putArray("runs");
      for (DynamicsReport.Run run : x.runs()) {
        ObjectNode ro = runs.addObject();
        ro.put("seed", run.seed());
        for (DynamicsReport.Measure measure : DynamicsReport.Measure.values()) {
          JobOutputs.putNumber(ro, measure.key(), measure.of(run));
        }
      }
    }
    ArrayNode comps = root.putArray("components");
    for (DynamicsReport.Component c : r.components()) {
      ObjectNode o = comps.addObject();
      o.put("k", c.k());
      o.put("eigenvalue", c.eigenvalue());
      o.put("predictedRate", c.predictedRate());
      JobOutputs.putNumber(o, "networkRate", c.networkRate());
      JobOutputs.putNumber(o, "kernelRate", c.kernelRate());
    }
    JobOutputs.putSettings(root, config);
    return root;
  }

  static double[] column(double[][] trajectory) {
    return Arrays.stream(trajectory).mapToDouble(f -> f[0]).toArray();
  }

  static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }
}
