package org.sparkntk.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.JobConfig;

/**
 * The image report's FFT route (products with the stationary kernel as convolutions on the pixel
 * grid) against the job's driver backend on the same pixels (the dense kernels formed entry by
 * entry, Cholesky or dense steps, dsyevd): the same predictions, PSNRs and eigenvalues. The two
 * routes share only the kernel's scalar formula; the FFT route evaluates it once per offset v − v'
 * and the job once per pair, so a wrong offset, lattice or ordering shows as an O(1) difference.
 *
 * <p>Tolerances: regression by PCG at solver.tol = 1e-12 on a system of condition number below
 * about 1e4 (ridge 1e-2 against λ_max ≈ 36 × 0.5) agrees with Cholesky to about 1e-12 × 1e4;
 * steps are the same recurrence on products that agree to rounding (1e-12 relative); the
 * eigenvalues come from Lanczos to its 1e-10 residual tolerance.
 */
class FourierImageReportTest {
  @TempDir
  Path dir;

  private FourierImageReport.Result run(String out, Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>(Map.of("report.type", "image", "report.images", "text",
        "report.imageSize", "12", "model.hidden", "16,16", "model.sigmaB", "0.1", "kernel.type", "analytic",
        "solver.f0", "zero", "solver.ridge", "1e-2", "solver.tol", "1e-12", "input.features", "8"));
    settings.put("output.dir", dir.resolve(out).toString());
    settings.putAll(overrides);
    return FourierImageReport.run(SparkTestSession.get(), JobConfig.of(settings));
  }

  @ParameterizedTest
  @CsvSource({"regression, 8", "regression, inf", "steps, 8"})
  void theFftRouteEqualsTheDenseJob(String solver, String features) {
    Map<String, String> settings = new HashMap<>(Map.of("report.mappings", "basic,positional:4,gaussian:2",
        "solver.type", solver, "input.features", features, "solver.steps", "40", "solver.recordEvery", "40"));
    if (features.equals("inf")) {
      settings.put("report.mappings", "gaussian:2,gaussian:5");
    }
    settings.put("report.products", "fft");
    FourierImageReport.Result fft = run("fft-" + solver + features, settings);
    settings.put("report.products", "job");
    settings.put("solver.backend", "driver");
    FourierImageReport.Result dense = run("job-" + solver + features, settings);
    assertEquals(dense.scores().size(), fft.scores().size());
    for (int i = 0; i < fft.runs().size(); i++) {
      FourierImageReport.MappingRun f = fft.runs().get(i);
      FourierImageReport.MappingRun d = dense.runs().get(i);
      assertEquals("fft", f.route());
      assertEquals("job (driver backend)", d.route());
      String what = f.mapping().label();
      double tol = solver.equals("steps") ? 1e-11 : 1e-8;
      assertClose(d.trainPredictions(), f.trainPredictions(), tol, what + ", training pixels");
      assertClose(d.testPredictions(), f.testPredictions(), tol, what + ", test pixels");
      double[] all = d.eigenvalues();
      double[] top = f.eigenvalues();
      assertEquals(36, top.length, what);
      for (int k = 0; k < top.length; k++) {
        assertEquals(all[k], top[k], 1e-8 * all[0], what + ": λ_" + (k + 1));
      }
    }
    for (int i = 0; i < fft.scores().size(); i++) {
      assertEquals(dense.scores().get(i).testPsnr(), fft.scores().get(i).testPsnr(), 1e-6);
    }
  }

  @Test
  void autoTakesTheFftRouteWhereTheKernelIsShiftInvariantAndTheJobElsewhere() {
    FourierImageReport.Result result = run("auto", Map.of("report.mappings", "none,gaussian:3"));
    assertTrue(result.runs().get(0).route().startsWith("job"), result.runs().get(0).route());
    assertEquals("fft", result.runs().get(1).route());
  }

  @Test
  void fftIsRefusedWhereItDoesNotApply() {
    ConfigException none = assertThrows(ConfigException.class,
        () -> run("none", Map.of("report.mappings", "gaussian:3,none", "report.products", "fft")));
    assertTrue(none.getMessage().contains("report.products = fft: input mapping none feeds the raw coordinates"),
        none.getMessage());
    ConfigException empirical = assertThrows(ConfigException.class, () -> run("empirical",
        Map.of("report.mappings", "basic", "report.products", "fft", "kernel.type", "empirical")));
    assertTrue(empirical.getMessage().contains("kernel.type = empirical is not a function of v − v'"),
        empirical.getMessage());
  }

  private static void assertClose(double[] want, double[] got, double relative, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0;
    for (double w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], relative * scale, what + ", entry " + i);
    }
  }
}
