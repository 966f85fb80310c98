package org.sparkntk.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.regression.SimpleRegression;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;

/**
 * The dynamics report over several seeds: one seed reproduces the single-seed report, and the pooled
 * slopes are the least-squares fits of the runs it writes, with the theory's −½ inside the band the
 * runs' own spread gives.
 *
 * <p>Data: the first 48 training and 16 test rows of the quickstart data (2 inputs, 2 outputs), the
 * job of {@code golden/dynamics/job.conf}: 2 → w → w → 2 ReLU, σ_w² = 2, full kernels, η = 0.025, 30 steps.
 */
class DynamicsReportTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    SparkTestSession.get();
    head("quickstart-train.csv", 48, dir.resolve("train.csv"));
    head("quickstart-test.csv", 16, dir.resolve("test.csv"));
    String job;
    try (InputStream in = DynamicsReportTest.class.getResourceAsStream("/golden/dynamics/job.conf")) {
      job = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    conf = dir.resolve("job.conf");
    Files.writeString(conf, job.replace("data.train = train.csv", "data.train = " + dir.resolve("train.csv"))
        .replace("data.test = test.csv", "data.test = " + dir.resolve("test.csv")));
  }

  static void head(String quickstartCsv, int rows, Path to) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("conf/data").resolve(quickstartCsv));
    Files.write(to, lines.subList(0, rows + 1));
  }

  static JsonNode run(String name, String... keys) throws IOException {
    List<String> args = new ArrayList<>(List.of(keys));
    args.add("output.dir=" + dir.resolve(name));
    DynamicsReport.run(SparkTestSession.get(), JobConfig.load(conf, args));
    return new ObjectMapper().readTree(dir.resolve(name).resolve("dynamics.json").toFile());
  }

  /**
   * report.seeds = 1 gives the report of the single-seed code (golden/dynamics: dynamics.json and
   * dynamics.csv written by that code, commit 29197a7, on this job): every number of its dynamics.json
   * (per width, the slopes, the decay components) and every row of its dynamics.csv.
   *
   * <p>Tolerance 1e-10 relative: the trainer now sums the blocks of a partition before combining partitions,
   * which changes results by rounding (1e-16 relative per step, measured differences ≤ 4e-13), and the
   * RMSEs and decay rates are small differences of O(1) outputs, which magnify it by up to 1e3. A real
   * change — another seed, a missing step, another f_0 — moves these numbers by 1e-3 or more.
   */
  @Test
  void oneSeedEqualsTheSingleSeedReport() throws IOException {
    JsonNode actual = run("one-seed", "report.seeds=1");
    JsonNode golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/dynamics/dynamics.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    int compared = 0;
    for (String key : List.of("learningRate", "rmseEmpiricalSlope", "rmseAnalyticSlope", "kernelChangeSlope")) {
      compared += close(golden.path(key), actual.path(key), key);
    }
    for (String array : List.of("widths", "components")) {
      assertEquals(golden.path(array).size(), actual.path(array).size(), array);
      for (int i = 0; i < golden.path(array).size(); i++) {
        JsonNode g = golden.path(array).get(i);
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) g::fields) {
          compared += close(field.getValue(), actual.path(array).get(i).path(field.getKey()),
              array + "[" + i + "]." + field.getKey());
        }
      }
    }
    assertEquals(4 + 2 * 9 + 2 * 5, compared, "every number of the golden dynamics.json");
    assertEquals(7, actual.path("seeds").get(0).asLong());

    List<Map<String, String>> goldenCsv = csv(new String(
        getClass().getResourceAsStream("/golden/dynamics/dynamics.csv").readAllBytes(), StandardCharsets.UTF_8));
    List<Map<String, String>> actualCsv = csv(Files.readString(dir.resolve("one-seed").resolve("dynamics.csv")));
    assertEquals(goldenCsv.size(), actualCsv.size());
    for (int i = 0; i < goldenCsv.size(); i++) {
      assertEquals("7", actualCsv.get(i).get("seed"));
      for (var e : goldenCsv.get(i).entrySet()) {
        double g = Double.parseDouble(e.getValue());
        double a = Double.parseDouble(actualCsv.get(i).get(e.getKey()));
        assertEquals(g, a, 1e-10 * Math.abs(g), "dynamics.csv row " + (i + 1) + ", " + e.getKey());
      }
    }
  }

  private static int close(JsonNode expected, JsonNode actual, String where) {
    assertTrue(expected.isNumber() && actual.isNumber(), where + ": " + expected + " / " + actual);
    double e = expected.asDouble();
    assertEquals(e, actual.asDouble(), 1e-10 * Math.abs(e), where);
    return 1;
  }

  private static List<Map<String, String>> csv(String text) {
    List<String> lines = text.lines().toList();
    String[] header = lines.get(0).split(",");
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",", -1);
      Map<String, String> row = new HashMap<>();
      for (int c = 0; c < header.length; c++) {
        row.put(header[c], cells[c]);
      }
      rows.add(row);
    }
    return rows;
  }

  /**
   * Four seeds at widths 32, 128, 512. For every fitted measure the pooled slope, its standard error and
   * its 95 % interval equal commons-math's SimpleRegression of ln(value) on ln(width) over the runs listed
   * in dynamics.json (1e-12), and the medians and ranges are those of the runs. The band: theory puts the
   * network at O(1/√width) from kernel gradient descent with Θ_∞ (Θ_0 − Θ_∞ fluctuates at that order), so
   * −½ must lie within t_{0.975, n−2} standard errors of the pooled slope — the interval the run's own
   * spread gives; the distance to kernel gradient descent with Θ_0 and the kernel's change must fall with
   * the width (intervals below 0) and be consistent with falling at least as fast as 1/√width, which
   * Lee et al. (2019) bound them by (intervals reaching −½ or below).
   */
  @Test
  void pooledSlopesFallInTheBandOfTheirSpread() throws IOException {
    JsonNode json = run("seeds", "report.seeds=4", "report.widths=32,128,512", "report.components=1");
    JsonNode widths = json.path("widths");
    assertEquals(3, widths.size());
    for (DynamicsReport.Measure m : DynamicsReport.FITTED) {
      SimpleRegression reference = new SimpleRegression();
      for (JsonNode w : widths) {
        List<Double> values = new ArrayList<>();
        for (JsonNode run : w.path("runs")) {
          reference.addData(Math.log(w.path("width").asDouble()), Math.log(run.path(m.key()).asDouble()));
          values.add(run.path(m.key()).asDouble());
        }
        assertEquals(4, values.size());
        DynamicsReport.Spread spread = DynamicsReport.Spread.of(values.stream().mapToDouble(Double::doubleValue)
            .toArray());
        JsonNode s = w.path("spread").path(m.key());
        assertEquals(spread.median(), s.path("median").asDouble(), 0.0, m.key());
        assertEquals(spread.min(), s.path("min").asDouble(), 0.0);
        assertEquals(spread.max(), s.path("max").asDouble(), 0.0);
        assertEquals(spread.median(), w.path(m.key()).asDouble(), 0.0);
      }
      JsonNode fit = json.path("slopes").path(m.key());
      double slope = fit.path("pooledSlope").asDouble();
      double half = reference.getSlopeConfidenceInterval(0.05);
      assertEquals(reference.getSlope(), slope, 1e-12, m.key());
      assertEquals(reference.getSlopeStdErr(), fit.path("standardError").asDouble(), 1e-12, m.key());
      assertEquals(slope - half, fit.path("lower").asDouble(), 1e-8, m.key());
      assertEquals(slope + half, fit.path("upper").asDouble(), 1e-8, m.key());
      assertEquals(12, fit.path("points").asInt());
      System.out.printf("%s: pooled slope %.3f ± %.3f (95 %%), median slope %.3f%n", m.key(), slope, half,
          fit.path("medianSlope").asDouble());
    }
    JsonNode analytic = json.path("slopes").path("rmseAnalyticTrain");
    assertTrue(analytic.path("lower").asDouble() <= -0.5 && -0.5 <= analytic.path("upper").asDouble(),
        "−½ outside the band of the Θ_∞ comparison: " + analytic);
    for (String key : List.of("rmseEmpiricalTrain", "kernelChange")) {
      JsonNode fit = json.path("slopes").path(key);
      assertTrue(fit.path("upper").asDouble() < 0, key + " does not fall with the width: " + fit);
      assertTrue(fit.path("lower").asDouble() <= -0.5, key + " falls more slowly than 1/√width: " + fit);
    }
  }
}
