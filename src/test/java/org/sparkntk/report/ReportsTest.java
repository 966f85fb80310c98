package org.sparkntk.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;

/** The report registry: unique names, the job first, unknown names refused as the key check words it. */
class ReportsTest {
  @Test
  void namesAreUniqueAndTheJobComesFirst() {
    List<String> names = Reports.names();
    assertEquals(names.size(), new HashSet<>(names).size(), names.toString());
    assertEquals("none", names.get(0));
    assertTrue(names.containsAll(List.of("convergence", "rfconvergence", "circle", "image", "dynamics")), names.toString());
    for (Report r : Reports.all()) {
      assertFalse(r.summary().isBlank(), r.name());
      assertEquals(r, Reports.of(JobConfig.of(Map.of("report.type", r.name()))));
    }
  }

  @Test
  void onlyTheSyntheticReportsRunWithoutData() {
    for (Report r : Reports.all()) {
      assertEquals(!List.of("circle", "image").contains(r.name()), r.readsData(), r.name());
    }
  }

  @Test
  void anUnknownNameIsRefusedWithTheRegisteredOnesAndTheNearest() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Reports.of(JobConfig.of(Map.of("report.type", "imag"))));
    assertEquals("report.type = 'imag' is not valid: expected none, convergence, rfconvergence, circle, image or "
        + "dynamics; did you mean 'image'?", e.getMessage());
    ConfigException syntax = assertThrows(ConfigException.class,
        () -> JobConfig.of(Map.of("report.type", "no such")).get(ConfigKeys.REPORT_TYPE));
    assertTrue(syntax.getMessage().startsWith("report.type = 'no such'"), syntax.getMessage());
  }

  @Test
  void theRandomFeaturesReportRefusesAScaleTheReluBasisIgnores() {
    Report rf = Reports.of(JobConfig.of(Map.of("report.type", "rfconvergence")));
    ConfigException e = assertThrows(ConfigException.class, () -> rf.check(JobConfig.of(Map.of("report.type",
        "rfconvergence", "kernel.basis", "relu", "kernel.scale", "2"))));
    assertTrue(e.getMessage().contains("kernel.basis = relu"), e.getMessage());
    rf.check(JobConfig.of(Map.of("report.type", "rfconvergence", "kernel.basis", "fourier", "kernel.scale", "2")));
    Reports.of(JobConfig.of(Map.of("report.type", "convergence"))).check(JobConfig.of(Map.of("kernel.basis", "relu",
        "kernel.scale", "2")));
  }

  /** The docs follow the registry: the report.type row of the key table names every report, and the experiments page documents each. */
  @Test
  void theDocsNameEveryRegisteredReport() throws IOException {
    String config = Files.readString(Path.of("docs/CONFIG.md"));
    String row = config.lines().filter(l -> l.startsWith("| `report.type` |")).findFirst().orElseThrow();
    String experiments = Files.readString(Path.of("docs/EXPERIMENTS.md"));
    for (String name : Reports.names()) {
      assertTrue(row.contains("`" + name + "`"), "docs/CONFIG.md's report.type row does not name " + name + ": " + row);
      if (!name.equals("none")) {
        assertTrue(experiments.contains("report.type = " + name) || experiments.contains("report.type=" + name),
            "docs/EXPERIMENTS.md does not show how to run report.type = " + name);
      }
    }
  }
}
