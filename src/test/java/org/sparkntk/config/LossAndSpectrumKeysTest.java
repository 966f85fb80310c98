package org.sparkntk.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkntk.solver.Loss;

/** solver.loss, output.spectrum and output.eigenvectors: parsing, defaults and the combinations refused. */
class LossAndSpectrumKeysTest {
  private static JobConfig config(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("data.label", "c0,c1,c2");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return JobConfig.of(m);
  }

  @Test
  void defaultsAndValues() {
    JobConfig defaults = config();
    assertEquals(Loss.MSE, defaults.get(ConfigKeys.SOLVER_LOSS));
    assertFalse(defaults.get(ConfigKeys.OUTPUT_SPECTRUM));
    assertEquals(0, defaults.get(ConfigKeys.OUTPUT_EIGENVECTORS));
    JobConfig set = config("solver.loss", "XENT", "output.spectrum", "true", "output.eigenvectors", "3");
    assertEquals(Loss.XENT, set.get(ConfigKeys.SOLVER_LOSS));
    assertTrue(set.get(ConfigKeys.OUTPUT_SPECTRUM));
    assertEquals(3, set.get(ConfigKeys.OUTPUT_EIGENVECTORS));
  }

  @Test
  void badValuesNameTheKeyAndWhatIsAllowed() {
    ConfigException e = assertThrows(ConfigException.class, () -> config("solver.loss", "hinge"));
    assertTrue(e.getMessage().contains("solver.loss = 'hinge'") && e.getMessage().contains("expected mse or xent"),
        e.getMessage());
    e = assertThrows(ConfigException.class, () -> config("output.eigenvectors", "-1"));
    assertTrue(e.getMessage().contains("output.eigenvectors = '-1'"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> config("output.spectrum", "yes"));
    assertTrue(e.getMessage().contains("output.spectrum = 'yes'"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"flow", "regression"})
  void crossEntropyHasNoClosedForm(String solver) {
    ConfigException e = assertThrows(ConfigException.class, () -> config("solver.loss", "xent", "solver.type", solver));
    assertTrue(e.getMessage().contains("solver.loss = xent has no closed form, so solver.type = " + solver
        + " cannot run it"), e.getMessage());
    assertTrue(e.getMessage().contains("Use solver.type = steps"), e.getMessage());
    config("solver.type", solver); // MSE has one
  }

  @Test
  void crossEntropyHasNoClosedFormInAFileJobEither(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("job.conf");
    Files.write(file, List.of("data.train = train.csv", "data.label = a,b", "output.dir = out", "solver.loss = xent"));
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(file, List.of("solver.type=flow")));
    assertTrue(e.getMessage().contains("solver.loss = xent (" + file + " line 4) has no closed form, "
        + "so solver.type = flow (command line)"), e.getMessage());
  }

  @Test
  void crossEntropyNeedsOneLabelColumnPerClass() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobConfig.of(Map.of("data.label", "y", "solver.loss", "xent")));
    assertTrue(e.getMessage().contains("needs one label column per class") && e.getMessage().contains("[y]"),
        e.getMessage());
  }

  @Test
  void eigenvectorsNeedTheSpectrum() {
    ConfigException e = assertThrows(ConfigException.class, () -> config("output.eigenvectors", "2"));
    assertTrue(e.getMessage().contains("output.eigenvectors = 2 needs output.spectrum = true"), e.getMessage());
    config("output.eigenvectors", "2", "output.spectrum", "true");
    config("output.eigenvectors", "0");
  }
}
