package org.sparkntk.report;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.config.ConfigKey;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.pipeline.NtkJob;

/**
 * Every value of report.type and what runs for it: the kernel job ({@code none}) and the
 * experiments. The only list of them: the CLI dispatches through it, the key check refuses
 * any other name through it, and a test holds the docs to it.
 */
public final class Reports {
  private Reports() {}

  private record Registered(String name, boolean readsData, String summary, Consumer<JobConfig> checker,
                            BiConsumer<SparkSession, JobConfig> runner) implements Report {
    @Override
    public void check(JobConfig config) {
      checker.accept(config);
    }

    @Override
    public void run(SparkSession spark, JobConfig config) {
      runner.accept(spark, config);
    }
  }

  private static final Consumer<JobConfig> NO_CHECK = config -> { };

  private static final List<Report> ALL = List.of(
      new Registered("none", true, "the kernel job: the NTK of model.* on data.train, the solver's predictions "
          + "and the outputs of output.*", NO_CHECK, NtkJob::run),
      new Registered("convergence", true, "the distance of the empirical NTK to its analytic limit over "
          + "report.widths and report.seeds (convergence.csv, .json, .png)", NO_CHECK, ConvergenceReport::run),
      new Registered("rfconvergence", true, "the distance of the random-features kernel of kernel.basis to its "
          + "P → ∞ limit over report.features and report.seeds (rfconvergence.csv, .json, .png)",
          JobConfig::checkRandomFeaturesScale, RandomFeaturesReport::run),
      new Registered("circle", false, "Jacot et al.'s Figure 1, Θ(x0, x(γ)) on the unit circle (circle.csv, .json, "
          + ".png)", NO_CHECK, (spark, config) -> CircleReport.run(config)),
      new Registered("image", false, "Tancik et al.'s image regression for each of report.mappings (psnr.csv, .json, "
          + "reconstruction_*.png, spectra.png)", NO_CHECK, FourierImageReport::run),
      new Registered("dynamics", true, "gradient descent of the network against kernel gradient descent with Θ_0 "
          + "and Θ_∞ for each of report.widths (dynamics.csv, .json, dynamics_*.png)", NO_CHECK, DynamicsReport::run));

  /** Every registered report, the kernel job ({@code none}) first. */
  public static List<Report> all() {
    return ALL;
  }

  /** The names report.type accepts. */
  public static List<String> names() {
    return ALL.stream().map(Report::name).toList();
  }

  /** The report config's report.type names, refused with the names allowed (and the nearest) if unknown. */
  public static Report of(JobConfig config) {
    String name = config.get(ConfigKeys.REPORT_TYPE);
    for (Report r : ALL) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    throw ConfigKey.notOneOf(ConfigKeys.REPORT_TYPE, name, config.origin(ConfigKeys.REPORT_TYPE), names());
  }
}
