package org.sparkntk.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.kernel.KernelSpec;
import org.sparkntk.kernel.Precision;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Parameterization;

class JobConfigTest {
  @TempDir
  Path dir;

  private Path write(String... lines) throws IOException {
    Path file = dir.resolve("job.conf");
    Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    return file;
  }

  /** The smallest valid file job, plus extra lines. */
  private Path job(String... extra) throws IOException {
    String[] lines = new String[extra.length + 3];
    lines[0] = "data.train = train.csv";
    lines[1] = "data.label = y";
    lines[2] = "output.dir = out";
    System.arraycopy(extra, 0, lines, 3, extra.length);
    return write(lines);
  }

  /** The kernel factory's spec reads every kernel.* key, and its defaults are the keys' defaults. */
  @Test
  void kernelSpecFollowsTheKeys() {
    assertEquals(new KernelSpec("empirical", "structured", Precision.FLOAT64, KernelOutputs.TRACE, true,
        KernelSpec.ADAPTIVE_QUADRATURE, 8, 0), JobConfig.of(Map.of()).kernelSpec());
    KernelSpec set = JobConfig.of(Map.of("kernel.type", "montecarlo", "kernel.precision", "float32", "kernel.outputs",
        "full", "kernel.samples", "3", "model.seed", "11", "kernel.quadrature", "20")).kernelSpec();
    assertEquals(new KernelSpec("montecarlo", "structured", Precision.FLOAT32, KernelOutputs.FULL, true, 20, 3, 11),
        set);
    assertFalse(JobConfig.of(Map.of("kernel.type", "analytic", "kernel.get", "nngp")).kernelSpec().ntk());
    assertEquals("jacobian", JobConfig.of(Map.of("kernel.method", "jacobian")).kernelSpec().method());
  }

  @Test
  void loadsAllThreeSeparatorsCommentsAndBlankLines() throws IOException {
    Path file = write(
        "# a comment",
        "! a properties-style comment",
        "",
        "   data.train = data/train.csv   ",
        "data.label=y1, y2",
        "output.dir\t out dir/with space",
        "model.hidden   64,32",
        "model.activation =tanh",
        "model.parameterization= standard",
        "model.sigmaW = 1.5",
        "model.seed -7",
        "kernel.outputs = full",
        "solver.type flow",
        "solver.times = 0, 0.5, 2",
        "kernel.maxDriverBytes = 3g",
        "spark.driver.extraJavaOptions -Dfoo=bar -Dx=y",
        "spark.executor.memory=2g",
        "  # indented comment");
    JobConfig c = JobConfig.load(file, List.of());
    assertEquals("data/train.csv", c.get(ConfigKeys.DATA_TRAIN));
    assertEquals(List.of("y1", "y2"), c.get(ConfigKeys.DATA_LABEL));
    assertEquals(List.of("y1", "y2"), c.labels());
    assertEquals("out dir/with space", c.get(ConfigKeys.OUTPUT_DIR));
    assertArrayEquals(new int[] {64, 32}, c.get(ConfigKeys.MODEL_HIDDEN));
    assertEquals(Activation.TANH, c.get(ConfigKeys.MODEL_ACTIVATION));
    assertEquals(Parameterization.STANDARD, c.get(ConfigKeys.MODEL_PARAMETERIZATION));
    assertEquals(1.5, c.get(ConfigKeys.MODEL_SIGMA_W));
    assertEquals(-7L, c.get(ConfigKeys.MODEL_SEED));
    assertEquals(KernelOutputs.FULL, c.get(ConfigKeys.KERNEL_OUTPUTS));
    assertEquals("flow", c.get(ConfigKeys.SOLVER_TYPE));
    assertArrayEquals(new double[] {0, 0.5, 2}, c.get(ConfigKeys.SOLVER_TIMES));
    assertEquals(3L << 30, c.get(ConfigKeys.KERNEL_MAX_DRIVER_BYTES));
    assertEquals("csv", c.format());
    // Defaults for what the file does not set.
    assertEquals(0.1, c.get(ConfigKeys.MODEL_SIGMA_B));
    assertEquals(1000, c.get(ConfigKeys.SOLVER_STEPS));
    assertTrue(c.get(ConfigKeys.DATA_HEADER));
    assertFalse(c.isSet(ConfigKeys.SOLVER_STEPS));
    assertTrue(c.isSet(ConfigKeys.SOLVER_TYPE));

    Map<String, String> spark = c.sparkSettings();
    assertEquals(Map.of("spark.driver.extraJavaOptions", "-Dfoo=bar -Dx=y", "spark.executor.memory", "2g"), spark);
  }

  @Test
  void overridesWinOverTheFile() throws IOException {
    Path file = job("model.hidden = 64,32", "solver.steps = 10", "spark.executor.cores = 2");
    JobConfig c = JobConfig.load(file,
        List.of("model.hidden=8", "solver.steps = 20", "solver.steps=30", "spark.executor.cores=4", "model.hidden="));
    assertArrayEquals(new int[0], c.get(ConfigKeys.MODEL_HIDDEN), "the last override wins: empty, no hidden layer");
    assertEquals(30, c.get(ConfigKeys.SOLVER_STEPS));
    assertEquals(Map.of("spark.executor.cores", "4"), c.sparkSettings());

    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(file, List.of("solver.steps")));
    assertContains(e.getMessage(), "'solver.steps'", "key=value");
    ConfigException bad = assertThrows(ConfigException.class, () -> JobConfig.load(file, List.of("solver.lr=-1")));
    assertContains(bad.getMessage(), "solver.lr", "'-1'", "(command line)");
  }

  @Test
  void unknownKeySuggestsTheNearestOne() throws IOException {
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(job("model.hiden = 3"), List.of()));
    assertContains(e.getMessage(), "'model.hiden'", "did you mean 'model.hidden'", "line 4");

    ConfigException viaOverride = assertThrows(ConfigException.class,
        () -> JobConfig.load(job(), List.of("solver.stesp=3")));
    assertContains(viaOverride.getMessage(), "'solver.stesp'", "did you mean 'solver.steps'", "(command line)");

    ConfigException far = assertThrows(ConfigException.class,
        () -> JobConfig.of(Map.of("completely.unrelated", "1")));
    assertContains(far.getMessage(), "'completely.unrelated'");
    assertFalse(far.getMessage().contains("did you mean"), far.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "model.hidden     | 0,5    | positive integers",
      "model.hidden     | abc    | positive integers",
      "model.hidden     | 4,,4   | positive integers",
      "model.activation | relux  | relu, erf, tanh, sin, gelu, abs",
      "model.sigmaW     | 0      | a positive number",
      "model.sigmaB     | -0.1   | a number ≥ 0",
      "model.seed       | 1.5    | an integer",
      "solver.lr        | -1     | a positive number or auto",
      "solver.lr        | fast   | a positive number or auto",
      "solver.type      | sgd    | steps, flow, regression or nystrom",
      "solver.steps     | -1     | an integer ≥ 0",
      "solver.times     | 1,-2   | times ≥ 0",
      "kernel.outputs   | diag   | trace or full",
      "kernel.blockSize | 0      | a positive integer or auto",
      "kernel.maxDriverBytes | 12x | suffixes k, m, g",
      "data.format      | json   | csv, parquet, libsvm, idx or auto",
      "data.header      | yes    | true or false",
      "data.label       | y,y    | comma-separated list of column names",
      "kernel.basis     | rbf    | fourier or relu",
      "kernel.features  | 0      | a positive integer or inf",
      "kernel.features  | 1e3    | a positive integer or inf",
      "kernel.scale     | -1     | a positive number",
  })
  void badValuesNameKeyValueAndWhatIsAllowed(String key, String value, String allowed) throws IOException {
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(job(), List.of(key + "=" + value)));
    assertContains(e.getMessage(), key + " = '" + value + "'", allowed);

    ConfigException inFile = assertThrows(ConfigException.class,
        () -> JobConfig.load(write("data.train = a.libsvm", "output.dir = o", key + " = " + value), List.of()));
    assertContains(inFile.getMessage(), key + " = '" + value + "'", allowed, "line 3");
  }

  @Test
  void csvAndParquetNeedLabelsLibsvmDoesNot() throws IOException {
    ConfigException csv = assertThrows(ConfigException.class,
        () -> JobConfig.load(write("data.train = train.csv", "output.dir = o"), List.of()));
    assertContains(csv.getMessage(), "data.label", "csv");
    ConfigException parquet = assertThrows(ConfigException.class,
        () -> JobConfig.load(write("data.train = t", "data.format = parquet", "output.dir = o"), List.of()));
    assertContains(parquet.getMessage(), "data.label", "parquet");

    JobConfig libsvm = JobConfig.load(write("data.train = train.libsvm", "output.dir = o"), List.of());
    assertEquals("libsvm", libsvm.format());
    assertEquals(List.of("label"), libsvm.labels());
    assertEquals("libsvm", JobConfig.of(Map.of("data.train", "t.svm")).format());
    assertEquals("libsvm", JobConfig.of(Map.of("data.train", "t", "data.format", "LIBSVM")).format());
  }

  @Test
  void formatAutoNeedsAKnownExtension() {
    assertEquals("csv", JobConfig.of(Map.of("data.train", "a/b.CSV.gz", "data.label", "y")).format());
    assertEquals("parquet", JobConfig.of(Map.of("data.train", "t.parquet", "data.label", "y")).format());
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobConfig.of(Map.of("data.train", "t.txt", "data.label", "y")));
    assertContains(e.getMessage(), "data.format", "t.txt");
  }

  /** The library API: a job on Datasets in hand names no files (NtkJob.run(spark, config, train, test)). */
  @Test
  void aJobOnDatasetsNeedsNoFiles() {
    JobConfig c = JobConfig.of(Map.of("data.label", "y", "model.hidden", "256,256", "solver.type", "regression",
        "solver.ridge", "1e-6"));
    assertNull(c.get(ConfigKeys.DATA_TRAIN));
    assertNull(c.get(ConfigKeys.OUTPUT_DIR));
    assertEquals(1e-6, c.get(ConfigKeys.SOLVER_RIDGE));
    assertEquals(List.of("label"), JobConfig.of(Map.of()).labels());
    // Values are still checked.
    assertThrows(ConfigException.class, () -> JobConfig.of(Map.of("model.hidden", "-1")));
  }

  /** kernel.features = inf is the limit (null); settings that cannot act on a random-features model are refused. */
  @Test
  void randomFeaturesSettings() throws IOException {
    JobConfig limit = JobConfig.load(job("kernel.type = randomfeatures", "kernel.features = INF"), List.of());
    assertNull(limit.get(ConfigKeys.KERNEL_FEATURES));
    assertEquals(1024, JobConfig.load(job(), List.of()).get(ConfigKeys.KERNEL_FEATURES));
    assertEquals(org.sparkntk.model.RandomFeatures.Basis.RELU,
        JobConfig.load(job("kernel.basis = relu"), List.of()).get(ConfigKeys.KERNEL_BASIS));
    ConfigException load = assertThrows(ConfigException.class,
        () -> JobConfig.load(job("kernel.type = randomfeatures", "model.load = saved"), List.of()));
    assertContains(load.getMessage(), "model.load", "line 5", "kernel.type = randomfeatures");
    ConfigException scale = assertThrows(ConfigException.class,
        () -> JobConfig.load(job("kernel.type = randomfeatures", "kernel.basis = relu"), List.of("kernel.scale=2")));
    assertContains(scale.getMessage(), "kernel.scale = 2 (command line)", "kernel.basis = relu");
    // σ = 1 is the relu basis' own scale; and a scale set for another kernel type is not an error
    JobConfig.load(job("kernel.type = randomfeatures", "kernel.basis = relu", "kernel.scale = 1"), List.of());
    JobConfig.load(job("kernel.basis = relu", "kernel.scale = 2"), List.of());
  }

  @Test
  void missingJobFile() {
    Path missing = dir.resolve("nope.conf");
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(missing, List.of()));
    assertContains(e.getMessage(), missing.toString(), "does not exist");
  }

  @Test
  void duplicateKeyNamesBothLines() throws IOException {
    Path file = write("data.train = a.csv", "data.label = y", "solver.steps = 10", "# comment",
        "solver.steps = 20", "output.dir = o");
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(file, List.of()));
    assertContains(e.getMessage(), "solver.steps", "twice", "line 3", "line 5");
  }

  @Test
  void malformedLine() throws IOException {
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(job("justakey"), List.of()));
    assertContains(e.getMessage(), "line 4", "'justakey'");
    assertThrows(ConfigException.class, () -> JobConfig.load(job("= value"), List.of()));
  }

  @Test
  void autoValuesAreNull() throws IOException {
    JobConfig defaults = JobConfig.load(job(), List.of());
    assertNull(defaults.get(ConfigKeys.SOLVER_LR));
    assertNull(defaults.get(ConfigKeys.KERNEL_BLOCK_SIZE));
    assertNull(defaults.get(ConfigKeys.KERNEL_MAX_DRIVER_BYTES));
    assertNull(defaults.get(ConfigKeys.SOLVER_RECORD_EVERY));
    assertNull(defaults.get(ConfigKeys.SOLVER_TIMES));
    assertNull(defaults.get(ConfigKeys.DATA_TEST), "unset optional key without default");

    JobConfig explicit = JobConfig.load(job("solver.lr = AUTO", "kernel.blockSize = auto"), List.of());
    assertNull(explicit.get(ConfigKeys.SOLVER_LR));
    assertNull(explicit.get(ConfigKeys.KERNEL_BLOCK_SIZE));

    JobConfig set = JobConfig.load(job("solver.lr = 0.25", "kernel.blockSize = 128", "kernel.maxDriverBytes = 512m",
        "solver.recordEvery = 7"), List.of());
    assertEquals(0.25, set.get(ConfigKeys.SOLVER_LR));
    assertEquals(128, set.get(ConfigKeys.KERNEL_BLOCK_SIZE));
    assertEquals(512L << 20, set.get(ConfigKeys.KERNEL_MAX_DRIVER_BYTES));
    assertEquals(7, set.get(ConfigKeys.SOLVER_RECORD_EVERY));
  }

  @Test
  void withReplacesOneKeyAndRevalidates() throws IOException {
    JobConfig c = JobConfig.load(job("solver.steps = 10"), List.of());
    JobConfig d = c.with("solver.steps", "99");
    assertEquals(10, c.get(ConfigKeys.SOLVER_STEPS));
    assertEquals(99, d.get(ConfigKeys.SOLVER_STEPS));
    assertThrows(ConfigException.class, () -> c.with("solver.steps", "many"));
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("data.train", "train.csv");
    expected.put("data.label", "y");
    expected.put("output.dir", "out");
    expected.put("solver.steps", "10");
    assertEquals(expected, c.settings());
  }

  @Test
  void nearestKeyByEditDistance() {
    assertEquals("model.hidden", ConfigKeys.nearest("model.hiden"));
    assertEquals("solver.lr", ConfigKeys.nearest("SOLVER.LR"));
    assertNull(ConfigKeys.nearest("xyzzy.plugh.frobnicate"));
    assertEquals(3, ConfigKeys.editDistance("kitten", "sitting"));
    assertEquals(0, ConfigKeys.editDistance("", ""));
    assertEquals(4, ConfigKeys.editDistance("", "abcd"));
  }

  private static void assertContains(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
    }
  }
}
